/**
 * Bounded dedup of infohashes: the `cap` most recently seen are kept exactly,
 * with a value each (a Map in recency order, so eviction takes the least
 * recently seen); evicted keys go into a bloom filter, so one seen again is
 * still known as "seen before" without memory growing with the crawl.
 *
 * Memory: the Map costs roughly 250–350 bytes per tracked infohash in V8 (a
 * 40-char key string, the Map entry, the value object), bounded by `cap`. The
 * bloom filter costs 1.2 bytes per evicted infohash at the default 1%
 * false-positive rate (1.2 MB per million; 1.8 MB per million at 0.1%), fixed
 * at construction for `evictedCapacity` keys. Past that load its
 * false-positive rate rises: `stats().bloomFalsePositiveRate` says by how much.
 * A false positive only makes a new infohash look already seen; a tracked
 * one is never misreported.
 */
import { BloomFilter } from './bloom.ts';

/** What `touch` / `status` found: tracked exactly, evicted (per the bloom filter), or never seen. */
export type SeenStatus = 'tracked' | 'evicted' | 'new';

export interface SeenSetOptions {
  /** Infohashes kept exactly (default 100,000). */
  cap?: number;
  /** Evicted infohashes the bloom filter is sized for (default 10,000,000). */
  evictedCapacity?: number;
  /** Bloom false-positive rate at `evictedCapacity` (default 0.01). */
  falsePositiveRate?: number;
  /** Bloom seeds (tests); random by default. */
  seeds?: readonly [number, number];
}

export interface SeenSetStats {
  tracked: number;
  cap: number;
  evicted: number;
  bloomBytes: number;
  bloomFalsePositiveRate: number;
}

/**
 * @example
 * import { SeenSet } from 'btdht/crawl';
 * const seen = new SeenSet<number>({ cap: 10_000 }); // beyond the cap, the least recent go to a bloom filter
 * const first = seen.touch('e3811b9539cacff680e418124272177c47477157', () => 0);
 * first.before; // 'new'
 * seen.touch('e3811b9539cacff680e418124272177c47477157', () => 0).before; // 'tracked'
 */
export class SeenSet<V> {
  readonly cap: number;
  readonly #entries = new Map<string, V>();
  /** Points at the oldest entry: everything it passed was evicted, re-inserted keys come after it. */
  #oldest: MapIterator<string> | undefined;
  readonly #evicted: BloomFilter;

  constructor(options: SeenSetOptions = {}) {
    this.cap = Math.max(1, Math.floor(options.cap ?? 100_000));
    this.#evicted = new BloomFilter({
      capacity: options.evictedCapacity ?? 10_000_000,
      falsePositiveRate: options.falsePositiveRate ?? 0.01,
      ...(options.seeds ? { seeds: options.seeds } : {}),
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Whether `key` was seen, without changing its recency. */
  status(key: string): SeenStatus {
    if (this.#entries.has(key)) return 'tracked';
    return this.#evicted.has(key) ? 'evicted' : 'new';
  }

  /** The tracked value, without changing its recency. */
  peek(key: string): V | undefined {
    return this.#entries.get(key);
  }

  /**
   * Record a sighting of `key`: its value becomes the most recent (made by
   * `create` if it was not tracked), evicting the least recent over the cap.
   * Returns the value and what was known of `key` before.
   */
  touch(key: string, create: () => V): { value: V; before: SeenStatus } {
    const existing = this.#entries.get(key);
    if (existing !== undefined) {
      this.#entries.delete(key); // re-insert: a Map iterates in insertion order
      this.#entries.set(key, existing);
      return { value: existing, before: 'tracked' };
    }
    const before: SeenStatus = this.#evicted.has(key) ? 'evicted' : 'new';
    const value = create();
    this.#entries.set(key, value);
    while (this.#entries.size > this.cap) {
      // One iterator kept across evictions: a fresh keys() would step over every
      // entry deleted since V8 last compacted the Map (~6× slower once full).
      let next = this.#oldest?.next();
      if (next === undefined || next.done) {
        this.#oldest = this.#entries.keys();
        next = this.#oldest.next();
      }
      const oldest = next.value as string;
      this.#entries.delete(oldest);
      this.#evicted.add(oldest);
    }
    return { value, before };
  }

  /** Tracked entries, least recently seen first. */
  entries(): IterableIterator<[string, V]> {
    return this.#entries.entries();
  }

  stats(): SeenSetStats {
    return {
      tracked: this.#entries.size,
      cap: this.cap,
      evicted: this.#evicted.added,
      bloomBytes: this.#evicted.byteLength,
      bloomFalsePositiveRate: this.#evicted.estimatedFalsePositiveRate(),
    };
  }
}
