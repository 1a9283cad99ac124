/**
 * Crawler mode: which of our ids we last used toward an address. A node we
 * query as id X checks us with a ping before adding X to its table (BEP 5
 * wants only nodes that answered); answering that ping as X, not as the
 * primary, lets X in. Bounded: the least recently written address goes first.
 */
import type { Endpoint } from '../../ground/address.ts';

export class AskedAs {
  readonly #ids = new Map<string, Uint8Array>();
  readonly #cap: number;

  constructor(cap: number) {
    this.#cap = cap;
  }

  get size(): number {
    return this.#ids.size;
  }

  get cap(): number {
    return this.#cap;
  }

  /** We queried `to` as `id` (one of our registered ids: kept by reference). */
  record(to: Endpoint, id: Uint8Array): void {
    const key = `${to.host}|${to.port}`;
    this.#ids.delete(key);
    if (this.#ids.size >= this.#cap) {
      const oldest = this.#ids.keys().next();
      if (!oldest.done) this.#ids.delete(oldest.value);
    }
    this.#ids.set(key, id);
  }

  /** The id we last queried `from` as, if remembered. */
  idFor(from: Endpoint): Uint8Array | undefined {
    return this.#ids.size === 0 ? undefined : this.#ids.get(`${from.host}|${from.port}`);
  }
}
