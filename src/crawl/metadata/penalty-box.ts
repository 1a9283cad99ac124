/**
 * IPs that sent garbage or a wrong hash, skipped for a while. Bounded: a Map in
 * insertion order, so when full the oldest entry goes first, and an expired
 * entry is dropped when it is looked at or reaches the front.
 */
export class PenaltyBox {
  readonly #until = new Map<string, number>();
  readonly #capacity: number;
  readonly #penaltyMs: number;
  readonly #now: () => number;

  constructor(capacity: number, penaltyMs: number, now: () => number = Date.now) {
    this.#capacity = Math.max(1, capacity);
    this.#penaltyMs = penaltyMs;
    this.#now = now;
  }

  get size(): number {
    return this.#until.size;
  }

  penalize(host: string): void {
    this.#until.delete(host); // re-insert at the back: newest
    this.#until.set(host, this.#now() + this.#penaltyMs);
    this.#trim();
  }

  has(host: string): boolean {
    const until = this.#until.get(host);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(host);
    return false;
  }

  #trim(): void {
    const now = this.#now();
    for (const [host, until] of this.#until) {
      if (this.#until.size <= this.#capacity && until > now) break;
      this.#until.delete(host);
    }
  }
}
