/**
 * BEP 33 "Changed announce accounting": per infohash, one record per IP
 * (seed or peer, with the last announced port). Unique <infohash, IP>; a
 * re-announce updates port and seed status and gives a new life.
 *
 * Records are packed (../swarm-table.ts): 16 bytes of IP (IPv4 as
 * IPv4-mapped IPv6) and 2 of port, the IP's two bloom bit indices, its seed
 * flag and family in the tag; ~100 bytes a record. An infohash's two bloom
 * filters are built from the stored bit indices when asked for (no SHA-1
 * again), and kept for the few largest swarms until one of their records
 * changes. Bounded: at most MAX_SCRAPE_ENTRIES seeds and as many peers per
 * infohash (a full infohash takes no new IP), and `maxTotal` records overall
 * (the oldest goes first).
 */
import { bytesKey } from '../../util/bytes.ts';
import type { RandomSource } from '../../ground/random.ts';
import { cryptoRandom } from '../../ground/random.ts';
import { writeIPv4, writeIPv6 } from '../../ground/address.ts';
import { NONE, SwarmTable } from '../swarm-table.ts';
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
  /** Seeds the table's hashing (default crypto). */
  random?: RandomSource;
}

/** The two filters of an infohash (BEP 33 `BFsd`, `BFpe`). */
export interface SwarmFilters {
  seeds: Uint8Array;
  peers: Uint8Array;
}

const RECORD_BYTES = 18;
const IP_BYTES = 16;
/** Tag: bit indices (11 bits each) in bits 0–21, then the seed flag and the family. */
const BIT_MASK = 0x7ff;
const SEED = 1 << 22;
const IPV6 = 1 << 23;
/** Per-infohash lanes: seeds held; whether its filters are cached. */
const LANE_SEEDS = 0;
const LANE_CACHED = 1;
/** Filters are kept for swarms of this many records or more (smaller ones are cheap to rebuild), this many swarms at most. */
const CACHE_FROM_RECORDS = 256;
const CACHE_SWARMS = 32;

export class ScrapeRecords {
  readonly #table: SwarmTable;
  readonly #sha1: Sha1 | undefined;
  readonly #maxPerInfohash: number;
  readonly #maxTotal: number;
  /** Built filters of the largest swarms, by infohash key, least recently used first. */
  readonly #cache = new Map<string, SwarmFilters>();
  /** One record being written: IP (16 bytes) and port. */
  readonly #scratch = new Uint8Array(RECORD_BYTES);

  constructor(options: ScrapeRecordsOptions = {}) {
    this.#sha1 = options.sha1;
    this.#maxPerInfohash = options.maxPerInfohash ?? MAX_SCRAPE_ENTRIES;
    this.#maxTotal = options.maxTotal ?? MAX_SCRAPE_RECORDS;
    this.#table = new SwarmTable({
      entryBytes: RECORD_BYTES,
      keyBytes: IP_BYTES,
      // The cap per infohash refuses new IPs (record()), it never evicts.
      maxPerInfohash: Infinity,
      maxTotal: this.#maxTotal,
      expiryMs: options.expiryMs ?? SCRAPE_RECORD_EXPIRY_MS,
      lanes: 2,
      onRemove: (entry, ih) => {
        if (this.#table.tag(entry) & SEED) this.#table.setLane(ih, LANE_SEEDS, this.#table.lane(ih, LANE_SEEDS) - 1);
        this.#changed(ih);
      },
      random: options.random ?? cryptoRandom,
    });
  }

  /** Records held. */
  get size(): number {
    return this.#table.size;
  }

  /** Records held at most. */
  get cap(): number {
    return this.#maxTotal;
  }

  get infohashCount(): number {
    return this.#table.infohashCount;
  }

  /** Bytes of the packed arrays behind the records, and of the cached filters (for the footprint benchmark). */
  get footprint(): number {
    return this.#table.footprint + this.#cache.size * 2 * 256;
  }

  /**
   * An accepted announce of `infohash` from `host` (an IP literal) for `port`.
   * False when not recorded: the infohash is full and this IP is new, or the host is not an IP.
   */
  record(infohash: Uint8Array, host: string, port: number, seed: boolean, now: number): boolean {
    this.#table.expire(now);
    if (!Number.isInteger(port) || port < 0 || port > 65535) return false;
    const record = this.#scratch;
    let ipv6 = false;
    record.fill(0);
    if (writeIPv4(host, record, 12)) {
      record[10] = 0xff;
      record[11] = 0xff;
    } else if (writeIPv6(host, record, 0)) {
      ipv6 = true;
    } else {
      return false;
    }
    record[16] = port >> 8;
    record[17] = port & 0xff;
    const table = this.#table;
    let ih = table.find(infohash);
    const old = ih === NONE ? NONE : table.findEntry(ih, record);
    let seedsDelta = seed ? 1 : 0;
    if (old !== NONE) {
      // Unique <infohash, IP>: port and seed status are updated, the record moves to the young end.
      if (table.tag(old) & SEED) seedsDelta--;
    } else if (ih !== NONE && Math.max(this.seeds(ih), table.count(ih) - this.seeds(ih)) >= this.#maxPerInfohash) {
      return false;
    }
    const ip = ipv6 ? record.subarray(0, IP_BYTES) : record.subarray(12, IP_BYTES);
    const [a, b] = old !== NONE ? [table.tag(old) & BIT_MASK, (table.tag(old) >> 11) & BIT_MASK] : bloomBits(ip, this.#sha1);
    const e = table.put(infohash, record, now, a | (b << 11) | (seed ? SEED : 0) | (ipv6 ? IPV6 : 0));
    ih = table.owner(e);
    if (seedsDelta !== 0) table.setLane(ih, LANE_SEEDS, this.seeds(ih) + seedsDelta);
    if (old === NONE || seedsDelta !== 0) this.#changed(ih);
    return true;
  }

  /** Seeds and peers recorded for `infohash`. */
  counts(infohash: Uint8Array, now: number): { seeds: number; peers: number } {
    this.#table.expire(now);
    const ih = this.#table.find(infohash);
    if (ih === NONE) return { seeds: 0, peers: 0 };
    const seeds = this.seeds(ih);
    return { seeds, peers: this.#table.count(ih) - seeds };
  }

  /** Is `infohash` at the cap (then its get_peers answers carry no token, BEP 33)? */
  isFull(infohash: Uint8Array, now: number): boolean {
    const { seeds, peers } = this.counts(infohash, now);
    return Math.max(seeds, peers) >= this.#maxPerInfohash;
  }

  /** The filters of `infohash` (copies), or undefined when nothing is recorded for it. */
  filters(infohash: Uint8Array, now: number): SwarmFilters | undefined {
    const table = this.#table;
    table.expire(now);
    const ih = table.find(infohash);
    if (ih === NONE) return undefined;
    const key = table.lane(ih, LANE_CACHED) ? bytesKey(infohash) : undefined;
    let built = key === undefined ? undefined : this.#cache.get(key);
    if (built) {
      this.#cache.delete(key!);
    } else {
      built = { seeds: createBloom(), peers: createBloom() };
      const bits: [number, number] = [0, 0];
      for (let e = table.first(ih); e !== NONE; e = table.next(e)) {
        const tag = table.tag(e);
        bits[0] = tag & BIT_MASK;
        bits[1] = (tag >> 11) & BIT_MASK;
        setBloomBits(tag & SEED ? built.seeds : built.peers, bits);
      }
    }
    if (table.count(ih) >= CACHE_FROM_RECORDS) {
      this.#cache.set(key ?? bytesKey(infohash), built);
      table.setLane(ih, LANE_CACHED, 1);
      if (this.#cache.size > CACHE_SWARMS) this.#cache.delete(this.#cache.keys().next().value!); // its lane flag stays: a later change only deletes nothing
    }
    return { seeds: built.seeds.slice(), peers: built.peers.slice() };
  }

  /**
   * Up to `max` compact peers of `infohash`, most recent first; with `noseed`,
   * peers before seeds (BEP 33: "fill the values list with non-seed items on a best-effort basis").
   */
  values(infohash: Uint8Array, max: number, noseed: boolean, now: number): Uint8Array[] {
    const table = this.#table;
    table.expire(now);
    const ih = table.find(infohash);
    if (ih === NONE || max <= 0) return [];
    const out: Uint8Array[] = [];
    // With noseed two passes (peers, then seeds), else one pass taking both.
    for (const pass of noseed ? [0, SEED] : [-1]) {
      for (let e = table.last(ih); e !== NONE && out.length < max; e = table.prev(e)) {
        const tag = table.tag(e);
        if (pass === -1 || (tag & SEED) === pass) out.push(this.#compact(e, tag));
      }
    }
    return out;
  }

  /** Drop records older than the expiry. */
  expire(now: number): void {
    this.#table.expire(now);
  }

  seeds(ih: number): number {
    return this.#table.lane(ih, LANE_SEEDS);
  }

  /** Compact peer info of record `e`: 6 bytes for an IPv4 announce, 18 for IPv6. */
  #compact(e: number, tag: number): Uint8Array {
    const data = this.#table.data;
    const at = e * RECORD_BYTES;
    return tag & IPV6 ? data.slice(at, at + RECORD_BYTES) : data.slice(at + 12, at + RECORD_BYTES);
  }

  /** A record of infohash `ih` came, went or changed kind: its cached filters are stale. */
  #changed(ih: number): void {
    if (this.#table.lane(ih, LANE_CACHED) === 0) return;
    this.#table.setLane(ih, LANE_CACHED, 0);
    const infohash = new Uint8Array(20);
    this.#table.copyInfohash(ih, infohash);
    this.#cache.delete(bytesKey(infohash));
  }
}
