/**
 * BEP 33 "Changed announce accounting": per infohash, one record per IP
 * (seed or peer, with the last announced port). Unique <infohash, IP>; a
 * re-announce updates port and seed status and gives a new life.
 *
 * Each infohash keeps its two bloom filters; a new IP sets its bits at once,
 * while an expiry or a peer turning seed marks them for a rebuild from the
 * bits stored per record (no SHA-1 again). Bounded: at most
 * MAX_SCRAPE_ENTRIES seeds and as many peers per infohash (a full infohash
 * takes no new IP), and `maxTotal` records overall (the oldest goes first).
 */
import { bytesKey } from '../../util/bytes.ts';
import { encodeCompactAddress } from '../../krpc/compact.ts';
import type { Sha1 } from './bloom.ts';
import { bloomBits, createBloom, setBloomBits } from './bloom.ts';
import { MAX_SCRAPE_ENTRIES, MAX_SCRAPE_RECORDS, SCRAPE_RECORD_EXPIRY_MS } from './constants.ts';

export interface ScrapeRecordsOptions {
  sha1?: Sha1;
  /** Seeds, and peers, per infohash at most (default 6000). */
  maxPerInfohash?: number;
  /** Records in total at most (default 100000). */
  maxTotal?: number;
  /** A record expires this long after its last announce (default 30 min). */
  expiryMs?: number;
}

/** The two filters of an infohash (BEP 33 `BFsd`, `BFpe`). */
export interface SwarmFilters {
  seeds: Uint8Array;
  peers: Uint8Array;
}

interface Record {
  swarm: Swarm;
  ipKey: string;
  /** Key in the age queue. */
  key: string;
  /** Compact peer info (IP + port). */
  peer: Uint8Array;
  seed: boolean;
  bits: readonly [number, number];
  at: number;
}

interface Swarm {
  key: string;
  records: Map<string, Record>;
  seeds: number;
  peers: number;
  filters: SwarmFilters;
  /** The filters lost bits' owners: rebuild before use. */
  stale: boolean;
}

export class ScrapeRecords {
  readonly #swarms = new Map<string, Swarm>();
  /** Every record, oldest announce first. */
  readonly #byAge = new Map<string, Record>();
  readonly #sha1: Sha1 | undefined;
  readonly #maxPerInfohash: number;
  readonly #maxTotal: number;
  readonly #expiryMs: number;

  constructor(options: ScrapeRecordsOptions = {}) {
    this.#sha1 = options.sha1;
    this.#maxPerInfohash = options.maxPerInfohash ?? MAX_SCRAPE_ENTRIES;
    this.#maxTotal = options.maxTotal ?? MAX_SCRAPE_RECORDS;
    this.#expiryMs = options.expiryMs ?? SCRAPE_RECORD_EXPIRY_MS;
  }

  /** Records held. */
  get size(): number {
    return this.#byAge.size;
  }

  /** Records held at most. */
  get cap(): number {
    return this.#maxTotal;
  }

  get infohashCount(): number {
    return this.#swarms.size;
  }

  /**
   * An accepted announce of `infohash` from `host` (an IP literal) for `port`.
   * False when not recorded: the infohash is full and this IP is new, or the host is not an IP.
   */
  record(infohash: Uint8Array, host: string, port: number, seed: boolean, now: number): boolean {
    this.expire(now);
    const peer = encodeCompactAddress(host, port);
    if (!peer) return false;
    const ip = peer.subarray(0, peer.length - 2);
    const swarmKey = bytesKey(infohash);
    const ipKey = bytesKey(ip);
    let swarm = this.#swarms.get(swarmKey);
    const old = swarm?.records.get(ipKey);
    if (old) {
      // Unique <infohash, IP>: port and seed status are updated, the record moves to the young end.
      if (old.seed !== seed) {
        swarm!.seeds += seed ? 1 : -1;
        swarm!.peers += seed ? -1 : 1;
        swarm!.stale = true;
      }
      old.seed = seed;
      old.peer = peer;
      old.at = now;
      swarm!.records.delete(ipKey);
      swarm!.records.set(ipKey, old);
      this.#byAge.delete(old.key);
      this.#byAge.set(old.key, old);
      return true;
    }
    if (swarm && Math.max(swarm.seeds, swarm.peers) >= this.#maxPerInfohash) return false;
    if (!swarm) {
      swarm = { key: swarmKey, records: new Map(), seeds: 0, peers: 0, filters: { seeds: createBloom(), peers: createBloom() }, stale: false };
      this.#swarms.set(swarmKey, swarm);
    }
    const record: Record = { swarm, ipKey, key: swarmKey + ipKey, peer, seed, bits: bloomBits(ip, this.#sha1), at: now };
    swarm.records.set(ipKey, record);
    this.#byAge.set(record.key, record);
    if (seed) swarm.seeds++;
    else swarm.peers++;
    if (!swarm.stale) setBloomBits(seed ? swarm.filters.seeds : swarm.filters.peers, record.bits);
    if (this.#byAge.size > this.#maxTotal) this.#remove(this.#byAge.values().next().value as Record);
    return true;
  }

  /** Seeds and peers recorded for `infohash`. */
  counts(infohash: Uint8Array, now: number): { seeds: number; peers: number } {
    this.expire(now);
    const swarm = this.#swarms.get(bytesKey(infohash));
    return { seeds: swarm?.seeds ?? 0, peers: swarm?.peers ?? 0 };
  }

  /** Is `infohash` at the cap (then its get_peers answers carry no token, BEP 33)? */
  isFull(infohash: Uint8Array, now: number): boolean {
    const { seeds, peers } = this.counts(infohash, now);
    return Math.max(seeds, peers) >= this.#maxPerInfohash;
  }

  /** The filters of `infohash` (copies), or undefined when nothing is recorded for it. */
  filters(infohash: Uint8Array, now: number): SwarmFilters | undefined {
    this.expire(now);
    const swarm = this.#swarms.get(bytesKey(infohash));
    if (!swarm) return undefined;
    if (swarm.stale) {
      const seeds = createBloom();
      const peers = createBloom();
      for (const record of swarm.records.values()) setBloomBits(record.seed ? seeds : peers, record.bits);
      swarm.filters = { seeds, peers };
      swarm.stale = false;
    }
    return { seeds: swarm.filters.seeds.slice(), peers: swarm.filters.peers.slice() };
  }

  /**
   * Up to `max` compact peers of `infohash`, most recent first; with `noseed`,
   * peers before seeds (BEP 33: "fill the values list with non-seed items on a best-effort basis").
   */
  values(infohash: Uint8Array, max: number, noseed: boolean, now: number): Uint8Array[] {
    this.expire(now);
    const swarm = this.#swarms.get(bytesKey(infohash));
    if (!swarm || max <= 0) return [];
    const all = [...swarm.records.values()].reverse();
    if (noseed) all.sort((a, b) => Number(a.seed) - Number(b.seed)); // stable: recency kept within each kind
    return all.slice(0, max).map((record) => record.peer.slice());
  }

  /** Drop records older than the expiry. */
  expire(now: number): void {
    for (const record of this.#byAge.values()) {
      if (now - record.at < this.#expiryMs) break;
      this.#remove(record);
    }
  }

  #remove(record: Record): void {
    this.#byAge.delete(record.key);
    const swarm = record.swarm;
    if (swarm.records.get(record.ipKey) !== record) return;
    swarm.records.delete(record.ipKey);
    if (record.seed) swarm.seeds--;
    else swarm.peers--;
    swarm.stale = true;
    if (swarm.records.size === 0) this.#swarms.delete(swarm.key);
  }
}
