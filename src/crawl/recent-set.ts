/**
 * A set that forgets its oldest members past a cap: the infohashes this crawl
 * already settled (fetched, or given up on), so a second sighting does not
 * cost a store lookup. Forgetting is safe: the store still knows what was
 * fetched; the set only saves the question.
 */
export class RecentSet {
  readonly cap: number;
  readonly #members = new Set<string>();

  constructor(cap: number) {
    this.cap = Math.max(1, Math.floor(cap));
  }

  get size(): number {
    return this.#members.size;
  }

  has(key: string): boolean {
    return this.#members.has(key);
  }

  add(key: string): void {
    this.#members.delete(key); // re-added keys become the newest
    this.#members.add(key);
    if (this.#members.size > this.cap) this.#members.delete(this.#members.values().next().value as string);
  }
}
