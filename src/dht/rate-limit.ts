/**
 * Per-source-IP query budget (a one-second fixed window): a flood from one IP
 * costs us a Map lookup per datagram and no answers. Bounded: at most
 * RATE_LIMITER_MAX_IPS addresses are tracked per window; beyond that new
 * addresses pass untracked (failing open keeps the node useful under a spread-out flood).
 */
import { RATE_LIMITER_MAX_IPS } from './constants.ts';

export class RateLimiter {
  #window = Number.NEGATIVE_INFINITY;
  readonly #counts = new Map<string, number>();

  constructor(private readonly perSecond: number) {}

  /** May a query from `host` be answered at time `now` (ms)? */
  allow(host: string, now: number): boolean {
    const window = Math.floor(now / 1000);
    if (window !== this.#window) {
      this.#window = window;
      this.#counts.clear();
    }
    const count = this.#counts.get(host);
    if (count === undefined) {
      if (this.#counts.size < RATE_LIMITER_MAX_IPS) this.#counts.set(host, 1);
      return true;
    }
    if (count >= this.perSecond) return false;
    this.#counts.set(host, count + 1);
    return true;
  }
}
