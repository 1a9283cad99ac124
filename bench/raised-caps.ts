/**
 * `npm run bench:raised-caps`: what the caps `btdht crawl` raises over a
 * node's (src/cli/crawl-caps.ts) cost in RSS, side by side in one run: a
 * crawl (16 ids, Crawler over SQLite, harvest only; bench/raised-caps/child.ts)
 * at the node defaults, then at the crawl's caps, each a process of its own.
 * Each is filled to its caps by what the network can send:
 *   1. one query from each of `--sources` distinct loopback addresses
 *      (127.90.x.y, 127.91.x.y, …, one socket each, opened and closed in batches): the rate
 *      limiter keeps min(sources, rateLimitTrackedIps) of them;
 *   2. pings to silent loopback addresses (127.99.x.y) as fast as the send
 *      queue takes them, with a 120 s query timeout, until the outstanding
 *      table is full.
 * RSS is the process's resident set after full collections, as the OS sees it.
 *
 *   npm run bench:raised-caps -- [--sources 110000] [--json]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { CRAWL_CAPS } from '../src/cli/crawl-caps.ts';
import { INTEGER_OPTIONS } from '../src/dht/options.ts';
import type { ChildReport } from './raised-caps/child.ts';

const CHILD = fileURLToPath(new URL('./raised-caps/child.ts', import.meta.url));
const at = process.argv.indexOf('--sources');
const SOURCES = at >= 0 ? Number(process.argv[at + 1]) : 110_000;
// 127.90.0.0 to 127.98.255.255: the silent addresses the child pings are 127.99.x.y.
if (!Number.isInteger(SOURCES) || SOURCES < 1 || SOURCES > 9 * 65_536 - 1) throw new Error(`--sources must be a whole number from 1 to ${9 * 65_536 - 1}`);

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
const signed = (bytes: number): string => `${bytes < 0 ? '−' : '+'}${mib(Math.abs(bytes))}`;
const nodeCaps = Object.fromEntries(Object.keys(CRAWL_CAPS).map((key) => [key, INTEGER_OPTIONS[key as keyof typeof CRAWL_CAPS].default]));

function ask(child: ChildProcess, message: string): Promise<ChildReport> {
  return new Promise((resolve) => {
    child.once('message', (report) => resolve(report as ChildReport));
    child.send(message);
  });
}

/** One ping from each of `count` addresses 127.90.x.y, 127.91.x.y, …, `batch` sockets at a time. */
async function flood(port: number, count: number, batch = 500): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const sockets = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, j) => {
        const n = start + j + 1;
        const socket = createSocket('udp4');
        return new Promise<ReturnType<typeof createSocket>>((resolve) => socket.bind({ address: `127.${90 + (n >> 16)}.${(n >> 8) & 0xff}.${n & 0xff}`, port: 0 }, () => resolve(socket)));
      }),
    );
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            const ping = Buffer.concat([Buffer.from('d1:ad2:id20:'), randomBytes(20), Buffer.from('e1:q4:ping1:t2:aa1:y1:qe')]);
            socket.send(ping, port, '127.0.0.1', () => resolve());
          }),
      ),
    );
    // A moment for the node to read them before the next batch (the kernel drops what overflows its buffer).
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const socket of sockets) socket.close();
  }
}

interface Row {
  label: string;
  caps: Record<string, number>;
  baseline: ChildReport;
  afterSources: ChildReport;
  afterOutstanding: ChildReport;
}

async function measure(label: string, caps: Record<string, number>): Promise<Row> {
  const child = fork(CHILD, [JSON.stringify(caps)], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const first = await new Promise<ChildReport & { port: number }>((resolve) => child.once('message', (m) => resolve(m as ChildReport & { port: number })));
    await flood(first.port, SOURCES);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const afterSources = await ask(child, 'rss');
    const afterOutstanding = await ask(child, 'outstanding');
    return { label, caps, baseline: first, afterSources, afterOutstanding };
  } finally {
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const load = loadavg()[0]!.toFixed(1);
const rows = [await measure('node defaults', nodeCaps), await measure('btdht crawl caps', { ...CRAWL_CAPS })];
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ sources: SOURCES, load, rows }, null, 2));
} else {
  const t = (r: ChildReport, name: string): string => `${r.tables[name]!.size.toLocaleString('en-US')} / ${r.tables[name]!.cap.toLocaleString('en-US')}`;
  console.log(`\nA crawl (16 ids, harvest only) filled to its caps: ${SOURCES.toLocaleString('en-US')} sources, then pings to silent addresses until the outstanding table is full (load average ${load}).\n`);
  console.log('| caps | baseline RSS | rate limiter (entries / cap) | growth after the sources | outstanding (size / cap) | pings refused | growth after the pings | total growth |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.label} | ${mib(r.baseline.rss)} | ${t(r.afterSources, 'rateLimitedIps')} | ${signed(r.afterSources.rss - r.baseline.rss)} | ${t(r.afterOutstanding, 'outstanding')} | ${r.afterOutstanding.refused.toLocaleString('en-US')} | ` +
        `${signed(r.afterOutstanding.rss - r.afterSources.rss)} | **${signed(r.afterOutstanding.rss - r.baseline.rss)}** |`,
    );
  }
  const [a, b] = rows as [Row, Row];
  console.log(`\nThe crawl's caps cost ${mib(b.afterOutstanding.rss - b.baseline.rss - (a.afterOutstanding.rss - a.baseline.rss))} more than the node defaults under this load (${((b.afterOutstanding.rss - b.baseline.rss) / Math.max(1, a.afterOutstanding.rss - a.baseline.rss)).toFixed(2)}× the growth).`);
}
