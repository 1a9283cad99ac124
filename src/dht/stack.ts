/**
 * One address family's half of a node. BEP 32: the IPv4 and IPv6 DHTs are
 * two networks, so a dual-stack node keeps a socket, a routing table, a peer
 * store and an external-IP vote per family — under one node id — and shares
 * the rest (core, tokens, hooks, counters, BEP 44/33/51 stores).
 */
import type { Endpoint, Transport } from '../transport/types.ts';
import type { IpVoter } from './ip-voter.ts';
import type { MemoryPeerStore } from './peer-store.ts';
import type { QueryDispatcher } from './dispatch.ts';
import type { RoutingUpkeep } from './routing.ts';
import type { Rpc } from './rpc.ts';
import type { NodeSelf } from './self.ts';

export interface Stack {
  family: 4 | 6;
  transport: Transport;
  local: Endpoint;
  /** Our id (the node's, shared) and this family's routing table. */
  self: NodeSelf;
  rpc: Rpc;
  routing: RoutingUpkeep;
  /** Peers announced over this family (BEP 32: values never mix families). */
  peers: MemoryPeerStore;
  /** Our external IP of this family, as responders report it (BEP 42 `ip`). */
  voter: IpVoter;
  dispatcher: QueryDispatcher;
}

/** The stack of `family`, if the node runs one. */
export function stackOf<S extends { family: 4 | 6 }>(stacks: readonly S[], family: 4 | 6): S | undefined {
  return stacks[0]?.family === family ? stacks[0] : stacks[1]?.family === family ? stacks[1] : undefined;
}
