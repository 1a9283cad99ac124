/**
 * One address family's half of a node. BEP 32: the IPv4 and IPv6 DHTs are
 * two networks, so a dual-stack node keeps a socket, a routing table, a peer
 * store and an external-IP vote per family — under one node id — and shares
 * the rest (core, tokens, hooks, counters, BEP 44/33/51 stores).
 */
import type { Core } from '../core/types.ts';
import type { KrpcQuery } from '../ground/messages.ts';
import type { Endpoint } from '../ground/address.ts';
import type { Transport } from '../transport/types.ts';
import type { Bound } from './node/sockets.ts';
import { IpVoter } from './bep42/ip-voter.ts';
import { MemoryPeerStore } from './peer-store.ts';
import { QueryDispatcher } from './dispatch.ts';
import { RoutingUpkeep } from './routing.ts';
import { Rpc } from './rpc.ts';
import type { AddressReports, FamilyRoutings } from './rpc.ts';
import { Replies } from './replies.ts';
import { Transactions } from './transactions.ts';
import type { SharedEntries } from './methods.ts';
import { TableAnswers } from './table-answers.ts';
import type { NodeSelf } from './self.ts';
import type { Bep42Policy } from './bep42/trust.ts';
import type { TokenManager } from './tokens.ts';
import type { FamilyTables } from './handlers.ts';
import type { Hooks } from './hooks.ts';
import type { SendPacer } from './pacing.ts';
import type { DestinationBudget } from './destination-budget.ts';
import type { SourceLimiter } from './rate-limit.ts';
import type { NodeCounters } from './stats.ts';
import type { ResolvedOptions } from './options.ts';
import type { Emitter } from './emitter.ts';
import type { DHTEvents } from './events.ts';
import type { Scrape } from './scrape/install.ts';
import type { LookupRunner } from './lookups/runner.ts';
import { IP_VOTE_TTL_MS } from './constants.ts';
import { findNodeLookup } from './lookups/find-node.ts';

/**
 * A family's parts that read nothing of another family's: its socket, our id
 * and table there, the sending side (answers, our queries), its peer store
 * and its external-IP vote. Built for every family before anything that reads
 * them (the traversals, the routing upkeep, the extensions, the rpc).
 */
export interface FamilyBase {
  family: 4 | 6;
  transport: Transport;
  local: Endpoint;
  /** Our id (the node's, shared) and this family's routing table. */
  self: NodeSelf;
  /** Answers to queries, encoded and sent. */
  replies: Replies;
  /** Our queries out (a timeout counts against the node in `self.table`). */
  transactions: Transactions;
  /** Peers announced over this family (BEP 32: values never mix families). */
  peers: MemoryPeerStore;
  /** Our external IP of this family, as responders report it (BEP 42 `ip`). */
  voter: IpVoter;
}

/** One address family's half of a listening node: its base, its table upkeep and its receive path. */
export interface Stack extends FamilyBase {
  routing: RoutingUpkeep;
  rpc: Rpc;
}

/** The stack of `family`, if the node runs one. */
export function stackOf<S extends { family: 4 | 6 }>(stacks: readonly S[], family: 4 | 6): S | undefined {
  return stacks[0]?.family === family ? stacks[0] : stacks[1]?.family === family ? stacks[1] : undefined;
}


/** What a stack needs from the node that owns it. */
export interface StackNode {
  options: ResolvedOptions;
  counters: NodeCounters;
  /** The embedder's hooks. */
  hooks: Hooks;
  emitter: Emitter<DHTEvents>;
  warn: (error: Error) => void;
  /** Routers answer but never enter the table (BEP 5). */
  isRouter: (from: Endpoint) => boolean;
}

/** The parts every stack of a node shares. */
export interface SharedParts {
  core: Core;
  limiter: SourceLimiter | undefined;
  pacer: SendPacer | undefined;
  budget: DestinationBudget | undefined;
  bep42: Bep42Policy;
  tokens: TokenManager;
  tables: FamilyTables;
  scrape: Scrape;
  /** The node's BEP 44 / 51 entries of every family's dispatch table. */
  entries: SharedEntries;
  /** The node's identity, told how responders see our address (BEP 42 `ip`). */
  addressReports: AddressReports;
}

/** A family's base: the sending side first (replies, transactions), then its peer store and IP vote. */
export function buildBase(node: StackNode, sending: Pick<SharedParts, 'core' | 'pacer' | 'budget'>, bound: Bound, self: NodeSelf): FamilyBase {
  const o = node.options;
  const { core, pacer, budget } = sending;
  const { transport, local } = bound;
  const family = local.family as 4 | 6;
  const { counters, warn } = node;
  const replies = new Replies({ core, transport, counters, budget, clock: o.clock });
  const transactions = new Transactions({
    core,
    transport,
    clock: o.clock,
    random: o.random,
    counters,
    self,
    timeoutMs: o.timeoutMs,
    maxOutstanding: o.maxOutstanding,
    pacer,
    budget,
    readOnly: o.readOnly,
    onWarning: warn,
  });
  const peers = new MemoryPeerStore({ random: o.random, maxPerInfohash: o.maxPeersPerInfohash, maxTotal: o.maxPeers, peerLength: family === 4 ? 6 : 18 });
  const voter = new IpVoter({ threshold: o.bep42Votes, maxVoters: o.maxIpVoters, ttlMs: IP_VOTE_TTL_MS });
  return { family, transport, local, self, replies, transactions, peers, voter };
}

/** A family's table upkeep: pings through its transactions, bucket refreshes by find_node lookups through `run` (this family's traversal runner). */
export function buildRouting(node: StackNode, base: FamilyBase, bep42: Bep42Policy, run: LookupRunner): RoutingUpkeep {
  const o = node.options;
  const { emitter } = node;
  return new RoutingUpkeep({
    self: base.self,
    clock: o.clock,
    random: o.random,
    ping: (to) => base.transactions.query(to, 'ping', {}),
    refresh: (target) => findNodeLookup(run, target),
    onNode: (info) => emitter.emit('node', info),
    isRouter: node.isRouter,
    maxPendingPings: o.maxPendingPings,
    bep42,
  });
}

/**
 * One family's stack over its base and upkeep: the dispatcher, the table
 * answers, and last the rpc over all of them — each built with what it needs,
 * in the order data flows back; `routings` holds every family's upkeep.
 */
export function buildStack(node: StackNode, shared: SharedParts, base: FamilyBase, routing: RoutingUpkeep, routings: FamilyRoutings): Stack {
  const o = node.options;
  const { core } = shared;
  const { family, self, replies, transactions, peers } = base;
  const { counters, warn, hooks, emitter } = node;
  const observe = (query: KrpcQuery, from: Endpoint): void => emitter.emit('query', { query, from });
  // BEP 43: a read-only node answers nothing.
  const dispatcher = o.readOnly
    ? undefined
    : new QueryDispatcher({
        self,
        tables: shared.tables,
        tokens: shared.tokens,
        scrape: shared.scrape.responder,
        shared: shared.entries,
        peers,
        replies,
        clock: o.clock,
        family,
        k: o.k,
        onAnnounce: (infohash, host, port) => {
          if (emitter.has('announce')) emitter.emit('announce', { infohash: infohash.slice(), peer: { host, port } });
        },
        hooks,
        routing,
        counters,
        decode: (bytes) => core.decode(bytes),
        observe: () => (emitter.has('query') ? observe : undefined),
        onWarning: warn,
      });
  const tableAnswers = o.readOnly
    ? undefined
    : new TableAnswers({
        core,
        self,
        hooks,
        observed: () => emitter.has('query'),
        counters,
        routing,
        tokens: shared.tokens,
        peers,
        scrape: shared.scrape.responder,
        replies,
        clock: o.clock,
        k: o.k,
      });
  const rpc = new Rpc({
    core,
    clock: o.clock,
    counters,
    family,
    maxDatagramBytes: o.maxDatagramBytes,
    limiter: shared.limiter,
    transactions,
    replies,
    dispatcher,
    tableAnswers,
    routing,
    routings,
    hooks,
    addressReports: shared.addressReports,
    onWarning: warn,
  });
  return { ...base, routing, rpc };
}
