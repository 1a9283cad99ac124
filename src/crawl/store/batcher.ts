/**
 * Gathers observations, torrents and failures and writes them as one batch (one
 * transaction) when `maxItems` are waiting or `maxDelayMs` after the first, so
 * the database sees a few large transactions instead of many small ones. One
 * write at a time; a batch that fails is reported and dropped (its infohashes
 * are seen again, its torrents stay unfetched and are fetched again).
 */
import type { CrawlBatch, CrawlStore, FetchFailureRecord, InfohashObservation, TorrentRecord } from './types.ts';

export interface StoreBatcherOptions {
  /** Write when this many items wait (default 1000). */
  maxItems?: number;
  /** Write at most this long after the first waiting item (default 1000 ms). */
  maxDelayMs?: number;
  /** A batch failed to write (it is dropped). */
  onError?: (error: unknown) => void;
}

export interface StoreBatcherStats {
  batches: number;
  itemsWritten: number;
  itemsDropped: number;
  pending: number;
}

/**
 * @example
 * import { StoreBatcher, openCrawlStore } from 'btdht/crawl';
 * const store = await openCrawlStore('./crawl.sqlite');
 * const batcher = new StoreBatcher(store, { maxItems: 500, onError: (error) => console.error('batch dropped', error) });
 * batcher.observe({ infohash: 'e3811b9539cacff680e418124272177c47477157', source: 'sample', at: Date.now() });
 * await batcher.flush(); // written in one transaction
 * await store.close();
 */
export class StoreBatcher {
  readonly #store: CrawlStore;
  readonly #maxItems: number;
  readonly #maxDelayMs: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  #observations: InfohashObservation[] = [];
  #torrents: TorrentRecord[] = [];
  #failures: FetchFailureRecord[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #batches = 0;
  #written = 0;
  #dropped = 0;

  constructor(store: CrawlStore, options: StoreBatcherOptions = {}) {
    this.#store = store;
    this.#maxItems = Math.max(1, options.maxItems ?? 1000);
    this.#maxDelayMs = Math.max(0, options.maxDelayMs ?? 1000);
    this.#onError = options.onError;
  }

  get pending(): number {
    return this.#observations.length + this.#torrents.length + this.#failures.length;
  }

  stats(): StoreBatcherStats {
    return { batches: this.#batches, itemsWritten: this.#written, itemsDropped: this.#dropped, pending: this.pending };
  }

  observe(observation: InfohashObservation): void {
    this.#observations.push(observation);
    this.#added();
  }

  torrent(torrent: TorrentRecord): void {
    this.#torrents.push(torrent);
    this.#added();
  }

  failure(failure: FetchFailureRecord): void {
    this.#failures.push(failure);
    this.#added();
  }

  /** Write what waits now; resolves once it (and any write before it) is done. Never rejects. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.pending === 0) return this.#writing;
    const batch: CrawlBatch = { observations: this.#observations, torrents: this.#torrents, failures: this.#failures };
    const items = this.pending;
    this.#observations = [];
    this.#torrents = [];
    this.#failures = [];
    this.#writing = this.#writing.then(async () => {
      try {
        await this.#store.write(batch);
        this.#batches++;
        this.#written += items;
      } catch (error) {
        this.#dropped += items;
        this.#onError?.(error);
      }
    });
    return this.#writing;
  }

  #added(): void {
    if (this.pending >= this.#maxItems) {
      void this.flush();
      return;
    }
    if (this.#timer === undefined) {
      const timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#maxDelayMs);
      (timer as { unref?: () => void }).unref?.();
      this.#timer = timer;
    }
  }
}
