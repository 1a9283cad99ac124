/**
 * `btdht crawl`: run a DHT node in crawler mode — harvest infohashes (get_peers,
 * announce_peer, BEP 51 sample walks), fetch and verify their torrents
 * (BEP 9), keep it all in SQLite or PostgreSQL — with a progress line on
 * stderr and a summary at the end. SIGINT / SIGTERM (or --duration) stop it
 * cleanly: the last batch is written.
 */
import { mkdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DHT } from '../dht/dht.ts';
import type { DHTOptions } from '../dht/options.ts';
import type { Backend, Core } from '../core/types.ts';
import { Crawler } from '../crawl/crawler.ts';
import type { CrawlerOptions } from '../crawl/crawler-options.ts';
import type { CrawlerStats } from '../crawl/crawler-stats.ts';
import { isPostgresUrl } from '../crawl/store/open.ts';
import { openPostgresStore } from '../crawl/store/postgres.ts';
import { openSqliteStore } from '../crawl/store/sqlite.ts';
import type { CrawlStore } from '../crawl/store/types.ts';
import { parseBackend, parseBootstrap, parsePort } from './options.ts';
import { ProgressReporter, formatSummary, type CrawlSummary, type ProgressStream } from './crawl-progress.ts';

export const DEFAULT_CRAWL_DB = './btdht-crawl.sqlite';

export interface CrawlFlags {
  ids: number;
  db: string;
  dbSchema?: string;
  torrents?: string;
  duration?: number;
  bootstrap?: string[];
  metadata: boolean;
  port: number;
  host: string;
  concurrency: number;
  backend: Backend;
  json?: boolean;
}

/** Where a crawl writes: the summary on `out`, progress and notes on `err`. */
export interface CrawlIO {
  out(line: string): void;
  err: ProgressStream;
}

export interface CrawlRunOptions {
  /** Aborting stops the crawl cleanly (SIGINT). */
  signal?: AbortSignal;
  /** Checked every 250 ms: true stops the crawl (the demo stops once everything is fetched). */
  stopWhen?: (stats: CrawlerStats) => boolean;
  /** Crawler tunables beyond the flags. */
  crawler?: Partial<Omit<CrawlerOptions, 'store'>>;
  /** DHT options beyond the flags. */
  dht?: Partial<DHTOptions>;
  /** An already loaded core (the demo shares its swarm's). */
  core?: Core;
  /** Progress cadence off a terminal (default 5 s). */
  progressIntervalMs?: number;
  /** Called once the crawler runs (the demo then sets its swarm in motion). */
  onStarted?: (crawler: Crawler) => void;
}

/** A problem with the user's input or environment: printed as is, exit code 1. */
export class CrawlSetupError extends Error {
  override name = 'CrawlSetupError';
}

const MAX_IDS = 65_536;

export function parseIds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_IDS) throw new InvalidArgumentError(`--ids: expected a whole number from 1 to ${MAX_IDS}, got ${JSON.stringify(value)}`);
  return n;
}

export function parseDuration(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError(`--duration: expected a positive number of seconds, got ${JSON.stringify(value)}`);
  return seconds;
}

export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10_000) throw new InvalidArgumentError(`--concurrency: expected a whole number from 1 to 10000, got ${JSON.stringify(value)}`);
  return n;
}

export function parseDb(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('--db: expected a SQLite file or a postgres:// URL, got an empty string');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !isPostgresUrl(value)) {
    throw new InvalidArgumentError(`--db: only postgres:// or postgresql:// URLs are databases; anything else is a SQLite file path (got ${JSON.stringify(redact(value))})`);
  }
  return value;
}

export function parseSchema(value: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) throw new InvalidArgumentError(`--db-schema: expected a plain lower-case PostgreSQL name (a-z, 0-9, _), got ${JSON.stringify(value)}`);
  return value;
}

export function parseHost(value: string): string {
  if (isIP(value) === 0) throw new InvalidArgumentError(`--host: expected an IP address to bind (0.0.0.0, ::, 127.0.0.1, ...), got ${JSON.stringify(value)}`);
  return value;
}

/** `--bootstrap` may be repeated, each a host:port or a comma list. */
export function collectBootstrap(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...parseBootstrap(value)];
}

/** A URL without its password, for printing. */
export function redact(target: string): string {
  return target.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** Checks that need several flags together. */
export function checkCrawlFlags(flags: CrawlFlags): void {
  if (flags.torrents !== undefined && !flags.metadata) throw new CrawlSetupError('--torrents needs the metadata: drop --no-metadata, or --torrents');
  if (flags.dbSchema !== undefined && !isPostgresUrl(flags.db)) throw new CrawlSetupError('--db-schema is for PostgreSQL: give --db postgres://...');
}

async function openStore(flags: CrawlFlags): Promise<CrawlStore> {
  try {
    return isPostgresUrl(flags.db)
      ? await openPostgresStore({ url: flags.db, ...(flags.dbSchema ? { schema: flags.dbSchema } : {}) })
      : await openSqliteStore({ path: flags.db });
  } catch (error) {
    throw new CrawlSetupError(`cannot open the database ${redact(flags.db)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Run one crawl to its end (duration, signal or stopWhen) and return its summary. */
export async function runCrawl(flags: CrawlFlags, io: CrawlIO, options: CrawlRunOptions = {}): Promise<CrawlSummary> {
  checkCrawlFlags(flags);
  const store = await openStore(flags);
  let dht: DHT | undefined;
  let crawler: Crawler | undefined;
  let progress: ProgressReporter | undefined;
  try {
    if (flags.torrents !== undefined) {
      try {
        await mkdir(flags.torrents, { recursive: true });
      } catch (error) {
        throw new CrawlSetupError(`cannot use --torrents ${flags.torrents}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    dht = new DHT({
      ...options.dht,
      host: flags.host,
      port: flags.port,
      ids: flags.ids,
      ...(options.core ? { core: options.core } : { backend: flags.backend }),
      ...(flags.bootstrap ? { bootstrap: flags.bootstrap } : {}),
    });
    let warnings = 0;
    dht.on('warning', (error) => {
      if (++warnings <= 5) progress?.note(`warning: ${error.message}`);
      else if (warnings === 6) progress?.note('warning: further warnings not shown');
    });
    try {
      await dht.start();
    } catch (error) {
      throw new CrawlSetupError(`cannot listen on ${flags.host}:${flags.port}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const local = dht.address();
    let errors = 0;
    crawler = new Crawler(dht, {
      ...options.crawler,
      store,
      metadata: flags.metadata,
      concurrency: flags.concurrency,
      ...(flags.torrents !== undefined ? { torrentsDir: flags.torrents } : {}),
      onError: (error) => {
        if (++errors <= 5) progress?.note(`error: ${error instanceof Error ? error.message : String(error)}`);
        else if (errors === 6) progress?.note('error: further errors not shown (counted in the summary)');
      },
    });
    const c = crawler;
    progress = new ProgressReporter(io.err, () => c.stats(), { lineIntervalMs: options.progressIntervalMs ?? 5_000 });
    progress.note(
      `btdht crawl: listening on ${local.host}:${local.port} as ${flags.ids} id${flags.ids === 1 ? '' : 's'}, ` +
        `database ${store.kind} ${redact(flags.db)}, metadata ${flags.metadata ? 'on' : 'off'}` +
        (flags.duration !== undefined ? `, for ${flags.duration} s` : ', until SIGINT'),
    );
    await crawler.start();
    options.onStarted?.(crawler);
    await untilDone(crawler, flags.duration, options);
    progress.note('btdht crawl: stopping, writing the last batch');
    await crawler.stop();
    progress.stop();
    const stats = crawler.stats();
    const rows = await store.counts();
    return summarize(flags, local, stats, store.kind, rows);
  } finally {
    progress?.stop();
    await crawler?.stop();
    await dht?.stop();
    await store.close();
  }
}

function untilDone(crawler: Crawler, duration: number | undefined, options: CrawlRunOptions): Promise<void> {
  return new Promise((resolve) => {
    const timers: ReturnType<typeof setTimeout>[] = [];
    const done = (): void => {
      for (const timer of timers) clearTimeout(timer);
      clearInterval(poll);
      options.signal?.removeEventListener('abort', done);
      resolve();
    };
    if (duration !== undefined) timers.push(setTimeout(done, duration * 1000));
    const poll = setInterval(() => {
      if (options.stopWhen?.(crawler.stats())) done();
    }, 250);
    if (options.signal?.aborted) done();
    else options.signal?.addEventListener('abort', done, { once: true });
  });
}

function summarize(flags: CrawlFlags, local: { host: string; port: number }, stats: CrawlerStats, kind: CrawlStore['kind'], rows: { infohashes: number; torrents: number }): CrawlSummary {
  const i = stats.infohashes;
  const m = stats.metadata;
  const summary: CrawlSummary = {
    seconds: stats.uptimeMs / 1000,
    node: { host: local.host, port: local.port, ids: flags.ids },
    infohashes: { unique: i.unique.get_peers + i.unique.announce_peer + i.unique.sample, uniqueBySource: i.unique, sightings: i.seen },
    metadata: { enabled: m.enabled, fetched: m.fetched, failed: m.failed, retries: m.retries, alreadyFetched: m.alreadyFetched, dropped: m.dropped, failures: m.failures },
    store: {
      kind,
      target: redact(flags.db),
      itemsWritten: stats.store.itemsWritten,
      batches: stats.store.batches,
      itemsDropped: stats.store.itemsDropped,
      shedBatches: stats.store.shedBatches,
      errors: stats.store.errors,
      rows,
    },
  };
  if (flags.torrents !== undefined) summary.torrentFiles = { dir: flags.torrents, written: stats.torrentFiles.written, failed: stats.torrentFiles.failed };
  return summary;
}

/** Print the summary: JSON on one line with --json, else for people. */
export function printSummary(summary: CrawlSummary, json: boolean, out: (line: string) => void): void {
  if (json) out(JSON.stringify(summary));
  else for (const line of formatSummary(summary)) out(line);
}

/**
 * SIGINT / SIGTERM abort `controller` (a clean stop); a second one exits at
 * once. Returns a function that removes the handlers.
 */
export function stopOnSignals(controller: AbortController, note: (line: string) => void): () => void {
  let count = 0;
  const handler = (): void => {
    if (++count > 1) process.exit(130);
    note('btdht crawl: interrupted (again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export function registerCrawl(program: Command): void {
  program
    .command('crawl')
    .description('crawler mode: harvest infohashes from the DHT, fetch their torrents (BEP 9) into SQLite or PostgreSQL')
    .option('--ids <n>', 'node ids sharing one routing table and socket (1-65536)', parseIds, 16)
    .option('--db <file|url>', 'SQLite file, or postgres://user@host/db', parseDb, DEFAULT_CRAWL_DB)
    .option('--db-schema <name>', 'PostgreSQL schema for the tables (default public)', parseSchema)
    .option('--torrents <dir>', 'also write each fetched torrent as DIR/xx/<infohash>.torrent')
    .option('--duration <s>', 'stop after S seconds (default: at SIGINT)', parseDuration)
    .option('--bootstrap <host:port>', 'nodes or routers to join through (repeat, or a comma list; "" = none)', collectBootstrap)
    .option('--no-metadata', 'harvest infohashes only, fetch no torrents')
    .option('--port <port>', 'UDP port (0 = any)', parsePort, 6881)
    .option('--host <ip>', 'address to bind', parseHost, '0.0.0.0')
    .option('--concurrency <n>', 'torrents fetched at once', parseConcurrency, 64)
    .option('--backend <name>', 'core backend: wasm or js', parseBackend, 'wasm')
    .option('--json', 'print the summary as one JSON line')
    .action(async (flags: CrawlFlags) => {
      const controller = new AbortController();
      const release = stopOnSignals(controller, (line) => process.stderr.write(`\n${line}\n`));
      try {
        const summary = await runCrawl(flags, { out: (line) => console.log(line), err: process.stderr }, { signal: controller.signal });
        printSummary(summary, flags.json === true, (line) => console.log(line));
      } catch (error) {
        if (!(error instanceof CrawlSetupError)) throw error;
        console.error(`btdht crawl: ${error.message}`);
        process.exitCode = 1;
      } finally {
        release();
      }
    });
}
