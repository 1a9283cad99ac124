/**
 * The BEP 5 queries we answer: ping, find_node, get_peers, announce_peer. Each
 * handler runs after its arguments passed their declared shape (query-shapes.ts)
 * and answers through the sink the dispatcher hands it (the replies, or the
 * embedder's answer hooks in front of them), with one answer object per method reused
 * for every query (the encoder copies what it writes).
 */
import type { KrpcQuery, ResponseValues } from '../ground/messages.ts';
import type { AddressFamily, Endpoint } from '../ground/address.ts';
import type { Clock } from '../ground/clock.ts';
import { encodeCompactAddress } from '../krpc/compact.ts';
import type { PeerStore } from './peer-store.ts';
import { maxValuesFor } from './peer-store.ts';
import type { TokenManager } from './tokens.ts';
import type { Replies } from './replies.ts';
import type { NodeSelf } from './self.ts';
import { answerId } from './self.ts';
import { FLAGS, SHAPES, announcedPort } from './query-shapes.ts';
import type { AnswerSink, HandlerEntry } from './methods.ts';
import type { ScrapeResponder } from './scrape/responder.ts';

/** The routing tables of a node by address family (BEP 32: one per DHT it takes part in). */
export interface FamilyTables {
  4: NodeSelf | undefined;
  6: NodeSelf | undefined;
}

export interface HandlerContext {
  /** Our id and routing table of this socket's family, read per query (BEP 42 may replace both). */
  self: NodeSelf;
  /** Both families' tables, for `want` (BEP 32). */
  tables: FamilyTables;
  tokens: TokenManager;
  peers: PeerStore;
  /** Where answers go (encoded and sent). */
  replies: Replies;
  clock: Clock;
  family: AddressFamily;
  k: number;
  /** A peer stored by announce_peer (for the 'announce' event). */
  onAnnounce: (infohash: Uint8Array, host: string, port: number) => void;
  /** BEP 33: scrape=1 / noseed=1 answers, seed records, the announce cap (its flags are declared on the entries while it is here). */
  scrape?: ScrapeResponder;
}

/** The built-in dispatch table entries, one per BEP 5 query. */
export function builtinHandlers(ctx: HandlerContext): Map<string, HandlerEntry> {
  const { self } = ctx;
  const peerLength = ctx.family === 4 ? 6 : 18;
  const maxValues = maxValuesFor(peerLength);

  // Answers reused per method: replies.respond encodes synchronously and keeps nothing.
  const pingAnswer = emptyAnswer();
  const findNodeAnswer = emptyAnswer();
  const getPeersAnswer = emptyAnswer();

  const withNodes = (r: ResponseValues, target: Uint8Array, want: readonly string[] | undefined): ResponseValues => addNodes(ctx, r, target, want);

  return new Map<string, HandlerEntry>([
    [
      'ping',
      {
        shape: SHAPES.ping,
        handle: (query, from, out) => out.respond(query.t, clear(pingAnswer, answerId(self, from, query.a.id, undefined)), from),
      },
    ],
    [
      'find_node',
      {
        shape: SHAPES.find_node,
        handle: (query, from, out) => out.respond(query.t, withNodes(clear(findNodeAnswer, answerId(self, from, query.a.id, query.a.target!)), query.a.target!, query.a.want), from),
      },
    ],
    [
      'get_peers',
      {
        shape: SHAPES.get_peers,
        // BEP 33's part of get_peers, while it answers: scrape=1 (bloom filters), noseed=1 (peers before seeds).
        ...(ctx.scrape ? { flags: FLAGS.get_peers } : {}),
        handle: (query, from, out, flags) => {
          // A view into the token manager's scratch: the encoder copies it.
          const token = ctx.tokens.issueFor(from.host);
          if (!token) {
            out.error(query.t, 202, 'cannot read your address', from);
            return;
          }
          const infohash = query.a.info_hash!;
          const scrape = ctx.scrape;
          const r = clear(getPeersAnswer, answerId(self, from, query.a.id, infohash));
          // No token at the BEP 33 cap: nobody can announce more for this infohash.
          if (!scrape || scrape.acceptsAnnounces(infohash)) r.token = token;
          const max = flags.scrape ? scrape!.maxScrapeValues(ctx.family) : maxValues;
          const values = flags.noseed ? ofLength(scrape!.values(infohash, max, true), peerLength) : ctx.peers.infohashCount === 0 ? NO_VALUES : ctx.peers.get(infohash, max, ctx.clock.now());
          if (values.length > 0) r.values = values;
          // Nodes too, even with values: the asker keeps converging toward the infohash.
          out.respond(query.t, withNodes(r, infohash, query.a.want), from, flags.scrape ? scrape!.extra(infohash) : undefined);
        },
      },
    ],
    [
      'announce_peer',
      {
        shape: SHAPES.announce_peer,
        // BEP 33: seed=1 records the announcer as a seed.
        ...(ctx.scrape ? { flags: FLAGS.announce_peer } : {}),
        handle: (query, from, out, flags) => {
          const args = query.a;
          if (!ctx.tokens.verifyFor(args.token!, from.host)) {
            out.error(query.t, 203, 'bad token', from);
            return;
          }
          const port = announcedPort(args, from.port);
          if (port === undefined) {
            out.error(query.t, 203, "bad or missing 'port'", from);
            return;
          }
          const peer = encodeCompactAddress(from.host, port)!;
          ctx.peers.add(args.info_hash!, peer, ctx.clock.now());
          ctx.scrape?.recordPeer(args.info_hash!, from.host, port, flags.seed);
          ctx.onAnnounce(args.info_hash!, from.host, port);
          out.respond(query.t, { id: answerId(self, from, args.id, args.info_hash!) }, from);
        },
      },
    ],
  ]);
}

const NO_VALUES: Uint8Array[] = [];

/**
 * BEP 32: `nodes` and/or `nodes6` nearest to `target`. Without `want` (or with
 * neither flag in it) the asker's family; with it, each family it names that
 * we have a table for.
 */
function addNodes(ctx: HandlerContext, r: ResponseValues, target: Uint8Array, want: readonly string[] | undefined): ResponseValues {
  let n4 = ctx.family === 4;
  let n6 = ctx.family === 6;
  if (want !== undefined) {
    const w4 = want.includes('n4');
    const w6 = want.includes('n6');
    if (w4 || w6) {
      n4 = w4;
      n6 = w6;
    }
  }
  if (n4 && ctx.tables[4]) r.nodes = ctx.tables[4].table.closest(target, ctx.k);
  if (n6 && ctx.tables[6]) r.nodes6 = ctx.tables[6].table.closest(target, ctx.k);
  return r;
}

/** Values of one family only (BEP 32: a reply never mixes them). */
function ofLength(values: Uint8Array[], length: number): Uint8Array[] {
  return values.every((value) => value.length === length) ? values : values.filter((value) => value.length === length);
}

/** An answer with every field present (one object shape for the encoder), all unset. */
function emptyAnswer(): ResponseValues {
  return { id: undefined, nodes: undefined, nodes6: undefined, token: undefined, values: undefined };
}

/** `r` with every field unset but `id`. */
function clear(r: ResponseValues, id: Uint8Array): ResponseValues {
  r.id = id;
  r.nodes = undefined;
  r.nodes6 = undefined;
  r.token = undefined;
  r.values = undefined;
  return r;
}

/** Answer an unknown method that names a target like find_node (libtorrent does the same, for forward compatibility). */
export function answerLikeFindNode(ctx: HandlerContext, query: KrpcQuery, from: Endpoint, out: AnswerSink): boolean {
  const target = query.a.target?.length === 20 ? query.a.target : query.a.info_hash?.length === 20 ? query.a.info_hash : undefined;
  if (!target) return false;
  out.respond(query.t, addNodes(ctx, { id: answerId(ctx.self, from, query.a.id, target) }, target, query.a.want), from);
  return true;
}
