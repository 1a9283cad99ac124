/** Counters the node keeps for `stats()`: cheap increments, snapshots on demand. */

/**
 * Counts by method (or error code, or drop reason) plus their `total`.
 * @example
 * import { DHT, type Counts } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const queries: Counts = dht.stats().queriesIn;
 * console.log(queries.total, 'queries in, of which get_peers:', queries['get_peers'] ?? 0);
 */
export type Counts = { total: number } & Record<string, number>;

/** Keyed counters. Keys are bounded by the caller (unknown methods are folded into one key). */
export class Counter {
  #counts: Record<string, number> = Object.create(null) as Record<string, number>;
  #total = 0;
  /** Keys a hot path counts by index (`slot`, `incSlot`): no dictionary lookup per increment. */
  readonly #slotKeys: string[] = [];
  readonly #slotCounts: number[] = [];

  inc(key: string | number): void {
    this.#counts[key] = (this.#counts[key] ?? 0) + 1;
    this.#total++;
  }

  /** The index `incSlot` counts `key` by (the same key always gets the same index). */
  slot(key: string): number {
    let at = this.#slotKeys.indexOf(key);
    if (at < 0) {
      at = this.#slotKeys.push(key) - 1;
      this.#slotCounts.push(0);
    }
    return at;
  }

  /** `inc(key)` for the key of `slot(key)`. */
  incSlot(at: number): void {
    this.#slotCounts[at]!++;
    this.#total++;
  }

  get total(): number {
    return this.#total;
  }

  get(key: string | number): number {
    const at = typeof key === 'string' ? this.#slotKeys.indexOf(key) : -1;
    return (this.#counts[key] ?? 0) + (at < 0 ? 0 : this.#slotCounts[at]!);
  }

  snapshot(): Counts {
    const counts: Counts = { ...this.#counts, total: this.#total };
    for (let i = 0; i < this.#slotKeys.length; i++) {
      const key = this.#slotKeys[i]!;
      const n = this.#slotCounts[i]!;
      if (n > 0) counts[key] = (counts[key] ?? 0) + n;
    }
    return counts;
  }
}

/** Iterative lookups by KRPC method: started, and how each ended. */
export class LookupCounters {
  readonly started = new Counter();
  /** Some node answered. */
  readonly ok = new Counter();
  /** Nobody answered (and it was not aborted). */
  readonly failed = new Counter();
  readonly aborted = new Counter();
  inFlight = 0;
}

/** How a lookup ended: some node answered, none did, or it was aborted (caller's signal, stop()). */
export type LookupOutcome = 'ok' | 'failed' | 'aborted';

/** Everything the node counts. */
export class NodeCounters {
  readonly lookups = new LookupCounters();
  readonly queriesIn = new Counter();
  readonly queriesOut = new Counter();
  readonly responsesIn = new Counter();
  readonly errorsIn = new Counter();
  readonly errorsOut = new Counter();
  readonly timeouts = new Counter();
  readonly drops = new Counter();
  /** Datagrams handed to the node by the transport, and sent by it. */
  datagramsIn = 0;
  datagramsOut = 0;
  /** Their UDP payload bytes. */
  bytesIn = 0;
  bytesOut = 0;
}

/** Method name used in counters for methods we neither handle nor hook (keeps the key set bounded). */
export const OTHER_METHOD = '(other)';

/** KRPC error codes in use: BEP 5's 201–204, BEP 44's 205–207, 301, 302. */
const KNOWN_ERROR_CODES = new Set([201, 202, 203, 204, 205, 206, 207, 301, 302]);

/** The counter key of a KRPC error code from the network: a known code, or one key for all others (keeps the key set bounded). */
export function errorCodeKey(code: number): string | number {
  return KNOWN_ERROR_CODES.has(code) ? code : OTHER_METHOD;
}
