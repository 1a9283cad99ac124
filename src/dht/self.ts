/**
 * Who the node is right now: its id and the routing table built around that
 * id. They change together, and only when BEP 42 gives us a new id for our
 * external IP; everything that answers or routes reads them through this one
 * object instead of keeping its own copy.
 */
import type { RoutingTable } from '../core/routing-types.ts';

export interface NodeSelf {
  id: Uint8Array;
  table: RoutingTable;
}
