/**
 * Rates for the progress line: counters sampled once a second into a short
 * ring, so "per second over the last 10 s" and "per minute over the last
 * 60 s" cost one subtraction, whatever the traffic.
 */

interface Sample<K extends string> {
  at: number;
  counts: Record<K, number>;
}

export class RateWindow<K extends string> {
  readonly #samples: Sample<K>[] = [];
  readonly #capacity: number;

  /** Keeps `capacity` samples: with one a second, rates over up to that many seconds. */
  constructor(capacity = 61) {
    this.#capacity = Math.max(2, capacity);
  }

  /** Record the cumulative counters as they are at `at` (ms). */
  sample(at: number, counts: Record<K, number>): void {
    this.#samples.push({ at, counts: { ...counts } });
    if (this.#samples.length > this.#capacity) this.#samples.shift();
  }

  /**
   * Increase per `unitMs` of each counter, from the oldest sample no older
   * than `spanMs` to `current` (the live counters at `now`); 0 before there is
   * history to compare with.
   */
  rate(now: number, current: Record<K, number>, spanMs: number, unitMs: number): Record<K, number> {
    const out = {} as Record<K, number>;
    const base = this.#samples.find((s) => s.at >= now - spanMs && s.at < now);
    for (const key of Object.keys(current) as K[]) {
      if (base === undefined) {
        out[key] = 0;
        continue;
      }
      const elapsed = now - base.at;
      out[key] = elapsed > 0 ? ((current[key] - (base.counts[key] ?? 0)) * unitMs) / elapsed : 0;
    }
    return out;
  }
}
