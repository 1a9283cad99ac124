/**
 * Where announced peers live. The node needs two operations (BEP 5's
 * announce_peer stores, get_peers reads), so the interface is two methods
 * plus counts; the in-memory store below is the default.
 *
 * Peers are compact peer info (6 or 18 bytes), as they go on the wire.
 */
import type { RandomSource } from '../ground/random.ts';
import { randomInt } from '../ground/random.ts';
import { MAX_PEERS_PER_INFOHASH, MAX_PEERS_TOTAL, MAX_VALUES, PEER_EXPIRY_MS, VALUES_BYTE_BUDGET } from './constants.ts';
import { NONE, SwarmTable } from './swarm-table.ts';

/**
 * @example
 * import { MemoryPeerStore, encodeCompactPeer, fromHex, type PeerStore } from 'btdht';
 * const store: PeerStore = new MemoryPeerStore({ random: (bytes) => crypto.getRandomValues(bytes) });
 * const infohash = fromHex('e3811b9539cacff680e418124272177c47477157');
 * store.add(infohash, encodeCompactPeer({ host: '192.0.2.7', port: 51413 }), Date.now());
 * store.get(infohash, 50, Date.now()); // [the 6-byte compact peer]
 */
export interface PeerStore {
  /** Store (or refresh) `peer` (compact peer info) under `infohash` at time `now`. */
  add(infohash: Uint8Array, peer: Uint8Array, now: number): void;
  /** Up to `max` live peers of `infohash` (a random subset if there are more). */
  get(infohash: Uint8Array, max: number, now: number): Uint8Array[];
  /** Peers stored. */
  readonly size: number;
  /** Infohashes with at least one peer. */
  readonly infohashCount: number;
}

export interface MemoryPeerStoreOptions {
  /** Peers expire this long after their last announce (default 30 min). */
  expiryMs?: number;
  /** Peers kept per infohash; the oldest announce is evicted beyond (default 2000). */
  maxPerInfohash?: number;
  /** Peers kept in total; the oldest announce is evicted beyond (default 100000). */
  maxTotal?: number;
  /** Length of every peer held: 6 (IPv4) or 18 (IPv6) bytes (default: the first peer's). */
  peerLength?: 6 | 18;
  random: RandomSource;
}

/** How many `entryLength`-byte peers fit one get_peers answer. */
export function maxValuesFor(entryLength: number): number {
  return Math.min(MAX_VALUES, Math.floor(VALUES_BYTE_BUDGET / (entryLength + 3)));
}

const EMPTY = new Uint8Array(0);

/**
 * One compact peer (6 or 18 bytes) from `data[from]` to `out[at]`, as a
 * bencoded list item (`6:` / `18:` first) when `item`: IPv4's six bytes
 * unrolled (3–4× faster than a byte loop, measured).
 */
function copyPeer(data: Uint8Array, from: number, out: Uint8Array, at: number, length: number, item: boolean): void {
  if (length === 6) {
    if (item) {
      out[at++] = 0x36;
      out[at++] = 0x3a;
    }
    out[at] = data[from]!;
    out[at + 1] = data[from + 1]!;
    out[at + 2] = data[from + 2]!;
    out[at + 3] = data[from + 3]!;
    out[at + 4] = data[from + 4]!;
    out[at + 5] = data[from + 5]!;
    return;
  }
  if (item) {
    out[at++] = 0x30 + Math.floor(length / 10);
    out[at++] = 0x30 + (length % 10);
    out[at++] = 0x3a;
  }
  for (const end = from + length; from < end; ) out[at++] = data[from++]!;
}

/**
 * In-memory peer store, packed (swarm-table.ts): ~100 bytes a peer whatever
 * the number of infohashes, nothing for the garbage collector to trace. The
 * oldest announce is evicted first, for an infohash and overall; a
 * re-announce refreshes a peer. One store holds peers of one length (one
 * address family, as BEP 32 keeps them apart).
 * @example
 * import { MemoryPeerStore, decodeCompactPeers, encodeCompactPeer, fromHex } from 'btdht';
 * const peers = new MemoryPeerStore({ random: (bytes) => crypto.getRandomValues(bytes), maxPerInfohash: 100, peerLength: 6 });
 * const infohash = fromHex('e3811b9539cacff680e418124272177c47477157');
 * peers.add(infohash, encodeCompactPeer({ host: '192.0.2.7', port: 51413 }), Date.now());
 * decodeCompactPeers(peers.get(infohash, 50, Date.now())); // [{ host: '192.0.2.7', port: 51413 }]
 */
export class MemoryPeerStore implements PeerStore {
  readonly #options: MemoryPeerStoreOptions;
  readonly #random: RandomSource;
  #table: SwarmTable | undefined;
  /** Entry numbers of one infohash, for drawing a random subset. */
  #picks = new Int32Array(0);
  /** Where compactPeers() packs its answer. */
  #packed = new Uint8Array(0);

  constructor(options: MemoryPeerStoreOptions) {
    for (const name of ['expiryMs', 'maxPerInfohash', 'maxTotal'] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new RangeError(`MemoryPeerStore: ${name} must be a positive integer, got ${String(value)}`);
    }
    if (options.peerLength !== undefined && options.peerLength !== 6 && options.peerLength !== 18) {
      throw new RangeError(`MemoryPeerStore: peerLength must be 6 or 18, got ${String(options.peerLength)}`);
    }
    this.#options = options;
    this.#random = options.random;
    if (options.peerLength !== undefined) this.#table = this.#createTable(options.peerLength);
  }

  get size(): number {
    return this.#table?.size ?? 0;
  }

  get infohashCount(): number {
    return this.#table?.infohashCount ?? 0;
  }

  /** Bytes of the packed arrays behind the store (for the footprint benchmark). */
  get footprint(): number {
    return (this.#table?.footprint ?? 0) + this.#picks.byteLength + this.#packed.byteLength;
  }

  add(infohash: Uint8Array, peer: Uint8Array, now: number): void {
    if (infohash.length !== 20) throw new RangeError(`MemoryPeerStore: an infohash is 20 bytes, got ${infohash.length}`);
    const table = (this.#table ??= this.#createTable(peer.length));
    if (peer.length !== table.entryBytes) throw new RangeError(`MemoryPeerStore: this store holds ${table.entryBytes}-byte peers, got ${peer.length} bytes`);
    table.expire(now);
    table.put(infohash, peer, now);
  }

  get(infohash: Uint8Array, max: number, now: number): Uint8Array[] {
    const packed = this.compactPeers(infohash, max, now);
    if (packed.length === 0) return [];
    const length = this.#table!.entryBytes;
    // One copy for the whole answer; the peers are views into it.
    const copy = packed.slice();
    const out: Uint8Array[] = [];
    for (let offset = 0; offset < copy.length; offset += length) out.push(copy.subarray(offset, offset + length));
    return out;
  }

  /**
   * Up to `max` live peers of `infohash` back to back (compact peer info, each
   * 6 or 18 bytes: BEP 5's `values` entries), a uniform random subset when
   * there are more. A view into the store's scratch, valid until the next call
   * on the store: encode it before anything else runs. No allocation once the
   * scratch has grown to the largest answer asked for.
   */
  compactPeers(infohash: Uint8Array, max: number, now: number): Uint8Array {
    return this.#draw(infohash, max, now, false);
  }

  /**
   * `compactPeers` (the same draw) as bencoded list items: `6:` (or `18:`)
   * before each peer, ready to go between a `values` list's `l` and `e`.
   * A view into the store's scratch, like compactPeers.
   */
  peerItems(infohash: Uint8Array, max: number, now: number): Uint8Array {
    return this.#draw(infohash, max, now, true);
  }

  #draw(infohash: Uint8Array, max: number, now: number, items: boolean): Uint8Array {
    const table = this.#table;
    // Nothing stored (the common case): no expiry walk, no lookup.
    if (!table || table.infohashCount === 0 || max <= 0) return EMPTY;
    table.expire(now);
    const ih = table.find(infohash);
    if (ih === NONE) return EMPTY;
    const length = table.entryBytes;
    const count = table.count(ih);
    const n = Math.min(count, max);
    // An item: `6:` / `18:` and the peer.
    const stride = items ? length + (length < 10 ? 2 : 3) : length;
    if (this.#packed.length < n * stride) this.#packed = new Uint8Array(n * stride);
    const data = table.data;
    const packed = this.#packed;
    // Copied by hand, not set(subarray): a view per 6-byte peer cost more than the copy (40% of a get_peers answer with 50 peers).
    if (count <= max) {
      let at = 0;
      for (let e = table.first(ih); e !== NONE; e = table.next(e), at += stride) copyPeer(data, e * length, packed, at, length, items);
      return packed.subarray(0, n * stride);
    }
    if (this.#picks.length < count) this.#picks = new Int32Array(count);
    const picks = this.#picks;
    let i = 0;
    for (let e = table.first(ih); e !== NONE; e = table.next(e)) picks[i++] = e;
    // Partial Fisher–Yates: a uniform random subset of `max`.
    for (i = 0; i < n; i++) {
      const j = i + randomInt(this.#random, count - i);
      const pick = picks[j]!;
      picks[j] = picks[i]!;
      picks[i] = pick;
      copyPeer(data, pick * length, packed, i * stride, length, items);
    }
    return packed.subarray(0, n * stride);
  }

  /** Up to `max` infohashes held (20 bytes each), a uniform random subset when there are more: BEP 51 samples. */
  infohashes(max: number, random: RandomSource): Uint8Array[] {
    const table = this.#table;
    if (!table || max <= 0) return [];
    const picks = new Int32Array(Math.min(max, table.infohashCount));
    const n = table.sample(max, random, picks);
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const infohash = new Uint8Array(20);
      table.copyInfohash(picks[i]!, infohash);
      out.push(infohash);
    }
    return out;
  }

  /** Drop peers whose last announce is older than the expiry. */
  expire(now: number): void {
    this.#table?.expire(now);
  }

  #createTable(peerLength: number): SwarmTable {
    if (peerLength !== 6 && peerLength !== 18) throw new RangeError(`MemoryPeerStore: a peer is 6 or 18 bytes (compact peer info), got ${peerLength}`);
    return new SwarmTable({
      entryBytes: peerLength,
      keyBytes: peerLength,
      maxPerInfohash: this.#options.maxPerInfohash ?? MAX_PEERS_PER_INFOHASH,
      maxTotal: this.#options.maxTotal ?? MAX_PEERS_TOTAL,
      expiryMs: this.#options.expiryMs ?? PEER_EXPIRY_MS,
      random: this.#random,
    });
  }
}
