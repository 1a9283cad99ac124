/**
 * Routing table upkeep (BEP 5 "Routing Table"):
 *
 * - a node that answers one of our queries is offered to the table as good;
 * - a node that queries us and is unknown is pinged first, and enters the
 *   table only if it answers (BEP 5 wants only nodes known to answer; pinging
 *   keeps NATed, query-only nodes out), with a bounded number of such pings;
 *   one that answered within 15 minutes but found no bucket place (cached, or
 *   refused by BEP 42) is not pinged again: asking learns nothing new, and a
 *   busy client would otherwise cost a ping per query (a bounded memory of
 *   such answers, the least recent forgotten first);
 * - a newcomer that finds its bucket full makes us ping the bucket's stalest
 *   questionable node, twice if need be; the table replaces it from the
 *   bucket's cache on the second failure;
 * - every bucket not changed for 15 minutes is refreshed by a find_node lookup
 *   of a random id in its range, a few per tick;
 * - a few questionable nodes (not heard from for 15 minutes) are pinged per
 *   tick, stalest first, so nodes that left are found out (two failures) and
 *   replaced from the cache without waiting for a lookup to trip on them;
 * - BEP 42 (bep42/trust.ts): with 'enforce' a node whose id does not match its IP
 *   never enters the table; with 'prefer' a compliant newcomer facing a full
 *   bucket takes the place of the bucket's stalest non-compliant node;
 * - nodes learned from `nodes` lists never enter the table by themselves: only
 *   an answer from the node's own address to our query puts it there;
 * - when the first node enters an empty table, and on every tick while the
 *   table holds fewer than k nodes, we look up our own id (BEP 5: "Upon
 *   inserting the first node into its routing table ... find the closest nodes").
 */
import type { RoutingNode, RoutingTable } from '../core/routing-types.ts';
import { AddResult } from '../core/routing-types.ts';
import type { Clock } from '../ground/clock.ts';
import type { Endpoint } from '../ground/address.ts';
import { decodeCompactAddress, decodeCompactNodes, encodeCompactAddress } from '../krpc/compact.ts';
import type { RandomSource } from '../ground/random.ts';
import { randomIdInPrefix } from '../util/id.ts';
import { bytesEqual, bytesKey } from '../util/bytes.ts';
import { BUCKET_REFRESH_MS, MAX_REFRESHES_PER_TICK, MAX_STALE_PINGS_PER_TICK, QUESTIONABLE_AFTER_MS } from './constants.ts';
import type { QueryOutcome } from './transactions.ts';
import type { NodeSelf } from './self.ts';
import type { Bep42Policy } from './bep42/trust.ts';

/**
 * A node as the node's events and lookups report it.
 * @example
 * import { DHT, type NodeInfo } from 'btdht';
 * const dht = new DHT();
 * dht.on('node', (node: NodeInfo) => console.log('in the table:', `${node.host}:${node.port}`));
 * await dht.start();
 * const nearest: NodeInfo[] = await dht.findNode('e3811b9539cacff680e418124272177c47477157');
 */
export interface NodeInfo {
  id: Uint8Array;
  host: string;
  port: number;
}

export interface RoutingDeps {
  /** Our id and table (read on every use: BEP 42 may replace them). */
  self: NodeSelf;
  clock: Clock;
  random: RandomSource;
  /** Ping `to`; routing upkeep reads the outcome itself, so `nodeId` is not passed to the rpc layer. */
  ping: (to: Endpoint) => Promise<QueryOutcome>;
  /** Run a find_node lookup for `target` (bucket refresh). */
  refresh: (target: Uint8Array) => Promise<unknown>;
  /** A node entered a bucket. */
  onNode: (node: NodeInfo) => void;
  /** Routers answer but never enter the table (BEP 5). */
  isRouter: (from: Endpoint) => boolean;
  /** Unknown nodes that queried us being pinged at once, at most. */
  maxPendingPings: number;
  bep42: Bep42Policy;
}

export class RoutingUpkeep {
  readonly #deps: RoutingDeps;
  /** Unknown nodes that queried us, being pinged (by address). */
  readonly #pinging = new Set<string>();
  /** Questionable bucket nodes being probed (by id). */
  readonly #probing = new Set<string>();
  /** Nodes (address + id) that answered but have no bucket place, with when: oldest first, at most 16 × maxPendingPings. */
  readonly #answered = new Map<number, Answered>();
  /** Last refresh attempt per bucket (by prefix), so an empty bucket is not retried every tick. */
  readonly #refreshedAt = new Map<string, number>();
  #refreshing = 0;
  /** closestInto's buffer for #bucketHasUntrusted (k nodes of compact node info). */
  #closestBytes = new Uint8Array(0);
  #selfLookup = false;
  #closed = false;

  constructor(deps: RoutingDeps) {
    this.#deps = deps;
  }

  /** Unknown nodes being pinged, and questionable nodes being probed (for stats: both bounded). */
  get pendingPings(): number {
    return this.#pinging.size;
  }

  get probing(): number {
    return this.#probing.size;
  }

  /** Answers remembered from nodes without a bucket place, and their cap. */
  get recentAnswers(): number {
    return this.#answered.size;
  }

  get recentAnswersCap(): number {
    return 16 * this.#deps.maxPendingPings;
  }

  #remember(id: Uint8Array, from: Endpoint, now: number): void {
    const key = answerKey(id, from.port);
    this.#answered.delete(key);
    if (this.#answered.size >= this.recentAnswersCap) {
      const oldest = this.#answered.keys().next();
      if (!oldest.done) this.#answered.delete(oldest.value);
    }
    if (this.recentAnswersCap > 0) this.#answered.set(key, { id: id.slice(), host: from.host, port: from.port, at: now });
  }

  /** When the node `id` at `from` last answered without finding a bucket place, if remembered. */
  #answeredAt(id: Uint8Array, from: Endpoint): number | undefined {
    const entry = this.#answered.get(answerKey(id, from.port));
    if (entry === undefined || entry.port !== from.port || entry.host !== from.host || !bytesEqual(entry.id, id)) return undefined;
    return entry.at;
  }

  /** A node answered one of our queries with `id`. */
  onResponse(id: Uint8Array | undefined, from: Endpoint): void {
    if (!id || id.length !== 20 || this.#closed) return;
    const { self, clock, bep42 } = this.#deps;
    const table = self.table;
    const now = clock.now();
    if (table.seen(id, now, true)) return;
    if (this.#deps.isRouter(from)) return;
    const address = encodeCompactAddress(from.host, from.port);
    if (!address || address.length !== table.addressLength) return;
    const trusted = bep42.trustedAddress(id, address);
    if (!trusted && bep42.mode === 'enforce') {
      bep42.refused++;
      this.#remember(id, from, now);
      return;
    }
    const result = table.add(id, address, now, true);
    if (result === AddResult.Added) {
      this.#deps.onNode({ id: id.slice(), host: from.host, port: from.port });
      if (table.size === 1) this.#lookupSelf();
    } else if (result === AddResult.Cached) {
      if (trusted && bep42.mode === 'prefer' && this.#replaceUntrusted(id, now)) {
        this.#deps.onNode({ id: id.slice(), host: from.host, port: from.port });
        return;
      }
      this.#remember(id, from, now);
      this.#checkBucket(id);
    }
  }

  /**
   * BEP 42 'prefer': `newcomer` (compliant, just cached: its bucket is full)
   * takes the place of the stalest non-compliant node of its bucket, if any.
   * A full bucket's nodes are exactly the k nodes nearest to any id in it.
   */
  #replaceUntrusted(newcomer: Uint8Array, now: number): boolean {
    const { self, bep42 } = this.#deps;
    const table = self.table;
    const depth = table.prefixLengthOf(newcomer);
    if (!this.#bucketHasUntrusted(newcomer, depth)) return false;
    let victim: RoutingNode | undefined;
    for (const node of table.closestNodes(newcomer, table.k)) {
      if (sharedBits(node.id, newcomer) < depth) continue; // another bucket
      if (bep42.trustedAddress(node.id, node.address)) continue;
      if (!victim || node.lastSeen < victim.lastSeen) victim = node;
    }
    if (!victim) return false;
    // remove() moves the newest cache entry (the newcomer) into the freed slot.
    table.remove(victim.id);
    if (!table.has(newcomer)) return false;
    table.seen(newcomer, now, true);
    bep42.replaced++;
    return true;
  }

  /**
   * Whether the bucket of `newcomer` (its nodes share `depth` leading bits with
   * it) holds a node BEP 42 does not trust, read from the table's compact
   * bytes: most full buckets hold none, and then no node object is made.
   */
  #bucketHasUntrusted(newcomer: Uint8Array, depth: number): boolean {
    const { self, bep42 } = this.#deps;
    const table = self.table;
    const size = 20 + table.addressLength;
    if (this.#closestBytes.length < table.k * size) this.#closestBytes = new Uint8Array(table.k * size);
    const bytes = this.#closestBytes;
    const written = table.closestInto(newcomer, table.k, bytes);
    for (let at = 0; at + size <= written; at += size) {
      const id = bytes.subarray(at, at + 20);
      if (sharedBits(id, newcomer) >= depth && !bep42.trustedAddress(id, bytes.subarray(at + 20, at + size))) return true;
    }
    return false;
  }

  /** Find the nodes nearest to us (one such lookup at a time). */
  lookupSelf(): void {
    this.#lookupSelf();
  }

  #lookupSelf(): void {
    if (this.#selfLookup || this.#closed) return;
    this.#selfLookup = true;
    void this.#deps
      .refresh(this.#deps.self.id)
      .catch(() => undefined)
      .then(() => (this.#selfLookup = false));
  }

  /** A node with `id` (20 bytes, checked; read now, never kept: it may be scratch) queried us; `now`: the receive path's clock reading, if it has one. */
  onQuery(id: Uint8Array, from: Endpoint, now: number = this.#deps.clock.now()): void {
    if (this.#deps.self.table.seen(id, now, false) || this.#closed) return;
    if (this.#pinging.size >= this.#deps.maxPendingPings) return;
    // No strings on this path: most queriers are outside the table, and a busy one asks many times.
    if (this.#answered.size > 0) {
      const answeredAt = this.#answeredAt(id, from);
      if (answeredAt !== undefined && now - answeredAt < QUESTIONABLE_AFTER_MS) {
        // Known alive, waiting in the cache: its bucket's stalest questionable node may have to make room (BEP 5).
        this.#checkBucket(id, now);
        return;
      }
    }
    // Routers are never remembered as answered (onResponse skips them), so checking here keeps the order's meaning.
    if (this.#deps.isRouter(from)) return;
    const key = `${from.host}|${from.port}`;
    if (this.#pinging.has(key)) return;
    this.#pinging.add(key);
    // The answer reaches onResponse through the rpc layer, which offers the node to the table.
    // Sent after our answer to its query (queued at once, in this call stack): a node that queried
    // us because it is walking the DHT then has our answer first and knows us when our ping comes,
    // instead of pinging us back (measured: a ping back for every node a crawl walks, bench:crawl).
    queueMicrotask(() => {
      if (this.#closed) this.#pinging.delete(key);
      else void this.#deps.ping(from).then(() => this.#pinging.delete(key));
    });
  }

  /**
   * BEP 32 dual stack: nodes of this table's family named in an answer the
   * other family's socket received (`nodes6` over IPv4, `nodes` over IPv6).
   * While this table is short they are pinged — within the same bound as
   * unknown queriers — and enter it only if they answer, like any node.
   */
  introduce(compactNodes: Uint8Array, family: 4 | 6, below: number): void {
    const table = this.#deps.self.table;
    if (this.#closed || table.size >= below) return;
    for (const node of decodeCompactNodes(compactNodes, family)) {
      if (this.#pinging.size >= this.#deps.maxPendingPings) return;
      if (node.port === 0 || table.has(node.id) || bytesEqual(node.id, this.#deps.self.id)) continue;
      const to: Endpoint = { host: node.host, port: node.port, family };
      const key = `${to.host}|${to.port}`;
      if (this.#pinging.has(key) || this.#deps.isRouter(to)) continue;
      this.#pinging.add(key);
      void this.#deps.ping(to).then(() => this.#pinging.delete(key));
    }
  }


  /** Ping a few questionable nodes, then refresh the buckets not changed (nor refreshed) for BUCKET_REFRESH_MS, a few at a time. */
  tick(): void {
    if (this.#closed) return;
    const { self, clock, random } = this.#deps;
    const table = self.table;
    const now = clock.now();
    this.#pingQuestionable(now);
    // A sparse table (a failed bootstrap, a node that started alone) keeps trying to join.
    if (table.size < table.k) this.#lookupSelf();
    for (const bucket of table.buckets()) {
      if (this.#refreshing >= MAX_REFRESHES_PER_TICK) return;
      if (now - bucket.lastChanged < BUCKET_REFRESH_MS) continue;
      // Buckets are told apart by prefix: a multi-id table has many of each length.
      const key = `${bucket.prefixLength}:${bytesKey(bucket.prefix)}`;
      if (now - (this.#refreshedAt.get(key) ?? Number.NEGATIVE_INFINITY) < BUCKET_REFRESH_MS) continue;
      this.#refreshedAt.set(key, now);
      this.#refreshing++;
      void this.#deps
        .refresh(randomIdInPrefix(bucket.prefix, bucket.prefixLength, random))
        .catch(() => undefined)
        .then(() => this.#refreshing--);
    }
  }

  close(): void {
    this.#closed = true;
  }

  /** Probe the MAX_STALE_PINGS_PER_TICK stalest questionable nodes not already being probed. */
  #pingQuestionable(now: number): void {
    const stale: RoutingNode[] = [];
    for (const node of this.#deps.self.table.nodes()) {
      if (now - node.lastSeen >= QUESTIONABLE_AFTER_MS && !this.#probing.has(bytesKey(node.id))) stale.push(node);
    }
    stale.sort((a, b) => a.lastSeen - b.lastSeen);
    for (const node of stale.slice(0, MAX_STALE_PINGS_PER_TICK)) {
      const endpoint = decodeCompactAddress(node.address);
      if (!endpoint) continue;
      const key = bytesKey(node.id);
      this.#probing.add(key);
      this.#probe(node.id, endpoint, key, undefined, 0);
    }
  }

  /** Ping the stalest questionable node of the bucket where `id` belongs, if any. */
  #checkBucket(id: Uint8Array, now: number = this.#deps.clock.now()): void {
    if (this.#closed) return;
    const stale = this.#deps.self.table.stalest(id, now);
    if (!stale) return;
    const key = bytesKey(stale.id);
    if (this.#probing.has(key)) return;
    const endpoint = decodeCompactAddress(stale.address);
    if (!endpoint) return;
    this.#probing.add(key);
    // A copy: `id` may be the caller's scratch (onQuery's), and the probe outlives this call.
    this.#probe(stale.id, endpoint, key, id.slice(), 0);
  }

  /** Ping a questionable node (twice if need be); then, for a `newcomer` waiting in the cache, check its bucket again. */
  #probe(staleId: Uint8Array, endpoint: Endpoint, key: string, newcomer: Uint8Array | undefined, attempt: number): void {
    void this.#deps.ping(endpoint).then((outcome) => {
      const { clock } = this.#deps;
      const table = this.#deps.self.table;
      if (this.#closed || outcome.kind === 'closed' || outcome.kind === 'busy') {
        this.#probing.delete(key);
        return;
      }
      const answered =
        (outcome.kind === 'response' && outcome.response.r.id !== undefined && bytesEqual(outcome.response.r.id, staleId)) ||
        outcome.kind === 'error'; // an error answer still proves it alive
      if (answered) {
        table.seen(staleId, clock.now(), true);
        this.#probing.delete(key);
        // BEP 5: then ping the next least recently seen questionable node (each one turns good, so this ends).
        if (newcomer) this.#checkBucket(newcomer);
        return;
      }
      // 'removed': the table replaced it with its newest cache entry (the newcomer, usually).
      if (table.failed(staleId) === 'failed' && attempt === 0) {
        this.#probe(staleId, endpoint, key, newcomer, 1); // BEP 5: try once more before discarding
        return;
      }
      this.#probing.delete(key);
    });
  }
}

/** A remembered answer: the key only picks the slot, these confirm the node. */
interface Answered {
  id: Uint8Array;
  host: string;
  port: number;
  at: number;
}

/**
 * A small-integer map key from the id's last bytes (random even in deep
 * buckets, whose ids share a long prefix with ours) and the port. Two nodes
 * with the same key share one slot: the later evicts the earlier, which at
 * worst is pinged once more.
 */
function answerKey(id: Uint8Array, port: number): number {
  return ((id[16]! << 21) | (id[17]! << 13) | (id[18]! << 5) | (id[19]! >> 3)) ^ port;
}

/** Leading bits `a` and `b` share (160 when equal). */
function sharedBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 20; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return 160;
}
