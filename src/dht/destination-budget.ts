/**
 * What one remote node receives from us, queries and answers together, kept
 * under the rate at which real clients stop listening.
 *
 * libtorrent (kademlia/dos_blocker.cpp) counts the datagrams each source IP
 * sends it and, once 50 arrive within 10 s, drops everything from that IP for
 * 5 minutes — answers to its own queries included, so the sender looks dead to
 * it and gets no announces. A crawler that runs many lookups through a few
 * nodes crosses that line in seconds (test/interop/libtorrent: every libtorrent
 * node of the loopback world banned the crawler within 10 s).
 *
 * One token bucket per destination (address and port: the blocker lives in the
 * receiving process): `perSecond` tokens a second, `burst` at most, so any 10 s
 * carries at most burst + 10 × perSecond datagrams. An answer always leaves
 * (silence would make us look dead) and spends a token, into debt if need be; a
 * query waits for its token, or is refused when that would take longer than
 * `maxWaitMs`. Bounded: the least recently used destinations are forgotten
 * first (a forgotten one starts again with a full bucket).
 */
import type { Clock } from '../ground/clock.ts';
import type { Endpoint } from '../ground/address.ts';

export interface DestinationBudgetOptions {
  perSecond: number;
  burst: number;
  /** Destinations remembered at most. */
  maxTracked: number;
  /** A query that would wait longer is refused. */
  maxWaitMs: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export class DestinationBudget {
  readonly #clock: Clock;
  readonly #perMs: number;
  readonly #burst: number;
  readonly #maxTracked: number;
  readonly #maxWaitMs: number;
  readonly #buckets = new Map<string, Bucket>();
  /** The most recently used destination (last in `#buckets`). */
  #lastKey = '';
  #last: Bucket | undefined;
  #delayed = 0;
  #refused = 0;

  constructor(options: DestinationBudgetOptions, clock: Clock) {
    this.#clock = clock;
    this.#perMs = options.perSecond / 1000;
    this.#burst = options.burst;
    this.#maxTracked = options.maxTracked;
    this.#maxWaitMs = options.maxWaitMs;
  }

  /** Destinations remembered now. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Queries that waited for their destination's budget, and queries refused for it. */
  get delayed(): number {
    return this.#delayed;
  }

  get refused(): number {
    return this.#refused;
  }

  /** An answer to `key`: sent at once, paid for now (`now`: the caller's clock reading, if it has one). */
  spend(key: string, now: number = this.#clock.now()): void {
    const bucket = this.#bucket(key, now);
    bucket.tokens = Math.max(bucket.tokens - 1, -this.#burst);
  }

  /**
   * A query to `key`: how long it must wait (0: send now), its token then
   * reserved; -1 when it would wait longer than `maxWaitMs` (nothing reserved).
   */
  reserve(key: string): number {
    const bucket = this.#bucket(key, this.#clock.now());
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    const wait = Math.ceil((1 - bucket.tokens) / this.#perMs);
    if (wait > this.#maxWaitMs) {
      this.#refused++;
      return -1;
    }
    bucket.tokens -= 1;
    this.#delayed++;
    return wait;
  }

  #bucket(key: string, now: number): Bucket {
    // The same destination again (a busy asker): already the most recently used, no re-insert (a Map delete + set per answer showed at ~20% of the answer path's CPU).
    const last = this.#last;
    if (last !== undefined && key === this.#lastKey) {
      const elapsed = now - last.at;
      if (elapsed > 0) last.tokens = Math.min(this.#burst, last.tokens + elapsed * this.#perMs);
      last.at = now;
      return last;
    }
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now };
      if (this.#buckets.size >= this.#maxTracked) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
    } else {
      this.#buckets.delete(key); // re-inserted: most recently used last
      const elapsed = now - bucket.at;
      if (elapsed > 0) bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsed * this.#perMs);
      bucket.at = now;
    }
    this.#buckets.set(key, bucket);
    this.#lastKey = key;
    this.#last = bucket;
    return bucket;
  }
}

/** The budget's key of a destination. */
export function destinationKey(to: Endpoint): string {
  return `${to.host}|${to.port}`;
}
