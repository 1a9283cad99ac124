/**
 * Who the node is right now: its id and the routing table built around that
 * id. They change together, and only when BEP 42 gives us a new id for our
 * external IP; everything that answers or routes reads them through this one
 * object instead of keeping its own copy.
 */
import type { RoutingTable } from '../core/routing-types.ts';
import type { NodeIdSet } from './multi-id/id-set.ts';
import type { AskedAs } from './multi-id/asked-as.ts';
import type { Endpoint } from '../ground/address.ts';

export interface NodeSelf {
  /** The primary id: pings, BEP 44/51 answers, queries outside lookups. */
  id: Uint8Array;
  table: RoutingTable;
  /**
   * Crawler mode (option `ids`): every id we answer as, the primary among them,
   * all registered on `table`. Answers about a target carry the id nearest to
   * it, and so do our queries during a lookup toward it.
   */
  ids?: NodeIdSet;
  /** Crawler mode: the id we last queried each address as, to answer its pings as that id. */
  askedAs?: AskedAs;
  /** Crawler mode, option `oneIdPerNode`: each remote node meets one id of ours. */
  perNode?: boolean;
}

/** The id to answer a query without a target (ping) from `from` as. */
export function idFor(self: NodeSelf, from: Endpoint): Uint8Array {
  return self.askedAs?.idFor(from) ?? self.id;
}

/** The id to answer or ask as, about `target`. */
export function idNear(self: NodeSelf, target: Uint8Array): Uint8Array {
  return self.ids === undefined ? self.id : self.ids.nearest(target);
}

/**
 * The id to answer a query from `from` (whose id is `asker`) as: about
 * `target` (none: a ping) — or, one id per node, the one it already met, else
 * our id nearest its own.
 */
export function answerId(self: NodeSelf, from: Endpoint, asker: Uint8Array | undefined, target: Uint8Array | undefined): Uint8Array {
  const ids = self.ids;
  if (ids === undefined) return self.id;
  if (self.perNode === true) return self.askedAs?.idFor(from) ?? (asker?.length === 20 ? ids.nearest(asker) : self.id);
  return target === undefined ? idFor(self, from) : ids.nearest(target);
}

/** The id to ask `to` (id `nodeId`, if known) as during a lookup toward `target`. */
export function askId(self: NodeSelf, ids: NodeIdSet, to: Endpoint, nodeId: Uint8Array | undefined, target: Uint8Array): Uint8Array {
  if (self.perNode !== true) return ids.nearest(target);
  return self.askedAs?.idFor(to) ?? ids.nearest(nodeId?.length === 20 ? nodeId : target);
}
