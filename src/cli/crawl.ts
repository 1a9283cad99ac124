/**
 * `btdht crawl`: run a DHT node in crawler mode — harvest infohashes (get_peers,
 * announce_peer, BEP 51 sample walks), fetch and verify their torrents
 * (BEP 9), keep it all in SQLite or PostgreSQL — with a progress line on
 * stderr and a summary at the end. SIGINT / SIGTERM (or --duration) stop it
 * cleanly: the last batch is written.
 */
import { mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { DHT } from '../dht/dht.ts';
import { checkStateFile, StateFileError } from '../dht/state.ts';
import type { DHTOptions } from '../dht/options.ts';
import type { Backend, Core } from '../core/types.ts';
import { Crawler } from '../crawl/crawler.ts';
import { CRAWLER_DEFAULTS, type CrawlerOptions } from '../crawl/crawler-options.ts';
import type { CrawlerStats } from '../crawl/crawler-stats.ts';
import { isPostgresUrl } from '../crawl/store/open.ts';
import { openSqliteStore } from '../crawl/store/sqlite.ts';
import type { CrawlStore } from '../crawl/store/types.ts';
import { DEFAULT_CRAWL_DB, redact } from './crawl-flags.ts';
import { ListenError, parseListenAddress, type ListenAddress } from '../web/listen.ts';
import type { MetricsServer } from '../web/metrics-server.ts';
import type { MetricsHub } from '../web/metrics/hub.ts';
import { newMetricsHub } from './metrics.ts';
import { EXIT } from './exit.ts';
import { flagOf, type Settings } from './option-table.ts';
import { raisedCaps } from './crawl-caps.ts';
import { addTableOptions, dhtOptionsOf } from './settings.ts';
import { createLogWriter } from './log-writer.ts';
import { Retention } from '../crawl/retention.ts';
import { IndexOpenError } from '../web/index/reader.ts';
import type { RunningIndex } from './serve-index.ts';
import { ProgressReporter, formatSummary, type CrawlSummary, type ProgressStream } from './crawl-progress.ts';

export { collectBootstrap, DEFAULT_CRAWL_DB, parseConcurrency, parseDb, parseDuration, parseHost, parseIds, parseSchema, redact } from './crawl-flags.ts';


export interface CrawlFlags {
  /** How many node ids, or their hex prefixes. */
  ids: number | readonly string[];
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
  /** Serve the search index over the database meanwhile (--serve). */
  serve?: ListenAddress;
  /** Retention (--max-torrents, --max-db-bytes, --prune-by). */
  maxTorrents?: number;
  maxDbBytes?: number;
  pruneBy?: 'oldest' | 'least-seeded';
  /** Serve /metrics and the dashboard here. */
  metrics?: ListenAddress;
  /** Swarm health (BEP 33 scrapes of fetched torrents): period (0 = off), scrapes at once, torrents tracked. */
  swarmCheckIntervalMs?: number;
  swarmConcurrency?: number;
  swarmTracked?: number;
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
  /** How often retention checks the limits (default 10 s). */
  retentionIntervalMs?: number;
}

/** A problem with the user's input or environment, found before the crawl starts: printed as is, exit code 2. */
export class CrawlSetupError extends Error {
  override name = 'CrawlSetupError';
}

/**
 * Something failed while the crawl stopped (e.g. the state could not be saved):
 * reported on stderr, exit code 1. Everything else was closed first, the
 * database after its last batch.
 */
export class CrawlStopError extends Error {
  override name = 'CrawlStopError';
  constructor(
    readonly failures: readonly unknown[],
    /** The crawl's summary, when it ran to its end before the failure. */
    readonly summary?: CrawlSummary,
  ) {
    super(failures.map((error) => (error instanceof Error ? error.message : String(error))).join('; '), { cause: failures[0] });
  }
}

/** Checks that need several flags together. */
export function checkCrawlFlags(flags: CrawlFlags): void {
  if (flags.torrents !== undefined && !flags.metadata) throw new CrawlSetupError('--torrents needs the metadata: drop --no-metadata, or --torrents');
  if (flags.dbSchema !== undefined && !isPostgresUrl(flags.db)) throw new CrawlSetupError('--db-schema is for PostgreSQL: give --db postgres://...');
}

async function openStore(flags: CrawlFlags): Promise<CrawlStore> {
  try {
    return isPostgresUrl(flags.db)
      ? await (await import('../crawl/store/postgres.ts')).openPostgresStore({ url: flags.db, ...(flags.dbSchema ? { schema: flags.dbSchema } : {}) })
      : await openSqliteStore({ path: flags.db });
  } catch (error) {
    throw new CrawlSetupError(`cannot open the database ${redact(flags.db)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Run one crawl to its end (duration, signal or stopWhen) and return its summary. */
export async function runCrawl(flags: CrawlFlags, io: CrawlIO, options: CrawlRunOptions = {}): Promise<CrawlSummary> {
  checkCrawlFlags(flags);
  // A state file that cannot be used is bad usage, found before anything opens or binds.
  const stateFile = options.dht?.stateFile;
  if (stateFile !== undefined) {
    try {
      await checkStateFile(stateFile);
    } catch (error) {
      throw error instanceof StateFileError ? new CrawlSetupError(error.message) : error;
    }
  }
  // The metrics port first: taken, it is a usage error before anything else opens.
  const hub = flags.metrics === undefined ? undefined : await newMetricsHub();
  const metrics = flags.metrics === undefined || hub === undefined ? undefined : await startMetricsServer(flags.metrics, hub);
  let store: CrawlStore;
  try {
    store = await openStore(flags);
  } catch (error) {
    await metrics?.close();
    throw error;
  }
  let dht: DHT | undefined;
  let crawler: Crawler | undefined;
  let progress: ProgressReporter | undefined;
  let index: RunningIndex | undefined;
  let retention: Retention | undefined;
  let summary: CrawlSummary | undefined;
  let failed = false;
  try {
    if (flags.serve !== undefined) {
      try {
        // Loaded on use, as the metrics server and the PostgreSQL store are: a plain crawl starts without them.
        const { startIndex } = await import('./serve-index.ts');
        index = await startIndex(flags.db, flags.serve, { ...(flags.dbSchema !== undefined ? { schema: flags.dbSchema } : {}), what: '--serve' });
      } catch (error) {
        if (error instanceof ListenError || error instanceof IndexOpenError) throw new CrawlSetupError(error.message);
        throw error;
      }
    }
    if (flags.maxTorrents !== undefined || flags.maxDbBytes !== undefined) {
      retention = new Retention(store, {
        by: flags.pruneBy ?? 'oldest',
        ...(flags.maxTorrents !== undefined ? { maxTorrents: flags.maxTorrents } : {}),
        ...(flags.maxDbBytes !== undefined ? { maxBytes: flags.maxDbBytes } : {}),
        ...(options.retentionIntervalMs !== undefined ? { intervalMs: options.retentionIntervalMs } : {}),
      });
    }
    if (flags.torrents !== undefined) {
      try {
        await mkdir(flags.torrents, { recursive: true });
      } catch (error) {
        throw new CrawlSetupError(`cannot use --torrents ${flags.torrents}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    try {
      dht = new DHT({
        ...options.dht,
        host: flags.host,
        port: flags.port,
        ids: typeof flags.ids === 'number' ? flags.ids : [...flags.ids],
        ...(options.core ? { core: options.core } : { backend: flags.backend }),
        ...(flags.bootstrap ? { bootstrap: flags.bootstrap } : {}),
      });
    } catch (error) {
      throw new CrawlSetupError(error instanceof Error ? error.message : String(error));
    }
    hub?.addNode(dht);
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
    const idCount = typeof flags.ids === 'number' ? flags.ids : flags.ids.length;
    let errors = 0;
    crawler = new Crawler(dht, {
      ...options.crawler,
      store,
      metadata: flags.metadata,
      concurrency: flags.concurrency,
      ...(flags.swarmCheckIntervalMs !== undefined ? { swarmCheckIntervalMs: flags.swarmCheckIntervalMs } : {}),
      ...(flags.swarmConcurrency !== undefined ? { swarmConcurrency: flags.swarmConcurrency } : {}),
      ...(flags.swarmTracked !== undefined ? { swarmTracked: flags.swarmTracked } : {}),
      ...(flags.torrents !== undefined ? { torrentsDir: flags.torrents } : {}),
      onError: (error) => {
        if (++errors <= 5) progress?.note(`error: ${error instanceof Error ? error.message : String(error)}`);
        else if (errors === 6) progress?.note('error: further errors not shown (counted in the summary)');
      },
    });
    const c = crawler;
    hub?.addCrawler(crawler, store);
    progress = new ProgressReporter(io.err, () => c.stats(), { lineIntervalMs: options.progressIntervalMs ?? 5_000 });
    if (metrics) progress.note(`btdht crawl: metrics at ${metrics.url}/metrics, dashboard at ${metrics.url}/`);
    progress.note(
      `btdht crawl: listening on ${local.host}:${local.port} as ${idCount} id${idCount === 1 ? '' : 's'}, ` +
        `database ${store.kind} ${redact(flags.db)}, metadata ${flags.metadata ? 'on' : 'off'}` +
        (flags.duration !== undefined ? `, for ${flags.duration} s` : ', until SIGINT'),
    );
    // Crawler mode raises caps over a node's (crawl-caps.ts): each one said, with the flag that sets it.
    const raised = raisedCaps(options.dht ?? {});
    if (raised.length === 0) progress.note('btdht crawl: caps at the node defaults');
    for (const cap of raised) {
      progress.note(`btdht crawl: cap raised: ${cap.key} ${cap.value === 0 ? '0 (unlimited)' : cap.value} (node default ${cap.nodeDefault}; ${flagOf(cap)} sets it)`);
    }
    if (index !== undefined) progress.note(`btdht crawl: search index at ${index.url}/ (API ${index.url}/api)`);
    await crawler.start();
    retention?.start();
    options.onStarted?.(crawler);
    await untilDone(crawler, flags.duration, options);
    progress.note('btdht crawl: stopping, writing the last batch');
    await crawler.stop();
    await retention?.stop();
    progress.stop();
    const stats = crawler.stats();
    const rows = await store.counts();
    summary = summarize(flags, local, stats, store.kind, rows, flags.swarmCheckIntervalMs ?? options.crawler?.swarmCheckIntervalMs ?? CRAWLER_DEFAULTS.swarmCheckIntervalMs);
    summary.raisedCaps = raisedCaps(options.dht ?? {});
    if (retention !== undefined) {
      summary.retention = {
        by: flags.pruneBy ?? 'oldest',
        removed: retention.removed,
        errors: retention.errors,
        ...(flags.maxTorrents !== undefined ? { maxTorrents: flags.maxTorrents } : {}),
        ...(flags.maxDbBytes !== undefined ? { maxDbBytes: flags.maxDbBytes, usedBytes: await store.usedBytes() } : {}),
      };
    }
    return summary;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // Everything is closed whatever fails on the way (the store last: its final batch is written by crawler.stop());
    // the first failure is reported once all is closed.
    const failures: unknown[] = [];
    const close = async (step: () => unknown): Promise<void> => {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    };
    progress?.stop();
    await close(() => metrics?.close());
    await close(() => hub?.close());
    await close(() => crawler?.stop());
    // Rejects when the last state save failed (the node is stopped all the same).
    await close(() => dht?.stop());
    await close(() => index?.close());
    await close(() => store.close());
    // An error from the crawl itself goes on as it is (a failed stop beside it is said on stderr); otherwise a failed stop is the crawl's outcome.
    if (failures.length > 0 && failed) io.err.write(`btdht crawl: also failed while stopping: ${new CrawlStopError(failures).message}\n`);
    if (failures.length > 0 && !failed) throw new CrawlStopError(failures, summary);
  }
}

async function startMetricsServer(address: ListenAddress, hub: MetricsHub): Promise<MetricsServer> {
  try {
    const { MetricsServer } = await import('../web/metrics-server.ts');
    return await MetricsServer.start(address, { hub, title: 'btdht crawl' });
  } catch (error) {
    if (error instanceof ListenError) throw new CrawlSetupError(error.message);
    throw error;
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

function summarize(flags: CrawlFlags, local: { host: string; port: number }, stats: CrawlerStats, kind: CrawlStore['kind'], rows: { infohashes: number; torrents: number }, swarmCheckIntervalMs: number): CrawlSummary {
  const i = stats.infohashes;
  const m = stats.metadata;
  const summary: CrawlSummary = {
    seconds: stats.uptimeMs / 1000,
    node: { host: local.host, port: local.port, ids: typeof flags.ids === 'number' ? flags.ids : flags.ids.length },
    infohashes: { unique: i.unique.get_peers + i.unique.announce_peer + i.unique.sample, uniqueBySource: i.unique, sightings: i.seen },
    metadata: { enabled: m.enabled, fetched: m.fetched, failed: m.failed, retries: m.retries, alreadyFetched: m.alreadyFetched, dropped: m.dropped, failures: m.failures, holderAsks: m.holderAsks, holderPeers: m.holderPeers, lookups: m.lookups, lookupPeers: m.lookupPeers },
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
  if (stats.swarm !== undefined) {
    const { checks, failed, recorded, tracked } = stats.swarm;
    summary.swarm = { checkIntervalMs: swarmCheckIntervalMs, checks, failed, recorded, tracked };
  }
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

/** The crawl's flags from its settings (flags over the config file over the defaults). */
export function crawlFlagsOf(settings: Settings): CrawlFlags {
  return {
    ids: settings.ids ?? 16,
    db: settings.db ?? DEFAULT_CRAWL_DB,
    ...(settings.dbSchema !== undefined ? { dbSchema: settings.dbSchema } : {}),
    ...(settings.torrents !== undefined ? { torrents: settings.torrents } : {}),
    ...(settings.duration !== undefined ? { duration: settings.duration } : {}),
    ...(settings.bootstrap !== undefined ? { bootstrap: settings.bootstrap } : {}),
    metadata: settings.metadata ?? true,
    port: settings.port ?? 6881,
    host: settings.host ?? '0.0.0.0',
    concurrency: settings.concurrency ?? 64,
    backend: settings.backend ?? 'wasm',
    json: settings.json ?? false,
    ...(settings.serve !== undefined ? { serve: parseListenAddress(settings.serve, '--serve') } : {}),
    ...(settings.maxTorrents !== undefined ? { maxTorrents: settings.maxTorrents } : {}),
    ...(settings.maxDbBytes !== undefined ? { maxDbBytes: settings.maxDbBytes } : {}),
    ...(settings.pruneBy !== undefined ? { pruneBy: settings.pruneBy as 'oldest' | 'least-seeded' } : {}),
    ...(settings.metrics !== undefined ? { metrics: parseListenAddress(settings.metrics, '--metrics') } : {}),
    ...(settings.swarmCheckIntervalMs !== undefined ? { swarmCheckIntervalMs: settings.swarmCheckIntervalMs } : {}),
    ...(settings.swarmConcurrency !== undefined ? { swarmConcurrency: settings.swarmConcurrency } : {}),
    ...(settings.swarmTracked !== undefined ? { swarmTracked: settings.swarmTracked } : {}),
  };
}

export function registerCrawl(program: Command): void {
  const command = program
    .command('crawl')
    .description('crawler mode: harvest infohashes from the DHT, fetch their torrents (BEP 9) into SQLite or PostgreSQL');
  const readSettings = addTableOptions(command, 'crawl');
  command.action(async (raw: Record<string, unknown>) => {
    const settings = await readSettings(raw);
    const flags = crawlFlagsOf(settings);
    const controller = new AbortController();
    const release = stopOnSignals(controller, (line) => process.stderr.write(`\n${line}\n`));
    try {
      const summary = await runCrawl(flags, { out: (line) => console.log(line), err: process.stderr }, {
        signal: controller.signal,
        // The node's log events (bootstrap, state saves, warnings; lookups at debug) on stderr, beside the progress line.
        dht: { ...dhtOptionsOf(settings, 'crawl'), logger: createLogWriter({ level: settings.logLevel ?? 'error', format: settings.logFormat ?? 'text' }) },
      });
      printSummary(summary, flags.json === true, (line) => console.log(line));
    } catch (error) {
      if (error instanceof CrawlStopError) {
        // What was crawled is reported as it is; the failure after it, and no success.
        if (error.summary !== undefined) printSummary(error.summary, flags.json === true, (line) => console.log(line));
        console.error(`btdht crawl: ${error.message}`);
        process.exitCode = EXIT.failure;
        return;
      }
      if (!(error instanceof CrawlSetupError)) throw error;
      console.error(`btdht crawl: ${error.message}`);
      process.exitCode = EXIT.usage;
    } finally {
      release();
    }
  });
}
