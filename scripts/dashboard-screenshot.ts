/**
 * docs/dashboard.png: the `--metrics` dashboard of a real crawl, on loopback
 * only. A swarm of DHT nodes with seeders (as `btdht crawl-demo` makes it),
 * `btdht crawl --metrics` against it, swarm nodes looking up the torrents
 * meanwhile (traffic for the charts), and Debian's chromium taking the
 * picture once the charts have a minute's worth of points.
 *
 *   npx tsx scripts/dashboard-screenshot.ts [OUT.png] [--seconds N]
 *
 * Needs /usr/bin/chromium (or BTDHT_CHROMIUM). Sends nothing off 127.0.0.0/8.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadCore } from '../src/core/index.ts';
import { startCrawlSwarm } from '../src/crawl/demo/swarm.ts';
import { runCrawl } from '../src/cli/crawl.ts';
import { haveChromium, launchChromium, CHROMIUM } from './chromium.ts';

const args = process.argv.slice(2);
const secondsAt = args.indexOf('--seconds');
const SECONDS = secondsAt >= 0 ? Number(args[secondsAt + 1]) : 60;
const OUT = resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--seconds') ?? 'docs/dashboard.png');
if (!Number.isFinite(SECONDS) || SECONDS < 5 || SECONDS > 600) throw new Error(`--seconds: expected 5 to 600, got ${args[secondsAt + 1]}`);
if (!haveChromium()) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium, or set BTDHT_CHROMIUM`);

const chromium = await launchChromium({ width: 1400, height: 1000 });
const core = await loadCore('wasm');
const dir = await mkdtemp(join(tmpdir(), 'btdht-dashboard-'));
const swarm = await startCrawlSwarm({ nodes: 40, torrents: 24, core });
const controller = new AbortController();
let url: string | undefined;
const urlKnown = new Promise<string>((ok) => {
  const check = setInterval(() => {
    if (url !== undefined) {
      clearInterval(check);
      ok(url);
    }
  }, 50);
});
const io = {
  out: (line: string) => console.log(line),
  err: {
    write: (text: string) => {
      url ??= /metrics at (http:\/\/\S+)\/metrics/.exec(text)?.[1];
      return true;
    },
  },
};
const crawl = runCrawl(
  { ids: 4, db: join(dir, 'crawl.sqlite'), duration: SECONDS + 60, bootstrap: swarm.bootstrap, metadata: true, port: 0, host: '127.0.0.1', concurrency: 16, backend: 'wasm', metrics: { host: '127.0.0.1', port: 0 } },
  io,
  {
    core,
    signal: controller.signal,
    crawler: { walkIntervalMs: 3_000, retryDelayMs: 1_000, maxRetryDelayMs: 5_000, lookupTimeoutMs: 5_000, fetcher: { connectTimeoutMs: 2_000, peerTimeoutMs: 10_000, totalTimeoutMs: 20_000 } },
    dht: { timeoutMs: 1_000 },
  },
);
const dashboard = await urlKnown;
console.log(`dashboard at ${dashboard}/, picture in ${SECONDS} s`);

// Traffic through the crawler for the charts: swarm nodes look the torrents up and announce them again, a few a second, bounded.
let traffic = true;
const lookups = (async () => {
  for (let i = 0; traffic && i < SECONDS * 4; i++) {
    const node = swarm.nodes[i % swarm.nodes.length]!;
    const torrent = swarm.torrents[i % swarm.torrents.length]!;
    await (i % 3 === 0 ? node.announcePeer(torrent.infohash, 6881 + (i % 100)) : node.getPeers(torrent.infohash)).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 250));
  }
})();

try {
  const page = await chromium.browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page: ${message.text()}`);
  });
  await page.goto(`${dashboard}/`, { waitUntil: 'load' });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  await page.screenshot({ path: OUT as `${string}.png`, fullPage: true });
  console.log(`wrote ${OUT}`);
} finally {
  traffic = false;
  await chromium.close();
  await lookups;
  controller.abort();
  await crawl.catch((error: unknown) => console.error(`crawl: ${error instanceof Error ? error.message : String(error)}`));
  await swarm.stop();
  await rm(dir, { recursive: true, force: true });
}
