/**
 * The README's pictures of the search index: a crawl database of synthetic
 * torrents (bench/index/synthetic.ts), served by `btdht serve`'s server on
 * loopback, photographed in Debian's chromium: the search page and the JSON
 * API's answer. `npx tsx scripts/index-screenshot.ts [dir]` (default docs/images).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/crawl/store/sqlite.ts';
import { openSqliteReader } from '../src/web/index/sqlite-reader.ts';
import { IndexServer } from '../src/web/index/server.ts';
import { generator } from '../bench/index/synthetic.ts';
import { launchChromium } from './chromium.ts';

const out = process.argv[2] ?? 'docs/images';
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'btdht-index-shot-'));
const path = join(dir, 'crawl.sqlite');
const store = await openSqliteStore({ path });
const gen = generator(3);
const now = Date.now();
const torrents = Array.from({ length: 3000 }, (_, n) => gen.torrent(n, now - (3000 - n) * 60_000));
await store.write({ observations: torrents.map((t, n) => ({ infohash: t.infohash, source: (['get_peers', 'announce_peer', 'sample'] as const)[n % 3]!, at: t.fetchedAt - 20_000 })) });
await store.write({ torrents });
await store.recordSwarm(torrents.map((t, n) => ({ infohash: t.infohash, seeders: (n * 7919) % 400, leechers: (n * 104729) % 60, at: now })));
const word = gen.words[3]!;
const reader = await openSqliteReader(path);
const server = await IndexServer.start({ host: '127.0.0.1', port: 0 }, { reader });
const chromium = await launchChromium({ width: 1280, height: 820 });
try {
  const page = await chromium.browser.newPage();
  await page.goto(`${server.url}/?q=${word}&sort=seeders`, { waitUntil: 'load' });
  await page.screenshot({ path: join(out, 'index-search.png') as `${string}.png` });
  await page.goto(`${server.url}/api/search?q=${word}`, { waitUntil: 'load' });
  await page.screenshot({ path: join(out, 'index-api.png') as `${string}.png` });
  console.log(`wrote ${join(out, 'index-search.png')} and ${join(out, 'index-api.png')} (search: ${word})`);
} finally {
  await chromium.close();
  await server.close();
  await reader.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
