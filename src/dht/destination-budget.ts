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
 * carries at most burst + 10 × perSecond datagrams. A query waits for its token,
 * or is refused when that would take longer than `maxWaitMs`. An answer, by
 * default, always leaves at once and spends a token, into debt if need be.
 *
 * That is not enough for a node that asks us more than the blocker allows: a
 * libtorrent client looking up many infohashes in a few seconds meets a crawler's
 * ids in nearly every lookup (several per lookup: its routing table's entry
 * and one learned from other nodes' answers), and our answers to its own
 * queries then get us banned — after which its lookups wait out 15 s timeouts
 * on us and its announces come late or never. With `answers` (crawler mode) an
 * answer takes its token like a query: sent later when the bucket is empty
 * (libtorrent's lookups go on past a 1 s "short timeout" and take a late
 * answer up to 15 s), dropped when it would wait longer than
 * `answers.maxWaitMs`; and a query leaves `answers.reserve` tokens for them:
 * it takes its token only when the reserve stays, and a query that must wait
 * reserves nothing — it asks again when told (the answers that come
 * meanwhile go first), within `maxWaitMs` in all.
 * Bounded: the least recently used destinations are forgotten first (a
 * forgotten one starts again with a full bucket).
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
  /** Answers held to the budget too (else they always leave at once, into debt). */
  answers?: { maxWaitMs: number; reserve: number };
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
  /** Tokens a query needs in the bucket to leave now (1, plus the answers' reserve). */
  readonly #queryFloor: number;
  readonly #answerWaitMs: number;
  readonly #buckets = new Map<string, Bucket>();
  /** The most recently used destination (last in `#buckets`). */
  #lastKey = '';
  #last: Bucket | undefined;
  #delayed = 0;
  #refused = 0;
  #answersDelayed = 0;
  #answersDropped = 0;

  constructor(options: DestinationBudgetOptions, clock: Clock) {
    this.#clock = clock;
    this.#perMs = options.perSecond / 1000;
    this.#burst = options.burst;
    this.#maxTracked = options.maxTracked;
    this.#maxWaitMs = options.maxWaitMs;
    this.#queryFloor = 1 + (options.answers?.reserve ?? 0);
    this.#answerWaitMs = options.answers?.maxWaitMs ?? -1;
  }

  /** Answers are held to the budget (`answers` given). */
  get holdsAnswers(): boolean {
    return this.#answerWaitMs >= 0;
  }

  /** A query's longest wait for its destination's budget. */
  get maxWaitMs(): number {
    return this.#maxWaitMs;
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

  /** Answers that waited for their destination's budget, and answers dropped for it. */
  get answersDelayed(): number {
    return this.#answersDelayed;
  }

  get answersDropped(): number {
    return this.#answersDropped;
  }

  /** An answer to `key`, when answers are not held: sent at once, paid for now (`now`: the caller's clock reading, if it has one). */
  spend(key: string, now: number = this.#clock.now()): void {
    const bucket = this.#bucket(key, now);
    bucket.tokens = Math.max(bucket.tokens - 1, -this.#burst);
  }

  /**
   * An answer to `key`, when answers are held: how long it must wait (0: send
   * now), its token then reserved; -1 when it would wait longer than
   * `answers.maxWaitMs` (dropped: nothing reserved).
   */
  admitAnswer(key: string, now: number = this.#clock.now()): number {
    const bucket = this.#bucket(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    const wait = Math.ceil((1 - bucket.tokens) / this.#perMs);
    if (wait > this.#answerWaitMs) {
      this.#answersDropped++;
      return -1;
    }
    bucket.tokens -= 1;
    this.#answersDelayed++;
    return wait;
  }

  /**
   * A query to `key`: how long it must wait (0: send now), its token then
   * reserved — holding answers, not reserved: ask again after the wait; -1
   * when it would wait longer than `maxWaitMs` (nothing reserved).
   */
  reserve(key: string): number {
    const bucket = this.#bucket(key, this.#clock.now());
    const floor = this.#queryFloor;
    if (bucket.tokens >= floor) {
      bucket.tokens -= 1;
      return 0;
    }
    const wait = Math.ceil((floor - bucket.tokens) / this.#perMs);
    if (wait > this.#maxWaitMs) {
      this.#refused++;
      return -1;
    }
    // Holding answers, a waiting query reserves nothing: the answers that come meanwhile go first.
    if (this.#answerWaitMs < 0) bucket.tokens -= 1;
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
