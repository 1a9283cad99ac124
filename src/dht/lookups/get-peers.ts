/**
 * get_peers lookup (BEP 5): walks toward the infohash like find_node, streams
 * the peers found in `values` as they arrive (each once), and keeps the token
 * of every responder so an announce can follow.
 */
import type { KrpcResponse } from '../../ground/messages.ts';
import type { Peer } from '../../krpc/compact.ts';
import { decodeCompactAddress } from '../../krpc/compact.ts';
import type { Candidate, TraversalResult, TraversalStrategy } from '../traversal.ts';
import type { LookupRunner } from './runner.ts';
import { MAX_PEERS_PER_LOOKUP } from '../constants.ts';

export interface GetPeersLookupOptions {
  /** Each new peer, as soon as it is seen. */
  onPeer?: (peer: Peer) => void;
  /** Stop the lookup once this many distinct peers were found. */
  limit?: number;
  /** Distinct peers kept at most (default MAX_PEERS_PER_LOOKUP); further new ones are ignored, the lookup goes on. */
  maxPeers?: number;
  signal?: AbortSignal;
}

export interface GetPeersResult extends TraversalResult {
  peers: Peer[];
}

export async function getPeersLookup(run: LookupRunner, infohash: Uint8Array, options: GetPeersLookupOptions = {}): Promise<GetPeersResult> {
  const peers: Peer[] = [];
  const seen = new Set<string>();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const maxPeers = options.maxPeers ?? MAX_PEERS_PER_LOOKUP;
  const strategy: TraversalStrategy = {
    method: 'get_peers',
    args: { info_hash: infohash },
    onResponse(candidate: Candidate, response: KrpcResponse) {
      const { token, values } = response.r;
      if (token && token.length > 0) candidate.token = token;
      if (!values) return undefined;
      for (const value of values) {
        if (peers.length >= maxPeers) break;
        const endpoint = decodeCompactAddress(value);
        if (!endpoint || endpoint.port === 0) continue;
        const key = `${endpoint.host}|${endpoint.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const peer: Peer = { host: endpoint.host, port: endpoint.port };
        peers.push(peer);
        options.onPeer?.(peer);
        if (peers.length >= limit) return 'stop';
      }
      return undefined;
    },
  };
  const result = await run(infohash, strategy, options.signal);
  return { ...result, peers };
}
