/**
 * A traversal whose queries carry extra `a` keys (get_peers with scrape=1).
 * The node's `lookup()` strategies have no extra keys yet, so this runs the
 * same engine (traverse) seeded from the host's table and sending through
 * its public `query()`. Once TraversalStrategy gains `extra`, `host.lookup`
 * replaces it.
 */
import type { BencodeDict } from '../../ground/bencode.ts';
import { compareDistance } from '../../core/routing-types.ts';
import { ipFamily } from '../../ground/address.ts';
import type { Endpoint } from '../../ground/address.ts';
import { traverse } from '../traversal.ts';
import type { TraversalOptions, TraversalResult, TraversalStrategy } from '../traversal.ts';
import type { ExtensionHost } from '../items/host.ts';
import { queryOutcome } from '../items/host.ts';

export interface ExtraLookupOptions {
  k: number;
  alpha: number;
  signal?: AbortSignal;
  maxQueries?: number;
}

export function lookupWithExtra(
  host: ExtensionHost,
  target: Uint8Array,
  strategy: TraversalStrategy,
  extra: BencodeDict,
  options: ExtraLookupOptions,
): Promise<TraversalResult> {
  const local = host.address();
  const family = local.family;
  const seeds: { id: Uint8Array; endpoint: Endpoint }[] = host
    .nodes()
    .filter((node) => ipFamily(node.host) === family)
    .sort((a, b) => compareDistance(target, a.id, b.id))
    .slice(0, 2 * options.k)
    .map((node) => ({ id: node.id, endpoint: { host: node.host, port: node.port, family } }));
  const traversal: TraversalOptions = {
    target,
    self: host.id,
    family,
    k: options.k,
    alpha: options.alpha,
    seeds,
    local,
    query: (to, method, args) => queryOutcome(host, to, method, args, extra),
  };
  if (options.signal) traversal.signal = options.signal;
  if (options.maxQueries !== undefined) traversal.maxQueries = options.maxQueries;
  return traverse(traversal, strategy);
}
