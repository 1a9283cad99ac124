/**
 * The crawler's Prometheus metrics, read through `Crawler.stats()`, its
 * 'fetch' event (the duration histogram) and the store: harvest by source,
 * metadata fetched / failed / retried, the queue, connections, rows written,
 * and the database's rows and size. The database is asked at most every
 * `storeEveryMs` (a count over millions of rows is not free), in the background.
 */
import type { Histogram } from 'prom-client';
import type { CrawlerStats } from '../../crawl/crawler-stats.ts';
import type { CrawlFetchEvent } from '../../crawl/crawler.ts';
import type { StoreCounts } from '../../crawl/store/types.ts';
import type { Instruments, Levels, Totals } from './instruments.ts';

/** What the metrics read from a crawler (a `Crawler` is one). */
export interface CrawlSource {
  stats(): CrawlerStats;
  on(event: 'fetch', listener: (event: CrawlFetchEvent) => void): () => void;
}

/** What they read from its store (a `CrawlStore` is one). */
export interface StoreSource {
  counts(): Promise<StoreCounts>;
  sizeBytes(): Promise<number>;
}

/** Fetch durations, seconds: a fetch takes from well under a second to the 60 s default total timeout. */
export const FETCH_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];
const STORE_EVERY_MS = 15_000;

export class CrawlMetrics {
  readonly #source: CrawlSource;
  readonly #store: StoreSource | undefined;
  readonly #storeEveryMs: number;
  readonly #seen: Totals;
  readonly #new: Totals;
  readonly #tracked: Levels;
  readonly #walks: Totals;
  readonly #fetched: Totals;
  readonly #failed: Totals;
  readonly #retries: Totals;
  readonly #attemptFailures: Totals;
  readonly #alreadyFetched: Totals;
  readonly #dropped: Totals;
  readonly #lookups: Totals;
  readonly #duration: Histogram;
  readonly #queue: Levels;
  readonly #connections: Levels;
  readonly #written: Totals;
  readonly #batches: Totals;
  readonly #pending: Levels;
  readonly #itemsDropped: Totals;
  readonly #shed: Totals;
  readonly #storeErrors: Totals;
  readonly #filesWritten: Totals;
  readonly #filesFailed: Totals;
  readonly #rows: Levels;
  readonly #size: Levels;
  readonly #off: () => void;
  #storeReadAt = -Infinity;
  #storeReading: Promise<void> | undefined;

  constructor(instruments: Instruments, source: CrawlSource, store?: StoreSource, options: { storeEveryMs?: number } = {}) {
    this.#source = source;
    this.#store = store;
    this.#storeEveryMs = options.storeEveryMs ?? STORE_EVERY_MS;
    const m = instruments;
    this.#seen = m.counter('btdht_crawl_infohashes_seen_total', 'Infohash sightings, by source (get_peers, announce_peer, sample)', ['source']);
    this.#new = m.counter('btdht_crawl_infohashes_new_total', 'Infohashes first seen through each source', ['source']);
    this.#tracked = m.gauge('btdht_crawl_infohashes_tracked', "Infohashes held exactly by the harvester's dedup");
    this.#walks = m.counter('btdht_crawl_sample_walks_total', 'BEP 51 sample walks finished');
    this.#fetched = m.counter('btdht_crawl_metadata_fetched_total', 'Torrents fetched (BEP 9) and verified');
    this.#failed = m.counter('btdht_crawl_metadata_failed_total', 'Infohashes given up on (attempts spent, or a failure no retry fixes)');
    this.#retries = m.counter('btdht_crawl_metadata_retries_total', 'Fetch attempts after a failed one');
    this.#attemptFailures = m.counter('btdht_crawl_metadata_attempt_failures_total', 'Failed fetch attempts, by reason', ['reason']);
    this.#alreadyFetched = m.counter('btdht_crawl_metadata_already_fetched_total', 'Infohashes skipped: the store had their torrent');
    this.#dropped = m.counter('btdht_crawl_metadata_dropped_total', 'Infohashes a full fetch queue refused (left in the store)');
    this.#lookups = m.counter('btdht_crawl_metadata_lookups_total', 'get_peers lookups run for fetches');
    this.#duration = m.histogram('btdht_crawl_metadata_fetch_duration_seconds', 'Time of one fetch attempt, peer lookup included, by outcome', FETCH_SECONDS_BUCKETS, ['outcome']);
    this.#queue = m.gauge('btdht_crawl_queue_infohashes', 'Infohashes in the fetch queue: waiting, waiting for a retry, being fetched', ['state']);
    this.#connections = m.gauge('btdht_crawl_connections', 'Peer connections of the metadata fetcher', ['state']);
    this.#written = m.counter('btdht_crawl_store_items_written_total', 'Items (observations, torrents, failures) written to the database');
    this.#batches = m.counter('btdht_crawl_store_batches_total', 'Batches written to the database');
    this.#pending = m.gauge('btdht_crawl_store_items_pending', 'Items waiting for the next batch');
    this.#itemsDropped = m.counter('btdht_crawl_store_items_dropped_total', 'Items lost with a batch that failed to write');
    this.#shed = m.counter('btdht_crawl_store_shed_batches_total', 'Observation batches shed because the database fell behind');
    this.#storeErrors = m.counter('btdht_crawl_store_errors_total', 'Database reads or writes that failed');
    this.#filesWritten = m.counter('btdht_crawl_torrent_files_written_total', '.torrent files written');
    this.#filesFailed = m.counter('btdht_crawl_torrent_files_failed_total', '.torrent files that could not be written');
    this.#rows = m.gauge('btdht_crawl_db_rows', 'Rows in the database, by table (read every 15 s)', ['table']);
    this.#size = m.gauge('btdht_crawl_db_size_bytes', 'Size of the database: its file (SQLite) or its tables and indexes (PostgreSQL), read every 15 s');
    this.#off = source.on('fetch', (event) => this.#duration.observe({ outcome: event.outcome === 'fetched' ? 'fetched' : 'failed' }, event.durationMs / 1000));
  }

  /** Read the crawler once and set every instrument; the database when its numbers are older than `storeEveryMs`. */
  async update(now = Date.now()): Promise<CrawlerStats> {
    const stats = this.#source.stats();
    const { infohashes: i, metadata: md, store: s } = stats;
    this.#seen.reset();
    this.#seen.setBy('source', i.seen);
    this.#new.reset();
    this.#new.setBy('source', i.unique);
    this.#tracked.set(i.tracked);
    this.#walks.set(i.walks);
    this.#fetched.set(md.fetched);
    this.#failed.set(md.failed);
    this.#retries.set(md.retries);
    this.#attemptFailures.reset();
    this.#attemptFailures.setBy('reason', md.failures);
    this.#alreadyFetched.set(md.alreadyFetched);
    this.#dropped.set(md.dropped);
    this.#lookups.set(md.lookups);
    this.#queue.set(md.queued, { state: 'waiting' });
    this.#queue.set(md.retryWaiting, { state: 'retry_wait' });
    this.#queue.set(md.inFlight, { state: 'in_flight' });
    this.#connections.set(stats.connections.open, { state: 'open' });
    this.#connections.set(stats.connections.connecting, { state: 'connecting' });
    this.#written.set(s.itemsWritten);
    this.#batches.set(s.batches);
    this.#pending.set(s.pending);
    this.#itemsDropped.set(s.itemsDropped);
    this.#shed.set(s.shedBatches);
    this.#storeErrors.set(s.errors);
    this.#filesWritten.set(stats.torrentFiles.written);
    this.#filesFailed.set(stats.torrentFiles.failed);
    if (this.#store && this.#storeReading === undefined && now - this.#storeReadAt >= this.#storeEveryMs) {
      this.#storeReadAt = now;
      this.#storeReading = this.#readStore(this.#store).finally(() => (this.#storeReading = undefined));
    }
    // The first scrape waits for the database; later ones show the last numbers read.
    if (this.#storeReading && !this.#storeRead) await this.#storeReading;
    return stats;
  }

  #storeRead = false;

  async #readStore(store: StoreSource): Promise<void> {
    try {
      const [rows, size] = await Promise.all([store.counts(), store.sizeBytes()]);
      this.#rows.set(rows.infohashes, { table: 'infohashes' });
      this.#rows.set(rows.torrents, { table: 'torrents' });
      this.#size.set(size);
    } catch {
      // A store closing under us, or unreachable for a moment: keep the last numbers (its own errors are counted by the crawler).
    } finally {
      this.#storeRead = true;
    }
  }

  /** Stop listening to the crawler. */
  close(): void {
    this.#off();
  }
}
