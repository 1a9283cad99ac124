/**
 * Assembly of a listening node: the parts every family shares (core, rate
 * limiter, send pacer, destination budget, BEP 42 policy, tokens, the BEP
 * 44/33/51 extensions), one stack per bound socket, the traversal runners, and
 * the routine upkeep. Built once, in this order, each part handed what it
 * needs; dht.ts only starts and stops the result.
 */
import { loadCore } from '../../core/index.ts';
import type { Core } from '../../core/types.ts';
import type { Endpoint } from '../../ground/address.ts';
import { resolveNumericEndpoint } from '../../util/endpoint.ts';
import { toHex } from '../../util/hex.ts';
import { Bep42Policy } from '../bep42/trust.ts';
import { DESTINATION_ANSWER_MAX_WAIT_MS, DESTINATION_ANSWER_RESERVE, DESTINATION_BURST, DESTINATION_MAX_TRACKED, DESTINATION_MAX_WAIT_MS, MAINTENANCE_INTERVAL_MS } from '../constants.ts';
import { DestinationBudget } from '../destination-budget.ts';
import type { Emitter } from '../emitter.ts';
import type { DHTEvents } from '../events.ts';
import type { FamilyTables } from '../handlers.ts';
import type { Hooks } from '../hooks.ts';
import type { SharedEntries } from '../methods.ts';
import { installItems } from '../items/install.ts';
import type { ResolvedOptions } from '../options.ts';
import { SendPacer } from '../pacing.ts';
import { SourceLimiter } from '../rate-limit.ts';
import { installSample } from '../sample/install.ts';
import { installScrape } from '../scrape/install.ts';
import type { ScrapeHost } from '../scrape/install.ts';
import type { FamilyBase, SharedParts, Stack, StackNode } from '../stack.ts';
import { buildBase, buildRouting, buildStack, stackOf } from '../stack.ts';
import type { FamilyRoutings } from '../rpc.ts';
import type { NodeCounters } from '../stats.ts';
import type { SavedNode } from '../state.ts';
import { StateSaver } from '../state-saver.ts';
import { TokenManager } from '../tokens.ts';
import type { Bootstrap } from './bootstrap.ts';
import type { Identity } from './identity.ts';
import { queryNode } from './queries.ts';
import { bindSockets } from './sockets.ts';
import type { Bound } from './sockets.ts';
import { nodeList, tableCounts } from './stats.ts';
import { Traversals } from './traversals.ts';
import { Maintenance } from './maintenance.ts';
import type { Running } from './running.ts';

/** What the node hands its assembly. */
export interface NodeContext {
  options: ResolvedOptions;
  counters: NodeCounters;
  /** The embedder's hooks. */
  hooks: Hooks;
  emitter: Emitter<DHTEvents>;
  identity: Identity;
  bootstrap: Bootstrap;
  warn: (error: Error) => void;
}

/** The state file's keeper (with option `stateFile`): its failures are warnings until stop(). */
export function stateSaverOf(o: ResolvedOptions, emitter: Emitter<DHTEvents>): StateSaver | undefined {
  if (!o.stateFile) return undefined;
  const warn = (error: Error): void => emitter.emit('warning', error);
  return new StateSaver({ file: o.stateFile, intervalMs: o.stateSaveIntervalMs, clock: o.clock, log: o.logger, onFailure: warn, onMovedAside: warn });
}

/**
 * Load the core, read the state file (before binding: one that cannot be used
 * fails start()), bind the sockets and assemble the parts. Datagrams that
 * arrive before the parts exist are counted 'not-ready'.
 */
export async function openNode(node: NodeContext, stateSaver: StateSaver | undefined): Promise<{ parts: Running; saved: readonly SavedNode[] }> {
  const o = node.options;
  const core = o.core ?? (await loadCore(o.backend));
  const state = await stateSaver?.open();
  if (state) node.identity.restore(state.id);
  let parts: Running | undefined;
  const bound = await bindSockets(o, {
    onDatagram: (family, data, from) => {
      const stack = family && parts ? stackOf(parts.stacks, family) : undefined;
      if (stack) stack.rpc.receive(data, from);
      else node.counters.drops.inc('not-ready');
    },
    onSocketError: () => node.counters.drops.inc('socket-error'),
    warn: node.warn,
  });
  parts = assemble(node, core, bound);
  return { parts, saved: state?.nodes ?? [] };
}

export function assemble(node: NodeContext, core: Core, bound: readonly Bound[]): Running {
  const o = node.options;
  const limiter =
    o.maxQueriesPerIpPerSecond > 0
      ? new SourceLimiter({ perSecond: o.maxQueriesPerIpPerSecond, blockMs: o.rateLimitBlockMs, maxTracked: o.rateLimitTrackedIps })
      : undefined;
  // One send budget for the node, whichever socket a query leaves by.
  const pacer = o.maxQueriesOutPerSecond > 0 ? new SendPacer(o.maxQueriesOutPerSecond, o.maxQueuedQueries, o.clock) : undefined;
  // What each remote node receives from us, whichever socket it leaves by.
  const budget =
    o.maxSendsPerNodePerSecond > 0
      ? new DestinationBudget(
          {
            perSecond: o.maxSendsPerNodePerSecond,
            burst: DESTINATION_BURST,
            maxTracked: DESTINATION_MAX_TRACKED,
            maxWaitMs: DESTINATION_MAX_WAIT_MS,
            // Crawler mode: our many ids meet a busy client in most of its lookups; our answers alone would get us banned.
            ...(o.ids !== 1 ? { answers: { maxWaitMs: DESTINATION_ANSWER_MAX_WAIT_MS, reserve: DESTINATION_ANSWER_RESERVE } } : {}),
          },
          o.clock,
        )
      : undefined;
  const bep42 = new Bep42Policy(o.bep42, (bytes) => core.crc32c(bytes));
  const tokens = new TokenManager((bytes) => core.sha1(bytes), o.clock, o.random);
  const selves = node.identity.open(core, bound.map(({ local }) => local.family as 4 | 6));
  const tables: FamilyTables = { 4: undefined, 6: undefined };
  bound.forEach(({ local }, i) => (tables[local.family as 4 | 6] = selves[i]));
  const stackNode: StackNode = {
    options: o,
    counters: node.counters,
    hooks: node.hooks,
    emitter: node.emitter,
    warn: node.warn,
    isRouter: (from) => node.bootstrap.isRouter(from),
  };
  // Built in the order data flows back, each part with what it reads, complete.
  // 1. Every family's base: socket, self, sending side, peer store, IP vote.
  const families = bound.map((b, i) => buildBase(stackNode, { core, pacer, budget }, b, selves[i]!));
  // 2. The traversal runners over them (our queries leave by a family's transactions).
  const traversals = new Traversals({ options: o, counters: node.counters, emitter: node.emitter, self: node.identity, families, bep42, bootstrap: node.bootstrap });
  // 3. Every family's table upkeep, refreshing through its runner — all of them before any rpc (BEP 32: a response over one family may list nodes for the other's table).
  const routing = families.map((family) => buildRouting(stackNode, family, bep42, traversals.runOn(family.family)));
  const routings: FamilyRoutings = { 4: undefined, 6: undefined };
  families.forEach((family, i) => (routings[family.family] = routing[i]));
  // 4. Who we are: responders' reports of our address (BEP 42 `ip`) may change our id and rebuild every family's table.
  const identityStacks = families.map((family, i) => ({ family: family.family, self: family.self, voter: family.voter, routing: routing[i]! }));
  const addressReports = { report: (family: 4 | 6, ip: Uint8Array, from: Endpoint) => node.identity.onAddressReport(core, identityStacks, family, ip, from) };
  // 5. The extensions, answering from our own table of the asker's family (read per call: BEP 42 may replace it).
  const closestNodes = (target: Uint8Array, family: 4 | 6): Uint8Array => tables[family]?.table.closest(target, o.k) ?? NO_NODES;
  // Their answers: entries of every family's dispatch table, under the embedder's hooks.
  const entries: SharedEntries = new Map();
  const host = extensionHost(node, entries, families, traversals);
  const items = installItems(host, { core, clock: o.clock, random: o.random, tokens, closestNodes, k: o.k });
  const scrape = installScrape(host, { core, clock: o.clock, closestNodes, k: o.k, standalone: false });
  const sample = installSample(host, {
    clock: o.clock,
    random: o.random,
    closestNodes,
    k: o.k,
    source: {
      infohashes: (max, random) => {
        const out = families[0]!.peers.infohashes(max, random);
        const second = families[1];
        return second && out.length < max ? mergeInfohashes(out, second.peers.infohashes(max, random), max) : out;
      },
      count: () => families.reduce((sum, family) => sum + family.peers.infohashCount, 0),
    },
  });
  const shared: SharedParts = { core, limiter, pacer, budget, bep42, tokens, tables, scrape, entries, addressReports };
  // 6. Last, each family's receive path over all of the above.
  const stacks = families.map((family, i) => buildStack(stackNode, shared, family, routing[i]!, routings));
  const maintenance = new Maintenance(o, stacks, node.warn);
  return { core, stacks, primary: stacks[0]!, limiter, budget, bep42, tokens, items, scrape, sample, traversals, maintenance };
}

/**
 * Stop every part — traversals, upkeep, extensions; the state saved; then the
 * sockets — and dispose of the tables once `detach` took their last counts.
 * Resolves with the save's failure, if any (the node is stopped all the same).
 */
export async function closeNode(parts: Running, stateSaver: StateSaver | undefined, detach: (counts: { nodes: number; buckets: number }) => void): Promise<unknown> {
  parts.traversals.close();
  parts.maintenance.close();
  for (const stack of parts.stacks) stack.routing.close();
  parts.items.close();
  parts.scrape.close();
  parts.sample.close();
  let saveFailure: unknown;
  await stateSaver?.close().catch((error: unknown) => (saveFailure = error));
  for (const stack of parts.stacks) {
    stack.transactions.close();
    stack.replies.close(); // answers held for a destination's budget (crawler mode)
  }
  await Promise.all(parts.stacks.map((stack) => stack.transport.close()));
  detach(tableCounts(parts.stacks));
  for (const stack of parts.stacks) stack.self.table.dispose();
  return saveFailure;
}

/**
 * The node's contracts for its own extensions: their answers as entries of
 * the dispatch table, queries through the stack of the destination's family,
 * traversals on the primary DHT — never back up through the public face.
 */
function extensionHost(node: NodeContext, entries: SharedEntries, families: readonly FamilyBase[], traversals: Traversals): ScrapeHost {
  const identity = node.identity;
  return {
    get id() {
      return identity.id.slice();
    },
    answer: (method, entry) => {
      entries.set(method, entry);
      return () => {
        if (entries.get(method) === entry) entries.delete(method);
      };
    },
    // None of the node's own extensions hooks a query: one that did would sit with the embedder's.
    onQuery: (method, hook) => node.hooks.onQuery(method, hook),
    query: (endpoint, method, args, extra) => queryNode(families, resolveNumericEndpoint(endpoint, 'query'), method, args, extra),
    lookup: (target, strategy, options) => traversals.primary(target, strategy, options?.signal),
    nodes: () => nodeList(families, node.options.clock.now()),
    address: (): Endpoint => ({ ...families[0]!.local }),
    on: (event, listener) => node.emitter.on(event, listener),
  };
}

const NO_NODES = new Uint8Array(0);

/** `first` plus what `second` adds, deduplicated, at most `max`. */
function mergeInfohashes(first: Uint8Array[], second: Uint8Array[], max: number): Uint8Array[] {
  const seen = new Set(first.map(toHex));
  for (const infohash of second) {
    if (first.length >= max) break;
    const key = toHex(infohash);
    if (!seen.has(key)) {
      seen.add(key);
      first.push(infohash);
    }
  }
  return first;
}
