/**
 * What `stats()` reports, read from the parts at the moment of the call: the
 * counters, each table that grows with network input and its cap
 * (docs/SECURITY.md), per-family figures and BEP 42's state.
 */
import type { NodeState } from '../../core/routing-types.ts';
import { decodeCompactAddress } from '../../krpc/compact.ts';
import { bucketStats } from '../bucket-stats.ts';
import type { BucketStats } from '../bucket-stats.ts';
import { DESTINATION_MAX_TRACKED, MAX_BUCKETS } from '../constants.ts';
import type { DHTStats } from '../events.ts';
import { MAX_STORED_ITEMS } from '../items/constants.ts';
import type { ResolvedOptions } from '../options.ts';
import { MAX_HELD_ANSWERS } from '../replies.ts';
import type { NodeInfo } from '../routing.ts';
import { MAX_SCRAPE_RECORDS } from '../scrape/constants.ts';
import type { FamilyBase, Stack } from '../stack.ts';
import type { SavedNode } from '../state.ts';
import type { NodeCounters } from '../stats.ts';
import { ASKED_AS_CAP } from './identity.ts';
import type { Identity } from './identity.ts';
import type { Running } from './running.ts';

export interface StatsView {
  options: ResolvedOptions;
  counters: NodeCounters;
  identity: Identity;
  /** Undefined before start() and after stop(). */
  parts: Running | undefined;
  /** Counts kept after stop(), when the table is gone. */
  final: { nodes: number; buckets: number } | undefined;
}

export function nodeStats(view: StatsView): DHTStats {
  const parts = view.parts;
  const c = view.counters;
  const o = view.options;
  const now = o.clock.now();
  const stacks = parts?.stacks ?? [];
  let cached = 0;
  for (const stack of stacks) for (const bucket of stack.self.table.buckets()) cached += bucket.cacheSize;
  const externalIp = parts?.primary.voter.ip;
  const perStack = (read: (stack: Stack) => number): number => sum(stacks, read);
  return {
    nodes: parts ? perStack((stack) => stack.self.table.size) : (view.final?.nodes ?? 0),
    buckets: parts ? perStack((stack) => stack.self.table.bucketCount) : (view.final?.buckets ?? 0),
    families: stacks.map((stack) => ({
      family: stack.family,
      address: `${stack.family === 6 ? `[${stack.local.host}]` : stack.local.host}:${stack.local.port}`,
      nodes: stack.self.table.size,
      buckets: stack.self.table.bucketCount,
      peersStored: stack.peers.size,
      externalIp: stack.voter.ip ? decodeCompactAddress(new Uint8Array([...stack.voter.ip, 0, 0]))?.host : undefined,
      ipVotes: { voters: stack.voter.size, forExternalIp: stack.voter.votesForCurrent, candidates: stack.voter.candidates },
    })),
    queriesIn: c.queriesIn.snapshot(),
    queriesOut: c.queriesOut.snapshot(),
    responsesIn: c.responsesIn.snapshot(),
    errorsIn: c.errorsIn.snapshot(),
    errorsOut: c.errorsOut.snapshot(),
    timeouts: c.timeouts.snapshot(),
    drops: c.drops.snapshot(),
    datagramsIn: c.datagramsIn,
    datagramsOut: c.datagramsOut,
    bytesIn: c.bytesIn,
    bytesOut: c.bytesOut,
    lookups: {
      started: c.lookups.started.snapshot(),
      ok: c.lookups.ok.snapshot(),
      failed: c.lookups.failed.snapshot(),
      aborted: c.lookups.aborted.snapshot(),
      inFlight: c.lookups.inFlight,
    },
    outstanding: perStack((stack) => stack.transactions.outstanding),
    peersStored: perStack((stack) => stack.peers.size),
    infohashesStored: perStack((stack) => stack.peers.infohashCount),
    // Per-family tables count once per stack, and so do their caps.
    tables: {
      routing: { size: perStack((stack) => stack.self.table.size), cap: stacks.length * MAX_BUCKETS * o.k },
      replacementCache: { size: cached, cap: stacks.length * MAX_BUCKETS * o.replacementCacheSize },
      outstanding: { size: perStack((stack) => stack.transactions.outstanding), cap: stacks.length * o.maxOutstanding },
      // One pacer for the node: its queue is counted by every rpc that shares it.
      sendQueue: { size: parts?.primary.transactions.queued ?? 0, cap: o.maxQueriesOutPerSecond > 0 ? o.maxQueuedQueries : 0 },
      peers: { size: perStack((stack) => stack.peers.size), cap: stacks.length * o.maxPeers },
      infohashes: { size: perStack((stack) => stack.peers.infohashCount), cap: stacks.length * o.maxPeers },
      pendingPings: { size: perStack((stack) => stack.routing.pendingPings), cap: stacks.length * o.maxPendingPings },
      recentAnswers: { size: perStack((stack) => stack.routing.recentAnswers), cap: stacks.length * 16 * o.maxPendingPings },
      rateLimitedIps: { size: parts?.limiter?.size ?? 0, cap: o.maxQueriesPerIpPerSecond > 0 ? o.rateLimitTrackedIps : 0 },
      destinations: { size: parts?.budget?.size ?? 0, cap: o.maxSendsPerNodePerSecond > 0 ? DESTINATION_MAX_TRACKED : 0 },
      ipVoters: { size: perStack((stack) => stack.voter.size), cap: stacks.length * o.maxIpVoters },
      // BEP 44 items (count; their bytes are capped too, MAX_STORED_BYTES) and BEP 33 seed/peer records.
      items: { size: parts?.items.store.size ?? 0, cap: MAX_STORED_ITEMS },
      askedAs: { size: perStack((stack) => stack.self.askedAs?.size ?? 0), cap: view.identity.multi ? stacks.length * ASKED_AS_CAP : 0 },
      scrapeRecords: { size: parts?.scrape.records.size ?? 0, cap: parts?.scrape.records.cap ?? MAX_SCRAPE_RECORDS },
      heldAnswers: { size: perStack((stack) => stack.replies.held), cap: parts?.budget?.holdsAnswers ? stacks.length * MAX_HELD_ANSWERS : 0 },
    },
    destinationBudget: {
      queriesDelayed: parts?.budget?.delayed ?? 0,
      queriesRefused: parts?.budget?.refused ?? 0,
      answersDelayed: parts?.budget?.answersDelayed ?? 0,
      answersDropped: parts?.budget?.answersDropped ?? 0,
    },
    blockedIps: parts?.limiter?.blockedCount(now) ?? 0,
    blocks: parts?.limiter?.blocks ?? 0,
    bep42: {
      mode: o.bep42,
      externalIp: externalIp ? decodeCompactAddress(new Uint8Array([...externalIp, 0, 0]))?.host : undefined,
      idCompliant: externalIp ? view.identity.compliantWith(externalIp, parts?.core) : undefined,
      idChanges: view.identity.changes,
      refused: parts?.bep42.refused ?? 0,
      replaced: parts?.bep42.replaced ?? 0,
    },
  };
}

/** The routing tables bucket by bucket, per family. */
export function bucketList(stacks: readonly Stack[], now: number): BucketStats[] {
  return stacks.flatMap((stack) => bucketStats(stack.self.table, stack.family, now));
}

/** The nodes of the routing tables (copies) with their BEP 5 state. */
export function nodeList(stacks: readonly Pick<FamilyBase, 'self'>[], now: number): (NodeInfo & { state: NodeState })[] {
  const out: (NodeInfo & { state: NodeState })[] = [];
  for (const stack of stacks) {
    const table = stack.self.table;
    for (const node of table.nodes()) {
      const endpoint = decodeCompactAddress(node.address);
      if (endpoint) out.push({ id: node.id, host: endpoint.host, port: endpoint.port, state: table.state(node.id, now) ?? 'bad' });
    }
  }
  return out;
}

/** Every node of the routing tables with its endpoint, for the state file. */
export function savedNodes(parts: { stacks: readonly Stack[] }): SavedNode[] {
  const nodes: SavedNode[] = [];
  for (const stack of parts.stacks) {
    for (const node of stack.self.table.nodes()) {
      const endpoint = decodeCompactAddress(node.address);
      if (endpoint) nodes.push({ id: node.id, endpoint });
    }
  }
  return nodes;
}

/** Nodes and buckets of all tables, kept by stop() for stats() after. */
export function tableCounts(stacks: readonly Stack[]): { nodes: number; buckets: number } {
  return { nodes: sum(stacks, (stack) => stack.self.table.size), buckets: sum(stacks, (stack) => stack.self.table.bucketCount) };
}

function sum<T>(items: readonly T[], read: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += read(item);
  return total;
}
