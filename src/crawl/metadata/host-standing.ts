/**
 * The order a fetch tries its peers in: a host that served verified metadata
 * lately first (a real seeder usually seeds more than one torrent), a host
 * that only failed lately without being hostile (rejected ut_metadata, hung,
 * refused or timed out the connect) last, the others between. Nothing is
 * skipped here (hostile hosts are the penalty box's): a demoted host is still
 * tried, after the others. Bounded like the penalty box: maps in insertion
 * order, the oldest entry goes first, an expired one is dropped when read.
 */

/** 0: served lately, 1: unknown, 2: failed lately (and did not serve). */
export type Standing = 0 | 1 | 2;

export class HostStanding {
  readonly #served = new Map<string, number>();
  readonly #failed = new Map<string, number>();
  readonly #capacity: number;
  readonly #memoryMs: number;
  readonly #now: () => number;

  constructor(capacity: number, memoryMs: number, now: () => number = Date.now) {
    this.#capacity = Math.max(1, capacity);
    this.#memoryMs = memoryMs;
    this.#now = now;
  }

  /** The host gave verified metadata. */
  served(host: string): void {
    this.#failed.delete(host);
    remember(this.#served, host, this.#now() + this.#memoryMs, this.#capacity);
  }

  /** The host failed without being hostile; ignored while it counts as having served. */
  failed(host: string): void {
    if (this.#live(this.#served, host)) return;
    remember(this.#failed, host, this.#now() + this.#memoryMs, this.#capacity);
  }

  standing(host: string): Standing {
    if (this.#served.size > 0 && this.#live(this.#served, host)) return 0;
    if (this.#failed.size > 0 && this.#live(this.#failed, host)) return 2;
    return 1;
  }

  #live(map: Map<string, number>, host: string): boolean {
    const until = map.get(host);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    map.delete(host);
    return false;
  }
}

function remember(map: Map<string, number>, host: string, until: number, capacity: number): void {
  map.delete(host); // re-inserted at the back: newest
  map.set(host, until);
  if (map.size > capacity) map.delete(map.keys().next().value as string);
}
