/**
 * The answering side of BEP 33, as calls the node's handlers make (the
 * dispatch table declares BEP 33's flags on get_peers / announce_peer and
 * reads them, query-shapes.ts `FLAGS`; a node it is installed on by hand reads
 * them here):
 *
 * - get_peers: `flags(query)` reads `scrape` / `noseed`; with scrape=1 and
 *   records for the infohash, `extra(infohash)` gives `{ BFsd, BFpe }` to merge
 *   into `r`; `values(...)` honours noseed=1; `acceptsAnnounces(infohash)` is
 *   false at the 6000 cap (then the answer carries no token);
 * - announce_peer, once the peer is stored: `recordAnnounce(query, host, port)`
 *   (reads `seed`).
 *
 * `flags` and `recordAnnounce` decode the query's `a` only when its bytes
 * contain the key, so plain get_peers queries stay on the fast path.
 */
import type { BencodeDict, BencodeValue } from '../../ground/bencode.ts';
import type { KrpcQuery } from '../../ground/messages.ts';
import type { AddressFamily } from '../../ground/address.ts';
import type { Clock } from '../../ground/clock.ts';
import { asciiKey, mentions } from '../query-shapes.ts';
import type { ScrapeRecords } from './records.ts';

export interface GetPeersFlags {
  scrape: boolean;
  noseed: boolean;
}

const NO_FLAGS: GetPeersFlags = Object.freeze({ scrape: false, noseed: false });
const KEY_SCRAPE = asciiKey('scrape');
const KEY_NOSEED = asciiKey('noseed');
const KEY_SEED = asciiKey('seed');
/** Bytes for `values` beside two 256-byte filters, so a scrape answer stays near 1 KB (BEP 33 warns about packet sizes). */
const SCRAPE_VALUES_BYTES = 200;

export class ScrapeResponder {
  constructor(
    readonly records: ScrapeRecords,
    private readonly clock: Clock,
    private readonly decode: (bytes: Uint8Array) => BencodeValue,
  ) {}

  /** `scrape=1` / `noseed=1` of a get_peers query. */
  flags(query: KrpcQuery): GetPeersFlags {
    const scrape = mentions(query, KEY_SCRAPE);
    const noseed = mentions(query, KEY_NOSEED);
    if (!scrape && !noseed) return NO_FLAGS;
    const a = this.#body(query);
    if (!a) return NO_FLAGS;
    return { scrape: scrape && a['scrape'] === 1, noseed: noseed && a['noseed'] === 1 };
  }

  /** `{ BFsd, BFpe }` for a scrape=1 answer, or undefined when we hold nothing for the infohash (BEP 33: only "if ... the responding node has database entries"). */
  extra(infohash: Uint8Array): BencodeDict | undefined {
    const filters = this.records.filters(infohash, this.clock.now());
    return filters ? { BFpe: filters.peers, BFsd: filters.seeds } : undefined;
  }

  /** May we take more announces for `infohash` (give a token)? False at the cap. */
  acceptsAnnounces(infohash: Uint8Array, now: number = this.clock.now()): boolean {
    return !this.records.isFull(infohash, now);
  }

  /** Compact peers for `values`, non-seeds first with `noseed`. */
  values(infohash: Uint8Array, max: number, noseed: boolean): Uint8Array[] {
    return this.records.values(infohash, max, noseed, this.clock.now());
  }

  /** How many values fit beside the filters in a scrape answer. */
  maxScrapeValues(family: AddressFamily): number {
    return Math.floor(SCRAPE_VALUES_BYTES / ((family === 4 ? 6 : 18) + 3));
  }

  /** An announce_peer the node accepted: record the IP as seed (`seed=1`) or peer. */
  recordAnnounce(query: KrpcQuery, host: string, port: number): void {
    const infohash = query.a.info_hash;
    if (!infohash || infohash.length !== 20) return;
    this.recordPeer(infohash, host, port, this.isSeed(query));
  }

  /** An accepted announce whose `seed` flag was already read (the dispatch table's BEP 33 flags). */
  recordPeer(infohash: Uint8Array, host: string, port: number, seed: boolean): void {
    this.records.record(infohash, host, port, seed, this.clock.now());
  }

  /** Does an announce_peer query carry seed=1? */
  isSeed(query: KrpcQuery): boolean {
    return mentions(query, KEY_SEED) && this.#body(query)?.['seed'] === 1;
  }

  #body(query: KrpcQuery): BencodeDict | undefined {
    try {
      const a = this.decode(query.datagram.subarray(query.bodyStart, query.bodyEnd));
      return typeof a === 'object' && !(a instanceof Uint8Array) && !Array.isArray(a) ? a : undefined;
    } catch {
      return undefined;
    }
  }
}
