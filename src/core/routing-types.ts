/**
 * The routing table contract (BEP 5): 160-bit ids, buckets of K nodes, only a
 * bucket holding one of our own ids splits, a replacement cache per bucket.
 * A plain node has one id; crawler mode registers many on one table (the
 * buckets split around each of them, issue #8).
 *
 * Addresses are kept compact, as they go on the wire: 4-byte IPv4 + 2-byte port
 * (`addressLength` 6), or 16 + 2 for IPv6 (`addressLength` 18, BEP 32). Times are
 * milliseconds (any monotonic or epoch clock, as long as the caller is consistent).
 */

/**
 * @example
 * import { loadCore, type RoutingTableOptions } from 'btdht/core';
 * const core = await loadCore();
 * const options: RoutingTableOptions = { id: crypto.getRandomValues(new Uint8Array(20)), k: 8, addressLength: 18 }; // an IPv6 table
 * const table = core.createRoutingTable(options);
 */
export interface RoutingTableOptions {
  /** Our node id, 20 bytes: the primary one. */
  id: Uint8Array;
  /** More ids of ours to register at once (crawler mode), as `register` does one by one. */
  ids?: readonly Uint8Array[];
  /** Bucket size, K = 8 in BEP 5. */
  k?: number;
  /** Replacement cache entries per bucket (default: k). */
  cacheSize?: number;
  /** 6 (IPv4) or 18 (IPv6). Default 6. */
  addressLength?: 6 | 18;
  /** A node not heard from for this long is questionable (BEP 5: 15 minutes). */
  questionableAfterMs?: number;
  /** Failed queries in a row after which a node is bad (BEP 5: "multiple"; default 2). */
  maxFailures?: number;
}

/**
 * RoutingTableOptions checked and defaulted: what both backends' tables are built from.
 * @example
 * import { resolveRoutingTableOptions, type ResolvedRoutingTableOptions } from 'btdht/core';
 * const resolved: ResolvedRoutingTableOptions = resolveRoutingTableOptions({ id: new Uint8Array(20), k: 16 });
 * resolved.cacheSize; // 16: the replacement cache defaults to k
 */
export interface ResolvedRoutingTableOptions {
  /** A copy (even of a Buffer, whose slice() is a view). */
  id: Uint8Array;
  /** The other ids to register, checked (not copied: register copies). */
  ids: readonly Uint8Array[];
  k: number;
  cacheSize: number;
  addressLength: 6 | 18;
  maxFailures: number;
  questionableAfterMs: number;
}

/**
 * Check and default a table's options; throws naming the bad one (same messages for both backends).
 * @example
 * import { resolveRoutingTableOptions } from 'btdht/core';
 * resolveRoutingTableOptions({ id: new Uint8Array(20) }); // k 8, addressLength 6, maxFailures 2, questionable after 15 min
 * resolveRoutingTableOptions({ id: new Uint8Array(19) }); // throws TypeError: routing table id must be 20 bytes
 */
export function resolveRoutingTableOptions(options: RoutingTableOptions): ResolvedRoutingTableOptions {
  const id: unknown = options.id;
  if (!(id instanceof Uint8Array && id.length === 20)) throw new TypeError('routing table id must be 20 bytes');
  const ids: unknown = options.ids ?? [];
  if (!Array.isArray(ids)) throw new TypeError('routing table ids must be an array of 20-byte Uint8Arrays');
  for (const other of ids) checkRegisteredId(other);
  const k = tableInteger(options.k, 8, 'k', 1);
  const cacheSize = tableInteger(options.cacheSize, k, 'cacheSize', 0);
  const addressLength = options.addressLength ?? 6;
  if (addressLength !== 6 && addressLength !== 18) throw new RangeError('routing table addressLength must be 6 or 18');
  const maxFailures = tableInteger(options.maxFailures, 2, 'maxFailures', 1);
  const questionableAfterMs = options.questionableAfterMs ?? 15 * 60 * 1000;
  if (typeof questionableAfterMs !== 'number' || !(questionableAfterMs >= 0)) throw new RangeError('routing table questionableAfterMs must be >= 0');
  return { id: new Uint8Array(id), ids: ids as Uint8Array[], k, cacheSize, addressLength, maxFailures, questionableAfterMs };
}

/**
 * Throws unless `id` can be registered (the same message on both backends).
 * @example
 * import { checkRegisteredId, loadCore } from 'btdht/core';
 * const core = await loadCore();
 * const table = core.createRoutingTable({ id: new Uint8Array(20) });
 * const id: unknown = crypto.getRandomValues(new Uint8Array(20));
 * checkRegisteredId(id); // throws TypeError unless 20 bytes; narrows `id` to Uint8Array
 * table.register(id);
 */
export function checkRegisteredId(id: unknown): asserts id is Uint8Array {
  if (!(id instanceof Uint8Array && id.length === 20)) throw new TypeError('registered id must be a 20-byte Uint8Array');
}

function tableInteger(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`routing table ${name} must be an integer >= ${min}`);
  return value;
}

/**
 * Outcome of `add` (a plain number, so the WASM backend can return it as is).
 * @example
 * import { AddResult, loadCore } from 'btdht/core';
 * const core = await loadCore();
 * const table = core.createRoutingTable({ id: crypto.getRandomValues(new Uint8Array(20)) });
 * const address = new Uint8Array([192, 0, 2, 1, 0x1a, 0xe1]); // 192.0.2.1:6881, compact
 * const result = table.add(crypto.getRandomValues(new Uint8Array(20)), address, Date.now(), true);
 * if (result === AddResult.Cached) console.log('bucket full: ping its stalest node');
 */
export const AddResult = {
  /** New node placed in a bucket (possibly after splitting, or replacing a bad node). */
  Added: 0,
  /** Node already in a bucket: address and times refreshed. */
  Updated: 1,
  /** Bucket full of good or questionable nodes: kept in the bucket's replacement cache. */
  Cached: 2,
  /** Not stored: our own id, or a malformed id / address. */
  Rejected: 3,
} as const;
export type AddResult = (typeof AddResult)[keyof typeof AddResult];

/**
 * @example
 * import { loadCore, type NodeState } from 'btdht/core';
 * const core = await loadCore();
 * const table = core.createRoutingTable({ id: new Uint8Array(20) });
 * const id = crypto.getRandomValues(new Uint8Array(20));
 * table.add(id, new Uint8Array([192, 0, 2, 1, 0x1a, 0xe1]), Date.now(), true);
 * const state: NodeState | undefined = table.state(id, Date.now()); // 'good'
 */
export type NodeState = 'good' | 'questionable' | 'bad';

/**
 * A node as the table reports it (a copy: mutating it changes nothing).
 * @example
 * import { loadCore, type RoutingNode } from 'btdht/core';
 * const core = await loadCore();
 * const table = core.createRoutingTable({ id: new Uint8Array(20) });
 * const nearest: RoutingNode[] = table.closestNodes(crypto.getRandomValues(new Uint8Array(20)), 8);
 * for (const node of nearest) console.log(node.address, node.responded ? 'answered' : 'never answered', node.failures);
 */
export interface RoutingNode {
  id: Uint8Array;
  /** Compact address, `addressLength` bytes. */
  address: Uint8Array;
  /** Last time it answered us, or queried us after having answered once. */
  lastSeen: number;
  /** Has it ever answered one of our queries? */
  responded: boolean;
  /** Failed queries in a row. */
  failures: number;
}

/**
 * @example
 * import { loadCore, type BucketInfo } from 'btdht/core';
 * const core = await loadCore();
 * const table = core.createRoutingTable({ id: new Uint8Array(20) });
 * const buckets: BucketInfo[] = table.buckets();
 * const stale = buckets.filter((bucket) => Date.now() - bucket.lastChanged > 15 * 60_000); // to refresh (BEP 5)
 */
export interface BucketInfo {
  /** Number of leading bits shared by every id in the bucket. */
  prefixLength: number;
  /** The prefix, as a 20-byte id whose bits past prefixLength are zero. */
  prefix: Uint8Array;
  /** BEP 5 "last changed": a node added, replaced, or answered a ping. */
  lastChanged: number;
  size: number;
  cacheSize: number;
}

/**
 * @example
 * import { loadCore, type RoutingTable } from 'btdht/core';
 * const core = await loadCore('js');
 * const table: RoutingTable = core.createRoutingTable({ id: crypto.getRandomValues(new Uint8Array(20)) });
 * const id = crypto.getRandomValues(new Uint8Array(20));
 * table.add(id, new Uint8Array([192, 0, 2, 1, 0x1a, 0xe1]), Date.now(), true);
 * table.closest(id, 8); // compact node info of the 8 nearest (26 bytes each)
 * const out = new Uint8Array(8 * 26);
 * table.closestInto(id, 8, out); // the same bytes into a buffer of ours: 26 (bytes written)
 * table.failed(id); // 'failed' (bad after maxFailures in a row)
 * table.dispose();
 */
export interface RoutingTable {
  /** The primary id (never unregistered). */
  readonly id: Uint8Array;
  /** Every registered id: the primary first, then in registration order. The table's own bytes: do not mutate. */
  readonly ids: readonly Uint8Array[];
  readonly k: number;
  readonly addressLength: 6 | 18;
  /** Nodes in buckets (replacement caches not counted). */
  readonly size: number;
  readonly bucketCount: number;

  /**
   * Offer a node. `responded` says it answered one of our queries (a response),
   * as opposed to being seen in a query or in a nodes list.
   * A full bucket holding our id splits; another full bucket replaces a bad
   * node, else the newcomer goes to the replacement cache (`Cached`): then call
   * `stalest(id, now)` to learn which questionable node to ping.
   */
  add(id: Uint8Array, address: Uint8Array, now: number, responded: boolean): AddResult;
  /** Record activity of a known node: a response (responded=true) or a query from it. False if unknown. */
  seen(id: Uint8Array, now: number, responded: boolean): boolean;
  /**
   * Record a failed query. At `maxFailures` failures in a row the node is bad:
   * it is replaced by the newest replacement-cache entry if the bucket has one
   * ('removed'), else kept, marked bad, until a newcomer takes its place ('bad').
   * 'failed' below the threshold; undefined if the id is not in a bucket.
   * A failing replacement-cache entry is simply dropped ('removed').
   */
  failed(id: Uint8Array): 'failed' | 'bad' | 'removed' | undefined;
  remove(id: Uint8Array): boolean;
  has(id: Uint8Array): boolean;
  get(id: Uint8Array): RoutingNode | undefined;
  state(id: Uint8Array, now: number): NodeState | undefined;
  /**
   * The least recently seen questionable node (not heard from within
   * questionableAfterMs) in the bucket where `id` belongs, to ping before
   * evicting; undefined if all are good.
   */
  stalest(id: Uint8Array, now: number): RoutingNode | undefined;
  /**
   * The `k` nodes nearest to `target` by XOR distance, nearest first, bad nodes
   * excluded, as concatenated compact node info (20-byte id + address).
   */
  closest(target: Uint8Array, k: number): Uint8Array;
  /**
   * `closest` written into the caller's buffer (like TextEncoder.encodeInto):
   * the same bytes at the start of `out`, and the count of bytes written. The
   * caller owns them: later calls never change them, and nothing is allocated.
   * `out` must have room for min(k, size) nodes of 20 + addressLength bytes
   * (room for k nodes is always enough), else RangeError and nothing written;
   * TypeError for a target that is not 20 bytes or an `out` that is not a Uint8Array.
   * @example
   * import { loadCore } from 'btdht/core';
   * const core = await loadCore();
   * const table = core.createRoutingTable({ id: crypto.getRandomValues(new Uint8Array(20)) });
   * table.add(crypto.getRandomValues(new Uint8Array(20)), new Uint8Array([192, 0, 2, 1, 0x1a, 0xe1]), Date.now(), true);
   * const out = new Uint8Array(8 * (20 + table.addressLength)); // room for 8 nodes, reused for every answer
   * const written = table.closestInto(crypto.getRandomValues(new Uint8Array(20)), 8, out);
   * const nodes = out.subarray(0, written); // 26 bytes: the one node, as closest() would return it
   */
  closestInto(target: Uint8Array, k: number, out: Uint8Array): number;
  /** Same selection as `closest`, as objects (for seeding lookups). */
  closestNodes(target: Uint8Array, k: number): RoutingNode[];
  /**
   * The buckets: with one registered id, from the farthest (prefixLength 0) to
   * the one holding it; with more, in key order (ascending prefixes).
   */
  buckets(): BucketInfo[];
  /** Every node in buckets (not caches), for saving state. */
  nodes(): RoutingNode[];
  /**
   * Register one more id of ours: from now on a full bucket holding it splits,
   * as the bucket holding the primary does (on the next add to that range). A
   * node with this id leaves the table (it is us now): its bucket refills from
   * the cache. Idempotent. TypeError unless 20 bytes.
   */
  register(id: Uint8Array): void;
  /**
   * Stop splitting around `id`; buckets already split stay (tables never
   * merge). False if it was not registered; RangeError for the primary.
   */
  unregister(id: Uint8Array): boolean;
  /** The prefix length of the bucket whose range holds `id` (20 bytes, else TypeError). */
  prefixLengthOf(id: Uint8Array): number;
  /** Free resources (WASM memory slot); the table must not be used after. */
  dispose(): void;
}

/**
 * XOR distance comparison: negative if a is nearer to target than b.
 * @example
 * import { compareDistance } from 'btdht/core';
 * const target = new Uint8Array(20);
 * const ids = [new Uint8Array(20).fill(0xff), new Uint8Array(20).fill(1)];
 * ids.sort((a, b) => compareDistance(target, a, b)); // nearest to target first: the 0x01… id
 */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 20; i++) {
    const da = (a[i] ?? 0) ^ (target[i] ?? 0);
    const db = (b[i] ?? 0) ^ (target[i] ?? 0);
    if (da !== db) return da - db;
  }
  return 0;
}
