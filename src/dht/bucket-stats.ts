/** The routing table seen bucket by bucket: how full each is and how fresh its nodes (BEP 5 states), for inspection and metrics. */
import type { NodeState, RoutingTable } from '../core/routing-types.ts';
import { toHex } from '../util/hex.ts';

/**
 * One bucket of one family's routing table.
 * @example
 * import { DHT, type BucketStats } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const full: BucketStats[] = dht.buckets().filter((bucket) => bucket.good === bucket.capacity);
 * console.log(`${full.length} of ${dht.buckets().length} buckets full of good nodes`);
 */
export interface BucketStats {
  family: 4 | 6;
  /** Leading bits every id in the bucket shares (0: the farthest half of the keyspace). */
  depth: number;
  /** The prefix, hex of 20 bytes (bits past `depth` zero). */
  prefix: string;
  good: number;
  questionable: number;
  bad: number;
  /** Replacement-cache entries. */
  cached: number;
  /** Nodes it holds at most (k). */
  capacity: number;
}

/** Every bucket of `table`, each node counted in its bucket by state. */
export function bucketStats(table: RoutingTable, family: 4 | 6, now: number): BucketStats[] {
  const out: BucketStats[] = [];
  const byPrefix = new Map<string, BucketStats>();
  for (const bucket of table.buckets()) {
    const entry: BucketStats = { family, depth: bucket.prefixLength, prefix: toHex(bucket.prefix), good: 0, questionable: 0, bad: 0, cached: bucket.cacheSize, capacity: table.k };
    byPrefix.set(prefixKey(bucket.prefix, bucket.prefixLength), entry);
    out.push(entry);
  }
  // With several ids of ours (crawler mode) buckets of one depth differ by prefix: match on both.
  for (const node of table.nodes()) {
    const entry = byPrefix.get(prefixKey(node.id, table.prefixLengthOf(node.id)));
    if (entry) entry[table.state(node.id, now) ?? ('bad' satisfies NodeState)]++;
  }
  return out;
}

/** `bits` leading bits of `id`, as a map key. */
function prefixKey(id: Uint8Array, bits: number): string {
  const bytes = id.slice(0, Math.ceil(bits / 8));
  if (bits % 8 !== 0) bytes[bytes.length - 1]! &= 0xff << (8 - (bits % 8));
  return `${bits}:${toHex(bytes)}`;
}
