/**
 * Which node's BEP 51 sample listed an infohash. A node samples the
 * infohashes it stores peers for, so a get_peers sent straight to it finds
 * them in one query, where a lookup toward the infohash costs tens of
 * queries (and most of the CPU a crawled torrent costs, bench:crawl). Fed by
 * the node's sample_infohashes answers (`dht.onResponse`): the raw `samples`
 * string is read from the answer's bytes, nothing else is decoded. Bounded:
 * the last `cap` infohashes, a few holders each; `take` forgets an infohash.
 */
import type { Endpoint } from '../../ground/address.ts';
import type { KrpcResponse } from '../../ground/messages.ts';
import { toHex } from '../../util/hex.ts';
import { scanSampleFields } from '../../dht/sample/scan.ts';

/** Holders kept per infohash (the first ones to list it). */
const HOLDERS_PER_INFOHASH = 2;

export class SampleHolders {
  readonly #cap: number;
  /** 40-hex infohash → holders; insertion order = oldest first. */
  readonly #byInfohash = new Map<string, Endpoint[]>();

  constructor(cap = 65_536) {
    if (!(Number.isInteger(cap) && cap > 0)) throw new RangeError(`SampleHolders: cap must be a positive integer, got ${String(cap)}`);
    this.#cap = cap;
  }

  get size(): number {
    return this.#byInfohash.size;
  }

  /** A sample_infohashes answer from `from`: each infohash it lists gains `from` as a holder. */
  note(response: KrpcResponse, from: Endpoint): void {
    const samples = samplesOf(response.datagram, response.bodyStart, response.bodyEnd);
    if (samples === undefined) return;
    const holder: Endpoint = { host: from.host, port: from.port, family: from.family };
    for (let offset = samples.start; offset + 20 <= samples.end; offset += 20) {
      const key = toHex(response.datagram.subarray(offset, offset + 20));
      const held = this.#byInfohash.get(key);
      if (held === undefined) {
        this.#byInfohash.set(key, [holder]);
        if (this.#byInfohash.size > this.#cap) this.#byInfohash.delete(this.#byInfohash.keys().next().value as string);
      } else if (held.length < HOLDERS_PER_INFOHASH && !held.some((h) => h.host === holder.host && h.port === holder.port)) {
        held.push(holder);
      }
    }
  }

  /** The holders of `infohash` (40 hex), forgotten from now on (one direct ask per infohash). */
  take(infohash: string): Endpoint[] {
    const held = this.#byInfohash.get(infohash);
    if (held === undefined) return [];
    this.#byInfohash.delete(infohash);
    return held;
  }
}

/**
 * The byte range of the `samples` string in the bencoded dictionary at
 * `start` (a top-level key only), or undefined: the walker's own reader
 * (dht/sample/scan.ts), every read bounded by `end`.
 */
export function samplesOf(bytes: Uint8Array, start: number, end: number): { start: number; end: number } | undefined {
  return scanSampleFields(bytes, start, end)?.samples;
}
