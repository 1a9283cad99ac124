/** find_node lookup (BEP 5): the k nodes nearest to a target id that answered. */
import type { NodeInfo } from '../routing.ts';
import type { TraversalResult } from '../traversal.ts';
import type { LookupRunner } from './runner.ts';

export async function findNodeLookup(run: LookupRunner, target: Uint8Array, signal?: AbortSignal): Promise<TraversalResult> {
  return run(target, { method: 'find_node', args: { target } }, signal);
}

/** The nodes of a finished lookup, nearest first. */
export function resultNodes(result: TraversalResult): NodeInfo[] {
  return result.closest.map((candidate) => ({
    id: candidate.id!,
    host: candidate.endpoint.host,
    port: candidate.endpoint.port,
  }));
}

/** A find_node lookup on each family's DHT (BEP 32): the IPv4 nodes first, then the IPv6 ones, each nearest first. */
export async function findNodeEverywhere(runs: readonly LookupRunner[], target: Uint8Array, signal?: AbortSignal): Promise<NodeInfo[]> {
  const results = await Promise.all(runs.map((run) => findNodeLookup(run, target, signal)));
  return results.flatMap(resultNodes);
}
