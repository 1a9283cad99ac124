/**
 * `btdht crawl-demo` (`npm run crawl-demo`): the crawl mode end to end with no
 * internet. A loopback swarm of DHT nodes, seeders serving torrents made at
 * start (each announced into the DHT by the node on its address), then the
 * same crawl as `btdht crawl` against it, stopped once every torrent is in
 * the database (or at --duration), and a check of what the database holds
 * against what the seeders made. Everything is torn down at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Backend } from '../core/types.ts';
import { loadCore } from '../core/index.ts';
import { startCrawlSwarm, type CrawlSwarm } from '../crawl/demo/swarm.ts';
import { openSqliteStore } from '../crawl/store/sqlite.ts';
import { parseBackend } from './options.ts';
import { ListenError, type ListenAddress } from '../web/listen.ts';
import { startIndex, type RunningIndex } from './serve-index.ts';
import { parseServeAddress } from './serve.ts';
import { parseDuration, parseIds } from './crawl-flags.ts';
import { EXIT } from './exit.ts';
import { CrawlSetupError, printSummary, runCrawl, stopOnSignals, type CrawlIO } from './crawl.ts';
import { CRAWL_CAPS } from './crawl-caps.ts';

export interface CrawlDemoFlags {
  nodes: number;
  torrents: number;
  duration: number;
  db?: string;
  ids: number;
  backend: Backend;
  /** Keep the index over what was found up on this address until SIGINT (--serve); without it, the index is checked and stopped. */
  serve?: ListenAddress;
}

/** What the database held at the end, checked against the torrents made. */
export interface CrawlDemoResult {
  torrents: number;
  /** Made torrents whose infohash the crawl harvested. */
  found: number;
  /** Made torrents fetched, verified, and stored with their name, size and files. */
  fetched: number;
  /** Where the index over the database was served, and how many torrents it answered with. */
  index?: { url: string; served: number };
}

function wholeNumber(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${flag}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return n;
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export async function runCrawlDemo(flags: CrawlDemoFlags, io: CrawlIO, signal?: AbortSignal): Promise<CrawlDemoResult> {
  const log = (line: string): void => io.out(line);
  const started = performance.now();
  const core = await loadCore(flags.backend);
  const ownDir = flags.db === undefined ? await mkdtemp(join(tmpdir(), 'btdht-crawl-demo-')) : undefined;
  const db = flags.db ?? join(ownDir!, 'crawl.sqlite');
  let swarm: CrawlSwarm | undefined;
  try {
    log(`btdht crawl-demo: ${flags.nodes} DHT nodes on 127.0.0.2-127.0.0.${flags.nodes + 1} (real UDP), ${flags.torrents} torrents made now and seeded over TCP`);
    swarm = await startCrawlSwarm({ nodes: flags.nodes, torrents: flags.torrents, core });
    const announced = swarm.torrents.reduce((n, t) => n + t.announcedTo, 0);
    const seeders = swarm.seeders.map((s) => `${s.host}:${s.port}`).join(', ');
    log(`swarm up in ${seconds(performance.now() - started)}: seeders on ${seeders}; each torrent announced by its seeder's node, stored by ${(announced / Math.max(1, flags.torrents)).toFixed(1)} nodes on average`);
    log(`crawling from 127.0.0.1 into ${ownDir === undefined ? db : 'a temporary SQLite file'} until all ${flags.torrents} are fetched (at most ${flags.duration} s)`);
    const total = flags.torrents;
    // Once the crawler runs, every seeder's node announces its torrents again, as clients
    // do every half hour: get_peers and announce_peer reaching the crawler are harvested too.
    let reannounced = false;
    const reannounce = async (crawling: CrawlSwarm): Promise<void> => {
      await Promise.all(
        crawling.seeders.map(async (seeder) => {
          const node = crawling.nodes.find((n) => n.address().host === seeder.host)!;
          for (const t of crawling.torrents.filter((t) => t.peer.port === seeder.port)) await node.announcePeer(t.infohash, seeder.port).catch(() => 0);
        }),
      );
      reannounced = true;
    };
    const live = swarm;
    const summary = await runCrawl(
      {
        ids: flags.ids,
        db,
        duration: flags.duration,
        bootstrap: swarm.bootstrap,
        metadata: true,
        port: 0,
        host: '127.0.0.1',
        concurrency: 64,
        backend: flags.backend,
      },
      io,
      {
        core,
        ...(signal ? { signal } : {}),
        onStarted: () => void reannounce(live),
        stopWhen: (stats) => reannounced && stats.metadata.fetched + stats.metadata.alreadyFetched >= total,
        // A loopback world answers in milliseconds: walk again soon, retry soon.
        crawler: { walkIntervalMs: 2_000, retryDelayMs: 1_000, maxRetryDelayMs: 5_000, lookupTimeoutMs: 5_000, fetcher: { connectTimeoutMs: 2_000, peerTimeoutMs: 10_000, totalTimeoutMs: 20_000 } },
        // At btdht crawl's caps (crawl-caps.ts), as a real crawl runs.
        dht: { ...CRAWL_CAPS, timeoutMs: 1_000 },
      },
    );
    printSummary(summary, false, log);
    const result = await checkDatabase(db, swarm);
    log(
      `found ${result.found}/${total} infohashes; fetched and verified ${result.fetched}/${total} torrents, ` +
        `stored with the names, sizes and files the seeders made; ${seconds(performance.now() - started)} in all`,
    );
    await swarm.stop();
    swarm = undefined;
    result.index = await serveIndex(db, flags.serve, log, signal);
    return result;
  } finally {
    await swarm?.stop();
    if (ownDir !== undefined) await rm(ownDir, { recursive: true, force: true });
  }
}

/**
 * The index over what was found: started, asked for everything once (the
 * demo's check that it serves), its URL printed last. With --serve it stays
 * up until SIGINT; without, it stops at once (the database is temporary).
 */
async function serveIndex(db: string, serve: ListenAddress | undefined, log: (line: string) => void, signal?: AbortSignal): Promise<{ url: string; served: number }> {
  let index: RunningIndex;
  try {
    index = await startIndex(db, serve ?? { host: '127.0.0.1', port: 0 }, { what: '--serve' });
  } catch (error) {
    if (error instanceof ListenError) throw new CrawlSetupError(error.message);
    throw error;
  }
  try {
    const response = await fetch(`${index.url}/api/search`);
    const served = response.ok ? ((await response.json()) as { total: number }).total : -1;
    if (serve === undefined) {
      log(`index over what it found: ${index.url}/ served ${served} torrents (checked; --serve HOST:PORT keeps it up)`);
      return { url: index.url, served };
    }
    log(`index over what it found: ${index.url}/ (${served} torrents; API ${index.url}/api; Ctrl-C stops)`);
    if (signal !== undefined && !signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    return { url: index.url, served };
  } finally {
    await index.close();
  }
}

/** Compare the database with the torrents the swarm made. */
async function checkDatabase(db: string, swarm: CrawlSwarm): Promise<CrawlDemoResult> {
  const store = await openSqliteStore({ path: db });
  try {
    let found = 0;
    let fetched = 0;
    for (const made of swarm.torrents) {
      if ((await store.getInfohash(made.infohash)) !== undefined) found++;
      const row = await store.getTorrent(made.infohash);
      if (row === undefined) continue;
      const files = (list: { path: string; length: number }[]): string => JSON.stringify([...list].sort((a, b) => (a.path < b.path ? -1 : 1)));
      if (row.name === made.name && row.size === made.size && files(row.files) === files(made.files)) fetched++;
    }
    return { torrents: swarm.torrents.length, found, fetched };
  } finally {
    await store.close();
  }
}

export function registerCrawlDemo(program: Command): void {
  program
    .command('crawl-demo')
    .description('crawl a loopback swarm it starts itself: DHT nodes and seeders of torrents it makes; no internet needed')
    .option('--nodes <n>', 'DHT nodes (3-250)', wholeNumber('--nodes', 3, 250), 60)
    .option('--torrents <n>', 'torrents made and seeded (1-1000)', wholeNumber('--torrents', 1, 1000), 24)
    .option('--duration <s>', 'stop the crawl after S seconds at most', parseDuration, 60)
    .option('--db <file>', 'SQLite file to crawl into (kept; default a temporary one, deleted)')
    .option('--ids <n>', 'node ids of the crawler (1-65536)', parseIds, 8)
    .option('--backend <name>', 'core backend: wasm or js', parseBackend, 'wasm')
    .option('--serve <host:port>', 'keep the search index over what was found up on this address until Ctrl-C (port 0 = any)', parseServeAddress('--serve'))
    .action(async (flags: CrawlDemoFlags) => {
      const controller = new AbortController();
      const release = stopOnSignals(controller, (line) => process.stderr.write(`\n${line}\n`));
      try {
        const result = await runCrawlDemo(flags, { out: (line) => console.log(line), err: process.stderr }, controller.signal);
        if (result.fetched < result.torrents) process.exitCode = 1;
      } catch (error) {
        if (!(error instanceof CrawlSetupError)) throw error;
        console.error(`btdht crawl-demo: ${error.message}`);
        process.exitCode = EXIT.usage;
      } finally {
        release();
      }
    });
}
