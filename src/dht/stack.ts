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
import type { TraversalResult, TraversalStrategy } from './traversal.ts';
import { IP_VOTE_TTL_MS, WANT_BOTH_BELOW } from './constants.ts';
import { findNodeLookup } from './lookups/find-node.ts';
import { extensionMethods } from './extension-methods.ts';

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


/** What a stack needs from the node that owns it. */
export interface StackNode {
  options: ResolvedOptions;
  counters: NodeCounters;
  hooks: Hooks;
  emitter: Emitter<DHTEvents>;
  warn: (error: Error) => void;
  /** A response told us our address as its sender sees it (BEP 42 `ip`). */
  onAddressReport: (family: 4 | 6, ip: Uint8Array, from: Endpoint) => void;
  /** A traversal runner on this family's DHT. */
  runOn: (family: 4 | 6) => (target: Uint8Array, strategy: TraversalStrategy, signal?: AbortSignal) => Promise<TraversalResult>;
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
  builtinHooks: Hooks;
  stackFor: (family: 4 | 6) => Stack | undefined;
}

/** One family's socket, table, rpc, routing upkeep, peer store and dispatcher. */
export function buildStack(node: StackNode, shared: SharedParts, { transport, local }: Bound, self: NodeSelf): Stack {
    const o = node.options;
    const { core, bep42 } = shared;
    const family = local.family as 4 | 6;
    const otherFamily = family === 4 ? 6 : 4;
    const voter = new IpVoter({ threshold: o.bep42Votes, maxVoters: o.maxIpVoters, ttlMs: IP_VOTE_TTL_MS });
    const counters = node.counters;
    const warn = node.warn;
    const hooks = node.hooks;
    // Late-bound: rpc and routing refer to each other.
    let routing: RoutingUpkeep | undefined;
    let dispatcher: QueryDispatcher | undefined;
    let tableAnswers: TableAnswers | undefined;
    const rpc = new Rpc({
      core,
      transport,
      clock: o.clock,
      random: o.random,
      counters,
      self,
      timeoutMs: o.timeoutMs,
      maxOutstanding: o.maxOutstanding,
      maxDatagramBytes: o.maxDatagramBytes,
      limiter: shared.limiter,
      pacer: shared.pacer,
      budget: shared.budget,
      readOnly: o.readOnly,
      // BEP 43: a read-only node answers nothing.
      onQuery: o.readOnly ? () => counters.drops.inc('read-only') : (query, from) => dispatcher!.handle(query, from),
      tableAnswers: o.readOnly
        ? undefined
        : { accepts: (datagram) => tableAnswers!.accepts(datagram), message: () => tableAnswers!.message(), answer: (from) => tableAnswers!.answer(from) },
      onResponse: (response, from, query) => {
        routing!.onResponse(response.r.id, from);
        // BEP 32: nodes of the other family (asked for with `want` while its table is short) join it if they answer.
        const leaked = family === 4 ? response.r.nodes6 : response.r.nodes;
        if (leaked !== undefined) shared.stackFor(otherFamily)?.routing.introduce(leaked, otherFamily, WANT_BOTH_BELOW);
        const responseHooks = hooks.responseHooks(query.q);
        if (!responseHooks) return;
        for (const hook of responseHooks) {
          try {
            hook(response, from, query);
          } catch (error) {
            warn(new Error(`response hook for '${query.q}' threw`, { cause: error }));
          }
        }
      },
      onTimeout: (_to, _query, nodeId) => {
        if (nodeId) routing!.onTimeout(nodeId);
      },
      onAddressReport: (ip, from) => node.onAddressReport(family, ip, from),
      onWarning: warn,
    });
    routing = new RoutingUpkeep({
      self,
      clock: o.clock,
      random: o.random,
      ping: (to) => rpc.query(to, 'ping', {}),
      refresh: (target) => findNodeLookup(node.runOn(family), target),
      onNode: (info) => node.emitter.emit('node', info),
      isRouter: node.isRouter,
      maxPendingPings: o.maxPendingPings,
      bep42,
    });
    const peers = new MemoryPeerStore({ random: o.random, maxPerInfohash: o.maxPeersPerInfohash, maxTotal: o.maxPeers, peerLength: family === 4 ? 6 : 18 });
    const emitter = node.emitter;
    const observe = (query: KrpcQuery, from: Endpoint): void => emitter.emit('query', { query, from });
    dispatcher = new QueryDispatcher({
      self,
      tables: shared.tables,
      tokens: shared.tokens,
      scrape: shared.scrape.responder,
      extensions: extensionMethods(['get', 'put', 'sample_infohashes'], { hooks: shared.builtinHooks, rpc, self, counters, onWarning: warn }),
      peers,
      rpc,
      clock: o.clock,
      family,
      k: o.k,
      onAnnounce: (infohash, host, port) => {
        if (emitter.has('announce')) emitter.emit('announce', { infohash: infohash.slice(), peer: { host, port } });
      },
      hooks,
      routing,
      counters,
      observe: () => (emitter.has('query') ? observe : undefined),
      onWarning: warn,
    });
    tableAnswers = new TableAnswers({
      core,
      self,
      hooks,
      observed: () => emitter.has('query'),
      counters,
      routing,
      tokens: shared.tokens,
      peers,
      scrape: shared.scrape.responder,
      rpc,
      clock: o.clock,
      k: o.k,
    });
    return { family, transport, local, self, rpc, routing, peers, voter, dispatcher };
}
