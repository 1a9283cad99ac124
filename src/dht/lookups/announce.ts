/**
 * Announce (BEP 5): a get_peers lookup that ends with the k nearest nodes and
 * their tokens, then announce_peer to each of those that gave a token.
 */
import type { QueryArgs } from '../../ground/messages.ts';
import type { Endpoint } from '../../ground/address.ts';
import type { QueryOutcome } from '../transactions.ts';
import { getPeersLookup } from './get-peers.ts';
import type { GetPeersResult } from './get-peers.ts';
import type { LookupRunner } from './runner.ts';

export interface AnnounceOptions {
  /** The peer's port (ignored by the storing node when impliedPort is set). */
  port: number;
  /** Ask the storing nodes to use our UDP source port (BEP 5 implied_port). */
  impliedPort: boolean;
  signal?: AbortSignal;
  /** Distinct peers the get_peers step keeps at most. */
  maxPeers?: number;
}

export interface AnnounceResult {
  /** Nodes that accepted the announce. */
  accepted: number;
  /** Nodes asked to store it. */
  asked: number;
  lookup: GetPeersResult;
}

export type AnnounceSender = (to: Endpoint, args: QueryArgs, nodeId: Uint8Array | undefined) => Promise<QueryOutcome>;

export async function announceLookup(
  run: LookupRunner,
  send: AnnounceSender,
  infohash: Uint8Array,
  options: AnnounceOptions,
): Promise<AnnounceResult> {
  const lookup = await getPeersLookup(run, infohash, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxPeers !== undefined ? { maxPeers: options.maxPeers } : {}),
  });
  const targets = lookup.aborted ? [] : lookup.closest.filter((candidate) => candidate.token);
  const outcomes = await Promise.all(
    targets.map((candidate) => {
      const args: QueryArgs = { info_hash: infohash, port: options.port, token: candidate.token! };
      if (options.impliedPort) args.implied_port = 1;
      return send(candidate.endpoint, args, candidate.id);
    }),
  );
  return { accepted: outcomes.filter((outcome) => outcome.kind === 'response').length, asked: targets.length, lookup };
}
