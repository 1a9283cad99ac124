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

/** Holders kept per infohash (the first ones to list it). */
const HOLDERS_PER_INFOHASH = 2;
const SAMPLES_KEY = [0x37, 0x3a, 0x73, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x73]; // '7:samples'

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
 * `start` (a top-level key only), or undefined. The decoder has checked the
 * dictionary; every read is still bounded by `end`.
 */
export function samplesOf(bytes: Uint8Array, start: number, end: number): { start: number; end: number } | undefined {
  if (bytes[start] !== 0x64) return undefined; // 'd'
  let p = start + 1;
  while (p < end && bytes[p] !== 0x65) {
    const keyAt = p;
    p = skipValue(bytes, p, end); // the key
    if (p < 0) return undefined;
    const isSamples = p - keyAt === SAMPLES_KEY.length && SAMPLES_KEY.every((c, i) => bytes[keyAt + i] === c);
    const valueAt = p;
    p = skipValue(bytes, p, end);
    if (p < 0) return undefined;
    if (isSamples) {
      const colon = bytes.indexOf(0x3a, valueAt);
      if (bytes[valueAt]! < 0x30 || bytes[valueAt]! > 0x39 || colon < 0 || colon >= p) return undefined;
      return { start: colon + 1, end: p };
    }
  }
  return undefined;
}

/** The offset after the bencoded value at `p`, or -1 if it runs past `end` or is not bencode. */
function skipValue(b: Uint8Array, p: number, end: number): number {
  const c = b[p];
  if (c === 0x69) {
    // i<digits>e
    const e = b.indexOf(0x65, p);
    return e < 0 || e >= end ? -1 : e + 1;
  }
  if (c === 0x6c || c === 0x64) {
    p++;
    while (p < end && b[p] !== 0x65) {
      p = skipValue(b, p, end);
      if (p < 0) return -1;
    }
    return p < end ? p + 1 : -1;
  }
  let n = 0;
  let digits = 0;
  while (p < end && b[p]! >= 0x30 && b[p]! <= 0x39 && digits < 10) {
    n = n * 10 + (b[p++]! - 0x30);
    digits++;
  }
  if (digits === 0 || b[p] !== 0x3a) return -1;
  const after = p + 1 + n;
  return after > end ? -1 : after;
}
