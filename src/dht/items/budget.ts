/**
 * A node-wide budget for costly answers (a put's signature check, a sample):
 * a token bucket of `perSecond` with one second of burst. The per-IP limiter
 * in front of the dispatcher bounds each source; this bounds them all together.
 */
export class AnswerBudget {
  readonly #perMs: number;
  readonly #capacity: number;
  #tokens: number;
  #at: number | undefined;
  /** Answers refused so far. */
  refused = 0;

  constructor(perSecond: number) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`a budget must be a positive number per second, got ${String(perSecond)}`);
    this.#perMs = perSecond / 1000;
    this.#capacity = perSecond;
    this.#tokens = perSecond;
  }

  /** Spend one answer at `now` (ms); false when the budget is spent. */
  take(now: number): boolean {
    if (this.#at !== undefined) this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens < 1) {
      this.refused++;
      return false;
    }
    this.#tokens -= 1;
    return true;
  }
}
