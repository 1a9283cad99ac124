/**
 * Routing table upkeep (BEP 5 "Routing Table"):
 *
 * - a node that answers one of our queries is offered to the table as good;
 * - a node that queries us and is unknown is pinged first, and enters the
 *   table only if it answers (BEP 5 wants only nodes known to answer; pinging
 *   keeps NATed, query-only nodes out), with a bounded number of such pings;
 * - a newcomer that finds its bucket full makes us ping the bucket's stalest
 *   questionable node, twice if need be; the table replaces it from the
 *   bucket's cache on the second failure;
 * - every bucket not changed for 15 minutes is refreshed by a find_node lookup
 *   of a random id in its range, a few per tick;
 * - when the first node enters an empty table, and on every tick while the
 *   table holds fewer than k nodes, we look up our own id (BEP 5: "Upon
 *   inserting the first node into its routing table ... find the closest nodes").
 */
import type { RoutingTable } from '../core/routing-types.ts';
import { AddResult } from '../core/routing-types.ts';
import type { Clock } from '../transport/clock.ts';
import type { Endpoint } from '../transport/types.ts';
import { decodeCompactAddress, encodeCompactAddress } from '../krpc/compact.ts';
import type { RandomSource } from '../util/random.ts';
import { randomIdInPrefix } from '../util/id.ts';
import { bytesEqual, bytesKey } from '../util/bytes.ts';
import { BUCKET_REFRESH_MS, MAX_PENDING_PINGS, MAX_REFRESHES_PER_TICK } from './constants.ts';
import type { QueryOutcome } from './rpc.ts';

/** A node as the node's events and lookups report it. */
export interface NodeInfo {
  id: Uint8Array;
  host: string;
  port: number;
}

export interface RoutingDeps {
  table: RoutingTable;
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
}

export class RoutingUpkeep {
  readonly #deps: RoutingDeps;
  /** Unknown nodes that queried us, being pinged (by address). */
  readonly #pinging = new Set<string>();
  /** Questionable bucket nodes being probed (by id). */
  readonly #probing = new Set<string>();
  /** Last refresh attempt per bucket (by prefix length), so an empty bucket is not retried every tick. */
  readonly #refreshedAt = new Map<number, number>();
  #refreshing = 0;
  #selfLookup = false;
  #closed = false;

  constructor(deps: RoutingDeps) {
    this.#deps = deps;
  }

  /** A node answered one of our queries with `id`. */
  onResponse(id: Uint8Array | undefined, from: Endpoint): void {
    if (!id || id.length !== 20 || this.#closed) return;
    const { table, clock } = this.#deps;
    const now = clock.now();
    if (table.seen(id, now, true)) return;
    if (this.#deps.isRouter(from)) return;
    const address = encodeCompactAddress(from.host, from.port);
    if (!address || address.length !== table.addressLength) return;
    const result = table.add(id, address, now, true);
    if (result === AddResult.Added) {
      this.#deps.onNode({ id: id.slice(), host: from.host, port: from.port });
      if (table.size === 1) this.#lookupSelf();
    } else if (result === AddResult.Cached) {
      this.#checkBucket(id);
    }
  }

  /** Find the nodes nearest to us (one such lookup at a time). */
  #lookupSelf(): void {
    if (this.#selfLookup || this.#closed) return;
    this.#selfLookup = true;
    void this.#deps
      .refresh(this.#deps.table.id)
      .catch(() => undefined)
      .then(() => (this.#selfLookup = false));
  }

  /** A node with `id` (20 bytes, checked) queried us. */
  onQuery(id: Uint8Array, from: Endpoint): void {
    if (this.#deps.table.seen(id, this.#deps.clock.now(), false) || this.#closed) return;
    if (this.#pinging.size >= MAX_PENDING_PINGS || this.#deps.isRouter(from)) return;
    const key = `${from.host}|${from.port}`;
    if (this.#pinging.has(key)) return;
    this.#pinging.add(key);
    // The answer reaches onResponse through the rpc layer, which offers the node to the table.
    void this.#deps.ping(from).then(() => this.#pinging.delete(key));
  }

  /** One of our queries to the node `id` timed out. */
  onTimeout(id: Uint8Array): void {
    // At the second failure in a row the table swaps in its newest cache entry itself.
    this.#deps.table.failed(id);
  }

  /** Refresh the buckets not changed (nor refreshed) for BUCKET_REFRESH_MS, a few at a time. */
  tick(): void {
    if (this.#closed) return;
    const { table, clock, random } = this.#deps;
    const now = clock.now();
    // A sparse table (a failed bootstrap, a node that started alone) keeps trying to join.
    if (table.size < table.k) this.#lookupSelf();
    for (const bucket of table.buckets()) {
      if (this.#refreshing >= MAX_REFRESHES_PER_TICK) return;
      const last = Math.max(bucket.lastChanged, this.#refreshedAt.get(bucket.prefixLength) ?? Number.NEGATIVE_INFINITY);
      if (now - last < BUCKET_REFRESH_MS) continue;
      this.#refreshedAt.set(bucket.prefixLength, now);
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

  /** Ping the stalest questionable node of the bucket where `id` belongs, if any. */
  #checkBucket(id: Uint8Array): void {
    if (this.#closed) return;
    const stale = this.#deps.table.stalest(id, this.#deps.clock.now());
    if (!stale) return;
    const key = bytesKey(stale.id);
    if (this.#probing.has(key)) return;
    const endpoint = decodeCompactAddress(stale.address);
    if (!endpoint) return;
    this.#probing.add(key);
    this.#probe(stale.id, endpoint, key, id, 0);
  }

  #probe(staleId: Uint8Array, endpoint: Endpoint, key: string, newcomer: Uint8Array, attempt: number): void {
    void this.#deps.ping(endpoint).then((outcome) => {
      const { table, clock } = this.#deps;
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
        this.#checkBucket(newcomer);
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
