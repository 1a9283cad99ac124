/**
 * The BEP 5 queries we answer: ping, find_node, get_peers, announce_peer. Each
 * handler runs after its arguments passed their declared shape (query-shapes.ts)
 * and answers through the rpc layer; nothing here allocates beyond the answer.
 */
import type { KrpcQuery, ResponseValues } from '../krpc/messages.ts';
import type { AddressFamily, Endpoint } from '../transport/types.ts';
import type { Clock } from '../transport/clock.ts';
import { encodeCompactAddress } from '../krpc/compact.ts';
import type { PeerStore } from './peer-store.ts';
import { maxValuesFor } from './peer-store.ts';
import type { TokenManager } from './tokens.ts';
import type { Rpc } from './rpc.ts';
import type { NodeSelf } from './self.ts';
import { SHAPES, announcedPort } from './query-shapes.ts';
import type { Shape } from './query-shapes.ts';

export interface HandlerContext {
  /** Our id and routing table, read per query (BEP 42 may replace both). */
  self: NodeSelf;
  tokens: TokenManager;
  peers: PeerStore;
  rpc: Rpc;
  clock: Clock;
  family: AddressFamily;
  k: number;
  /** A peer stored by announce_peer (for the 'announce' event). */
  onAnnounce: (infohash: Uint8Array, host: string, port: number) => void;
}

export interface MethodSpec {
  shape: Shape;
  handle: (query: KrpcQuery, from: Endpoint) => void;
}

/** The built-in dispatch table entries, one per BEP 5 query. */
export function builtinHandlers(ctx: HandlerContext): Map<string, MethodSpec> {
  const { rpc, self } = ctx;
  const peerLength = ctx.family === 4 ? 6 : 18;
  const maxValues = maxValuesFor(peerLength);

  /** `nodes` (IPv4) or `nodes6` (IPv6, BEP 32) nearest to `target`. */
  const withNodes = (r: ResponseValues, target: Uint8Array): ResponseValues => {
    const nodes = self.table.closest(target, ctx.k);
    if (ctx.family === 4) r.nodes = nodes;
    else r.nodes6 = nodes;
    return r;
  };

  return new Map<string, MethodSpec>([
    [
      'ping',
      {
        shape: SHAPES.ping,
        handle: (query, from) => rpc.respond(query.t, { id: self.id }, from),
      },
    ],
    [
      'find_node',
      {
        shape: SHAPES.find_node,
        handle: (query, from) => rpc.respond(query.t, withNodes({ id: self.id }, query.a.target!), from),
      },
    ],
    [
      'get_peers',
      {
        shape: SHAPES.get_peers,
        handle: (query, from) => {
          const address = encodeCompactAddress(from.host, from.port);
          if (!address) {
            rpc.error(query.t, 202, 'cannot read your address', from);
            return;
          }
          const r: ResponseValues = { id: self.id, token: ctx.tokens.issue(address) };
          const values = ctx.peers.get(query.a.info_hash!, maxValues, ctx.clock.now());
          if (values.length > 0) r.values = values;
          // Nodes too, even with values: the asker keeps converging toward the infohash.
          rpc.respond(query.t, withNodes(r, query.a.info_hash!), from);
        },
      },
    ],
    [
      'announce_peer',
      {
        shape: SHAPES.announce_peer,
        handle: (query, from) => {
          const args = query.a;
          const address = encodeCompactAddress(from.host, from.port);
          if (!address || !ctx.tokens.verify(args.token!, address)) {
            rpc.error(query.t, 203, 'bad token', from);
            return;
          }
          const port = announcedPort(args, from.port);
          if (port === undefined) {
            rpc.error(query.t, 203, "bad or missing 'port'", from);
            return;
          }
          const peer = encodeCompactAddress(from.host, port)!;
          ctx.peers.add(args.info_hash!, peer, ctx.clock.now());
          ctx.onAnnounce(args.info_hash!, from.host, port);
          rpc.respond(query.t, { id: self.id }, from);
        },
      },
    ],
  ]);
}

/** Answer an unknown method that names a target like find_node (libtorrent does the same, for forward compatibility). */
export function answerLikeFindNode(ctx: HandlerContext, query: KrpcQuery, from: Endpoint): boolean {
  const target = query.a.target?.length === 20 ? query.a.target : query.a.info_hash?.length === 20 ? query.a.info_hash : undefined;
  if (!target) return false;
  const { id, table } = ctx.self;
  const nodes = table.closest(target, ctx.k);
  ctx.rpc.respond(query.t, ctx.family === 4 ? { id, nodes } : { id, nodes6: nodes }, from);
  return true;
}
