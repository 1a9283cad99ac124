/** The crawler's options, their defaults, and the checks that name a bad one. */
import type { FetchedTorrent, FetchFailure, MetadataFetcherOptions } from './metadata/types.ts';
import type { SeenSetOptions } from './harvest/seen-set.ts';
import type { CrawlStore } from './store/types.ts';

/**
 * @example
 * import { DHT } from 'btdht';
 * import { Crawler, openCrawlStore, type CrawlerOptions } from 'btdht/crawl';
 * const dht = new DHT();
 * await dht.start();
 * // Harvest infohashes only (no torrent fetching), one sample walk every 2 minutes.
 * const options: CrawlerOptions = { store: await openCrawlStore('./crawl.sqlite'), metadata: false, walkIntervalMs: 120_000 };
 * const crawler = new Crawler(dht, options);
 * await crawler.start();
 */
export interface CrawlerOptions {
  /** Where harvested infohashes, torrents and failures go (the caller opens and closes it). */
  store: CrawlStore;
  /** Fetch torrents' metadata (BEP 9); false harvests infohashes only (default true). */
  metadata?: boolean;
  /** Also write a .torrent file per fetched torrent under this folder. */
  torrentsDir?: string;
  /** Run BEP 51 sample walks over and over (default true). */
  walk?: boolean;
  /** Pause between two sample walks (default 60 s). */
  walkIntervalMs?: number;
  /**
   * How long an infohash seen only in someone's get_peers waits before its
   * first fetch (default 2 s): a client announces right after its get_peers
   * lookup, and the announce brings the peer.
   */
  speculativeGraceMs?: number;
  /** When such an infohash found no peer on its first attempt, the wait before its second (default 8 s). */
  speculativeRetryMs?: number;
  /**
   * Swarm health: each fetched torrent is scraped (BEP 33) soon after its fetch
   * and then this often (default 6 h; 0 = never), its seeders and leechers
   * written to the store.
   */
  swarmCheckIntervalMs?: number;
  /** Scrapes at once for swarm health (default 2). */
  swarmConcurrency?: number;
  /** Fetched torrents kept on the swarm-check schedule at most (default 10,000; the least recently fetched dropped first). */
  swarmTracked?: number;
  /** Infohashes waiting for a fetch or a retry, at most (default 10,000; more are left in the store). */
  queueCap?: number;
  /** Infohashes fetched at once (default 64). */
  concurrency?: number;
  /** Fetch attempts per infohash, the first included (default 3). */
  maxAttempts?: number;
  /** Wait before the first retry, doubled for each next one (default 30 s). */
  retryDelayMs?: number;
  /** Longest wait before a retry (default 10 min). */
  maxRetryDelayMs?: number;
  /** Peers a get_peers lookup collects for one fetch (default 16). */
  peersPerLookup?: number;
  /** How long one get_peers lookup may take (default 15 s). */
  lookupTimeoutMs?: number;
  /**
   * Take unfetched infohashes from the store: at start (resuming an earlier
   * crawl) and whenever the queue runs low (what a full queue refused). Default true.
   */
  resume?: boolean;
  /** How often the queue is refilled from the store when it runs low (default 30 s). */
  refillIntervalMs?: number;
  /** Infohashes remembered as settled this crawl, sparing a store lookup (default 50,000). */
  settledCap?: number;
  /** Store writes: items per batch (default 1,000) and the longest wait before a partial one (default 1,000 ms). */
  batchItems?: number;
  batchDelayMs?: number;
  /** Harvest dedup bounds (see SeenSet). */
  seen?: SeenSetOptions;
  /** The metadata fetcher's limits and timeouts (its `peersFor` is the crawler's get_peers). */
  fetcher?: Omit<MetadataFetcherOptions, 'peersFor'>;
  /** A torrent was fetched, verified and handed to the store. */
  onTorrent?: (torrent: FetchedTorrent) => void;
  /** A fetch attempt failed; `retry` says whether another attempt will follow. */
  onFailure?: (infohash: string, reason: FetchFailure, retry: boolean) => void;
  /** A store write or a .torrent file failed (the crawl goes on). */
  onError?: (error: unknown) => void;
}

/**
 * @example
 * import { DHT } from 'btdht';
 * import { Crawler, openCrawlStore, type CrawlerSettings } from 'btdht/crawl';
 * const dht = new DHT();
 * const crawler = new Crawler(dht, { store: await openCrawlStore('./crawl.sqlite') });
 * const settings: Readonly<CrawlerSettings> = crawler.settings; // every option, defaults filled in
 * console.log(settings.concurrency, 'fetches at once,', settings.maxAttempts, 'attempts each');
 */
export interface CrawlerSettings {
  metadata: boolean;
  walk: boolean;
  walkIntervalMs: number;
  speculativeGraceMs: number;
  speculativeRetryMs: number;
  swarmCheckIntervalMs: number;
  swarmConcurrency: number;
  swarmTracked: number;
  queueCap: number;
  concurrency: number;
  maxAttempts: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  peersPerLookup: number;
  lookupTimeoutMs: number;
  resume: boolean;
  refillIntervalMs: number;
  settledCap: number;
  batchItems: number;
  batchDelayMs: number;
}

/**
 * @example
 * import { DHT } from 'btdht';
 * import { CRAWLER_DEFAULTS, Crawler, openCrawlStore } from 'btdht/crawl';
 * const dht = new DHT();
 * await dht.start();
 * const store = await openCrawlStore('./crawl.sqlite');
 * const crawler = new Crawler(dht, { store, concurrency: CRAWLER_DEFAULTS.concurrency / 4 }); // a gentler crawl
 */
export const CRAWLER_DEFAULTS: CrawlerSettings = {
  metadata: true,
  walk: true,
  walkIntervalMs: 60_000,
  speculativeGraceMs: 2_000,
  speculativeRetryMs: 8_000,
  swarmCheckIntervalMs: 6 * 60 * 60_000,
  swarmConcurrency: 2,
  swarmTracked: 10_000,
  queueCap: 10_000,
  concurrency: 64,
  maxAttempts: 3,
  retryDelayMs: 30_000,
  maxRetryDelayMs: 10 * 60_000,
  peersPerLookup: 16,
  lookupTimeoutMs: 15_000,
  resume: true,
  refillIntervalMs: 30_000,
  settledCap: 50_000,
  batchItems: 1_000,
  batchDelayMs: 1_000,
};

const COUNTS = ['swarmConcurrency', 'swarmTracked', 'queueCap', 'concurrency', 'maxAttempts', 'peersPerLookup', 'settledCap', 'batchItems'] as const;
const DURATIONS = ['walkIntervalMs', 'speculativeGraceMs', 'speculativeRetryMs', 'swarmCheckIntervalMs', 'retryDelayMs', 'maxRetryDelayMs', 'lookupTimeoutMs', 'refillIntervalMs', 'batchDelayMs'] as const;

/** Defaults filled in; throws naming the first bad option. */
export function resolveCrawlerOptions(options: CrawlerOptions): CrawlerSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('Crawler options must be an object');
  const store = options.store as Partial<CrawlStore> | undefined;
  if (typeof store?.write !== 'function' || typeof store.isFetched !== 'function') {
    throw new TypeError('Crawler option store must be a CrawlStore (openCrawlStore, openSqliteStore or openPostgresStore)');
  }
  const settings = { ...CRAWLER_DEFAULTS };
  for (const key of COUNTS) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`Crawler option ${key} must be a whole number of at least 1, got ${String(value)}`);
    settings[key] = value;
  }
  for (const key of DURATIONS) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`Crawler option ${key} must be a number of ms, 0 or more, got ${String(value)}`);
    settings[key] = value;
  }
  for (const key of ['metadata', 'walk', 'resume'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new TypeError(`Crawler option ${key} must be true or false, got ${String(value)}`);
    settings[key] = value;
  }
  if (options.torrentsDir !== undefined && (typeof options.torrentsDir !== 'string' || options.torrentsDir === '')) {
    throw new TypeError('Crawler option torrentsDir must be a folder path');
  }
  if (options.torrentsDir !== undefined && !settings.metadata) throw new TypeError('Crawler option torrentsDir needs metadata: true');
  return settings;
}
