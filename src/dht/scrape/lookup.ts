/**
 * scrape (BEP 33): a get_peers traversal with scrape=1 that ORs the `BFsd` /
 * `BFpe` filters of every responder and estimates seeds and peers from the
 * unions. A filter claiming more than the BEP's limit (nearly full) is not
 * believed. Answers with `values` but no filters (nodes without BEP 33) count
 * their IPs as peers, unless a seed filter already holds them.
 */
import type { BencodeDict } from '../../ground/bencode.ts';
import type { KrpcResponse } from '../../ground/messages.ts';
import { decodeCompactAddress } from '../../krpc/compact.ts';
import type { Candidate, TraversalResult, TraversalStrategy } from '../traversal.ts';
import type { Sha1 } from './bloom.ts';
import { BLOOM_BYTES, bloomEstimate, bloomHas, bloomInsert, bloomUnion, createBloom, zeroBits } from './bloom.ts';
import { MAX_BELIEVED_ESTIMATE } from './constants.ts';

/**
 * @example
 * import { DHT, type ScrapeResult } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const swarm: ScrapeResult = await dht.scrape('e3811b9539cacff680e418124272177c47477157');
 * console.log(`about ${swarm.seeds} seeds and ${swarm.peers} peers (BEP 33 estimates)`);
 */
export interface ScrapeResult extends TraversalResult {
  /** Estimated seeds and peers (rounded; 0 for an empty union). */
  seeds: number;
  peers: number;
  /** The unions of the filters received. */
  seedsFilter: Uint8Array;
  peersFilter: Uint8Array;
  /** Answers that carried filters, answers with only `values`, filters refused as implausible. */
  withFilters: number;
  legacy: number;
  refused: number;
}

/** Runs a traversal whose queries carry `extra` (see traversal.ts). */
export type ExtraRunner = (target: Uint8Array, strategy: TraversalStrategy, extra: BencodeDict, signal?: AbortSignal) => Promise<TraversalResult>;

export interface ScrapeCodec {
  decode(bytes: Uint8Array): unknown;
  sha1: Sha1;
}

export async function scrapeLookup(run: ExtraRunner, infohash: Uint8Array, codec: ScrapeCodec, signal?: AbortSignal): Promise<ScrapeResult> {
  const seedsFilter = createBloom();
  const peersFilter = createBloom();
  const legacyIps = new Map<string, Uint8Array>();
  let withFilters = 0;
  let legacy = 0;
  let refused = 0;
  const strategy: TraversalStrategy = {
    method: 'get_peers',
    args: { info_hash: infohash },
    onResponse(_candidate: Candidate, response: KrpcResponse) {
      const r = body(response, codec);
      const seeds = r?.['BFsd'];
      const peers = r?.['BFpe'];
      if (isFilter(seeds) && isFilter(peers)) {
        if (believable(seeds) && believable(peers)) {
          bloomUnion(seedsFilter, seeds);
          bloomUnion(peersFilter, peers);
          withFilters++;
        } else {
          refused++;
        }
        return undefined;
      }
      const values = response.r.values;
      if (!values || values.length === 0) return undefined;
      legacy++;
      for (const value of values) {
        const endpoint = decodeCompactAddress(value);
        if (!endpoint) continue;
        const ip = value.slice(0, value.length - 2);
        if (legacyIps.size < 10_000) legacyIps.set(String.fromCharCode(...ip), ip);
      }
      return undefined;
    },
  };
  const result = await run(infohash, strategy, { scrape: 1 }, signal);
  // Legacy answers: a peer filter built locally, without IPs some node called seeds.
  for (const ip of legacyIps.values()) if (!bloomHas(seedsFilter, ip, codec.sha1)) bloomInsert(peersFilter, ip, codec.sha1);
  return {
    ...result,
    seeds: estimate(seedsFilter),
    peers: estimate(peersFilter),
    seedsFilter,
    peersFilter,
    withFilters,
    legacy,
    refused,
  };
}

function estimate(filter: Uint8Array): number {
  return zeroBits(filter) === BLOOM_BYTES * 8 ? 0 : Math.round(bloomEstimate(filter));
}

function isFilter(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === BLOOM_BYTES;
}

function believable(filter: Uint8Array): boolean {
  return bloomEstimate(filter) <= MAX_BELIEVED_ESTIMATE;
}

function body(response: KrpcResponse, codec: ScrapeCodec): BencodeDict | undefined {
  try {
    const r = codec.decode(response.datagram.subarray(response.bodyStart, response.bodyEnd));
    return typeof r === 'object' && r !== null && !(r instanceof Uint8Array) && !Array.isArray(r) ? (r as BencodeDict) : undefined;
  } catch {
    return undefined;
  }
}
