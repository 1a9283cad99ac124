/**
 * Where announced peers live. The node needs two operations (BEP 5's
 * announce_peer stores, get_peers reads), so the interface is two methods
 * plus counts; the in-memory store below is the default.
 *
 * Peers are compact peer info (6 or 18 bytes), as they go on the wire.
 */
import type { RandomSource } from '../ground/random.ts';
import { randomInt } from '../ground/random.ts';
import { bytesKey, keyBytes } from '../util/bytes.ts';
import { reservoirSample } from './sample/source.ts';
import { MAX_PEERS_PER_INFOHASH, MAX_PEERS_TOTAL, MAX_VALUES, PEER_EXPIRY_MS, VALUES_BYTE_BUDGET } from './constants.ts';

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
  random: RandomSource;
}

interface Entry {
  peer: Uint8Array;
  announcedAt: number;
  infohashKey: string;
  peerKey: string;
  /** Key in the global age queue. */
  key: string;
}

/** How many `entryLength`-byte peers fit one get_peers answer. */
export function maxValuesFor(entryLength: number): number {
  return Math.min(MAX_VALUES, Math.floor(VALUES_BYTE_BUDGET / (entryLength + 3)));
}

/**
 * In-memory peer store. Both maps keep insertion order, and a re-announce
 * moves a peer to the end, so the oldest announce is always first: expiry and
 * eviction pop from the front, O(1) per peer removed.
 */
export class MemoryPeerStore implements PeerStore {
  readonly #byInfohash = new Map<string, Map<string, Entry>>();
  readonly #byAge = new Map<string, Entry>();
  readonly #expiryMs: number;
  readonly #maxPerInfohash: number;
  readonly #maxTotal: number;
  readonly #random: RandomSource;

  constructor(options: MemoryPeerStoreOptions) {
    this.#expiryMs = options.expiryMs ?? PEER_EXPIRY_MS;
    this.#maxPerInfohash = options.maxPerInfohash ?? MAX_PEERS_PER_INFOHASH;
    this.#maxTotal = options.maxTotal ?? MAX_PEERS_TOTAL;
    this.#random = options.random;
  }

  get size(): number {
    return this.#byAge.size;
  }

  get infohashCount(): number {
    return this.#byInfohash.size;
  }

  add(infohash: Uint8Array, peer: Uint8Array, now: number): void {
    this.expire(now);
    const infohashKey = bytesKey(infohash);
    const peerKey = bytesKey(peer);
    let peers = this.#byInfohash.get(infohashKey);
    if (!peers) {
      peers = new Map();
      this.#byInfohash.set(infohashKey, peers);
    }
    const old = peers.get(peerKey);
    if (old) this.#remove(old);
    const entry: Entry = { peer: peer.slice(), announcedAt: now, infohashKey, peerKey, key: infohashKey + peerKey };
    peers.set(peerKey, entry);
    if (!this.#byInfohash.has(infohashKey)) this.#byInfohash.set(infohashKey, peers);
    this.#byAge.set(entry.key, entry);
    if (peers.size > this.#maxPerInfohash) this.#remove(peers.values().next().value as Entry);
    if (this.#byAge.size > this.#maxTotal) this.#remove(this.#byAge.values().next().value as Entry);
  }

  get(infohash: Uint8Array, max: number, now: number): Uint8Array[] {
    // Nothing stored (the common case): no expiry walk, no key string.
    if (this.#byInfohash.size === 0 || max <= 0) return [];
    this.expire(now);
    const peers = this.#byInfohash.get(bytesKey(infohash));
    if (!peers || max <= 0) return [];
    const all: Uint8Array[] = [];
    for (const entry of peers.values()) all.push(entry.peer);
    if (all.length <= max) return all;
    // Partial Fisher–Yates: a uniform random subset of `max`.
    for (let i = 0; i < max; i++) {
      const j = i + randomInt(this.#random, all.length - i);
      const swap = all[i]!;
      all[i] = all[j]!;
      all[j] = swap;
    }
    return all.slice(0, max);
  }

  /** Up to `max` infohashes held (20 bytes each), a uniform random subset when there are more: BEP 51 samples. */
  infohashes(max: number, random: RandomSource): Uint8Array[] {
    return reservoirSample(this.#byInfohash.keys(), max, random).map(keyBytes);
  }

  /** Drop peers whose last announce is older than the expiry. */
  expire(now: number): void {
    for (const entry of this.#byAge.values()) {
      if (now - entry.announcedAt < this.#expiryMs) break;
      this.#remove(entry);
    }
  }

  #remove(entry: Entry): void {
    this.#byAge.delete(entry.key);
    const peers = this.#byInfohash.get(entry.infohashKey);
    if (!peers) return;
    peers.delete(entry.peerKey);
    if (peers.size === 0) this.#byInfohash.delete(entry.infohashKey);
  }
}
