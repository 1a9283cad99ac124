/**
 * The BEP 5 routing table in plain TypeScript, by the decisions of
 * docs/CORE-SPEC.md "Routing table". Buckets are ordered by depth: bucket i
 * (all but the last) holds ids sharing exactly i leading bits with ours; the
 * last holds the rest, and is the only one that splits.
 */
import {
  AddResult,
  type BucketInfo,
  type NodeState,
  type RoutingNode,
  type RoutingTable,
  type RoutingTableOptions,
} from '../routing-types.ts';

const ID_LENGTH = 20;
const ID_BITS = 160;

interface Entry {
  /** Compact node info, id + address: what closest() copies out in one set(). */
  compact: Uint8Array;
  /** Views into `compact`. */
  id: Uint8Array;
  /** The id's first 32 bits, unsigned: most XOR comparisons end there. */
  head: number;
  address: Uint8Array;
  lastSeen: number;
  responded: boolean;
  failures: number;
}

interface Bucket {
  /** Insertion order; updates do not reorder. */
  nodes: Entry[];
  /** Replacement cache, oldest first. */
  cache: Entry[];
  lastChanged: number;
}

/** Leading bits `a` and `b` have in common (160 when equal). */
function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
}

/** The first 32 bits of an id as an unsigned number. */
function leadingWord(id: Uint8Array): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
}

function bitAt(id: Uint8Array, bit: number): number {
  return (id[bit >> 3]! >> (7 - (bit & 7))) & 1;
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < ID_LENGTH; i++) if (a[i] !== b[i]) return false;
  return true;
}

function indexIn(list: Entry[], id: Uint8Array): number {
  for (let i = 0; i < list.length; i++) if (sameId(list[i]!.id, id)) return i;
  return -1;
}

/** True if `a` is nearer than `b` to `target` by XOR distance. */
function nearer(target: Uint8Array, a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < ID_LENGTH; i++) {
    const t = target[i]!;
    const da = a[i]! ^ t;
    const db = b[i]! ^ t;
    if (da !== db) return da < db;
  }
  return false;
}

function entry(id: Uint8Array, address: Uint8Array, now: number, responded: boolean): Entry {
  const compact = new Uint8Array(ID_LENGTH + address.length);
  compact.set(id);
  compact.set(address, ID_LENGTH);
  return {
    compact,
    id: compact.subarray(0, ID_LENGTH),
    head: leadingWord(id),
    address: compact.subarray(ID_LENGTH),
    lastSeen: now,
    responded,
    failures: 0,
  };
}

/**
 * closest() results are carved from shared 8 KiB blocks, as Node does for small
 * Buffers: a view on an existing ArrayBuffer costs a fraction of a fresh
 * (off-heap) allocation. A result keeps its block alive while it is held.
 */
const BLOCK_SIZE = 8192;
let block = new ArrayBuffer(BLOCK_SIZE);
let blockUsed = 0;

function output(size: number): Uint8Array {
  if (size > BLOCK_SIZE >> 2) return new Uint8Array(size);
  if (blockUsed + size > BLOCK_SIZE) {
    block = new ArrayBuffer(BLOCK_SIZE);
    blockUsed = 0;
  }
  const out = new Uint8Array(block, blockUsed, size);
  blockUsed += size;
  return out;
}

function snapshot(e: Entry): RoutingNode {
  return { id: e.id.slice(), address: e.address.slice(), lastSeen: e.lastSeen, responded: e.responded, failures: e.failures };
}

function positiveInteger(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`routing table ${name} must be an integer >= ${min}`);
  return value;
}

export class JsRoutingTable implements RoutingTable {
  readonly id: Uint8Array;
  readonly k: number;
  readonly addressLength: 6 | 18;
  private readonly cacheLimit: number;
  private readonly questionableAfterMs: number;
  private readonly maxFailures: number;
  private table: Bucket[];
  private count = 0;
  /** Scratch for closest(): the nearest entries found so far, nearest first, and their leading distance words. */
  private picked: Entry[] = [];
  private pickedDistance: number[] = [];
  private pickedCount = 0;

  constructor(options: RoutingTableOptions) {
    const id: unknown = options.id;
    if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) throw new TypeError('routing table id must be 20 bytes');
    this.id = id.slice();
    this.k = positiveInteger(options.k, 8, 'k', 1);
    this.cacheLimit = positiveInteger(options.cacheSize, this.k, 'cacheSize', 0);
    const addressLength = options.addressLength ?? 6;
    if (addressLength !== 6 && addressLength !== 18) throw new RangeError('routing table addressLength must be 6 or 18');
    this.addressLength = addressLength;
    this.maxFailures = positiveInteger(options.maxFailures, 2, 'maxFailures', 1);
    const questionable = options.questionableAfterMs ?? 15 * 60 * 1000;
    if (typeof questionable !== 'number' || !(questionable >= 0)) throw new RangeError('routing table questionableAfterMs must be >= 0');
    this.questionableAfterMs = questionable;
    this.table = [{ nodes: [], cache: [], lastChanged: 0 }];
  }

  get size(): number {
    return this.count;
  }

  get bucketCount(): number {
    return this.table.length;
  }

  private bucketIndex(id: Uint8Array): number {
    const shared = commonPrefixBits(id, this.id);
    const last = this.table.length - 1;
    return shared < last ? shared : last;
  }

  /** The bucket node with this id, or undefined (malformed ids are simply unknown). */
  private find(id: Uint8Array): Entry | undefined {
    if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) return undefined;
    const nodes = this.table[this.bucketIndex(id)]!.nodes;
    const i = indexIn(nodes, id);
    return i < 0 ? undefined : nodes[i];
  }

  /** Step 2 of add(): a sighting of a known node. */
  private touch(e: Entry, now: number, responded: boolean): void {
    if (responded) {
      e.responded = true;
      e.lastSeen = now;
      e.failures = 0;
    } else if (e.responded) {
      e.lastSeen = now;
    }
  }

  add(id: Uint8Array, address: Uint8Array, now: number, responded: boolean): AddResult {
    if (
      !(id instanceof Uint8Array) || id.length !== ID_LENGTH ||
      !(address instanceof Uint8Array) || address.length !== this.addressLength ||
      sameId(id, this.id)
    ) {
      return AddResult.Rejected;
    }
    let index = this.bucketIndex(id);
    let bucket = this.table[index]!;
    const known = indexIn(bucket.nodes, id);
    if (known >= 0) {
      const e = bucket.nodes[known]!;
      e.address.set(address);
      this.touch(e, now, responded);
      if (responded) bucket.lastChanged = now;
      return AddResult.Updated;
    }
    const cached = indexIn(bucket.cache, id);
    if (cached >= 0) {
      const e = bucket.cache[cached]!;
      e.address.set(address);
      this.touch(e, now, responded);
      bucket.cache.splice(cached, 1);
      bucket.cache.push(e);
      return AddResult.Cached;
    }
    for (;;) {
      if (bucket.nodes.length < this.k) {
        bucket.nodes.push(entry(id, address, now, responded));
        bucket.lastChanged = now;
        this.count++;
        return AddResult.Added;
      }
      const last = this.table.length - 1;
      if (index !== last || last >= ID_BITS - 1) break;
      this.split();
      index = this.bucketIndex(id);
      bucket = this.table[index]!;
    }
    const nodes = bucket.nodes;
    for (let i = 0; i < nodes.length; i++) {
      if (nodes[i]!.failures >= this.maxFailures) {
        nodes[i] = entry(id, address, now, responded);
        bucket.lastChanged = now;
        return AddResult.Added;
      }
    }
    // A zero-size cache keeps nothing; the caller still learns the bucket is full.
    if (this.cacheLimit > 0) {
      if (bucket.cache.length >= this.cacheLimit) bucket.cache.shift();
      bucket.cache.push(entry(id, address, now, responded));
    }
    return AddResult.Cached;
  }

  /** Split the last bucket on the next bit of our id; both halves refill from their own caches. */
  private split(): void {
    const bit = this.table.length - 1;
    const old = this.table[bit]!;
    const ours = bitAt(this.id, bit);
    const near: Bucket = { nodes: [], cache: [], lastChanged: old.lastChanged };
    const farNodes: Entry[] = [];
    for (const e of old.nodes) (bitAt(e.id, bit) === ours ? near.nodes : farNodes).push(e);
    const farCache: Entry[] = [];
    for (const e of old.cache) (bitAt(e.id, bit) === ours ? near.cache : farCache).push(e);
    old.nodes = farNodes;
    old.cache = farCache;
    this.table.push(near);
    this.refill(old);
    this.refill(near);
  }

  /** Move newest cache entries into the bucket while it has room. */
  private refill(bucket: Bucket): void {
    while (bucket.nodes.length < this.k && bucket.cache.length > 0) {
      bucket.nodes.push(bucket.cache.pop()!);
      this.count++;
    }
  }

  seen(id: Uint8Array, now: number, responded: boolean): boolean {
    const e = this.find(id);
    if (!e) return false;
    this.touch(e, now, responded);
    if (responded) this.table[this.bucketIndex(id)]!.lastChanged = now;
    return true;
  }

  failed(id: Uint8Array): 'failed' | 'bad' | 'removed' | undefined {
    if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) return undefined;
    const bucket = this.table[this.bucketIndex(id)]!;
    const i = indexIn(bucket.nodes, id);
    if (i >= 0) {
      const e = bucket.nodes[i]!;
      e.failures++;
      if (e.failures < this.maxFailures) return 'failed';
      if (bucket.cache.length === 0) return 'bad';
      bucket.nodes.splice(i, 1);
      bucket.nodes.push(bucket.cache.pop()!);
      return 'removed';
    }
    const j = indexIn(bucket.cache, id);
    if (j < 0) return undefined;
    bucket.cache.splice(j, 1);
    return 'removed';
  }

  remove(id: Uint8Array): boolean {
    if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) return false;
    const bucket = this.table[this.bucketIndex(id)]!;
    const i = indexIn(bucket.nodes, id);
    if (i >= 0) {
      bucket.nodes.splice(i, 1);
      this.count--;
      this.refill(bucket);
      return true;
    }
    const j = indexIn(bucket.cache, id);
    if (j < 0) return false;
    bucket.cache.splice(j, 1);
    return true;
  }

  has(id: Uint8Array): boolean {
    return this.find(id) !== undefined;
  }

  get(id: Uint8Array): RoutingNode | undefined {
    const e = this.find(id);
    return e ? snapshot(e) : undefined;
  }

  private stateOf(e: Entry, now: number): NodeState {
    if (e.failures >= this.maxFailures) return 'bad';
    return e.responded && now - e.lastSeen < this.questionableAfterMs ? 'good' : 'questionable';
  }

  state(id: Uint8Array, now: number): NodeState | undefined {
    const e = this.find(id);
    return e ? this.stateOf(e, now) : undefined;
  }

  stalest(id: Uint8Array, now: number): RoutingNode | undefined {
    if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) return undefined;
    let stalest: Entry | undefined;
    for (const e of this.table[this.bucketIndex(id)]!.nodes) {
      if (this.stateOf(e, now) !== 'questionable') continue;
      if (!stalest || e.lastSeen < stalest.lastSeen) stalest = e;
    }
    return stalest ? snapshot(stalest) : undefined;
  }

  /** Is `e`, whose leading distance word is `d`, nearer to `target` than picked[j]? */
  private nearerThanPicked(e: Entry, d: number, j: number, target: Uint8Array): boolean {
    const dj = this.pickedDistance[j]!;
    return d !== dj ? d < dj : nearer(target, e.id, this.picked[j]!.id);
  }

  /**
   * Offer the non-bad nodes of one bucket to the sorted `picked` list of at most
   * `k` (insertion: k is small in practice). Distances compare on their first 32 bits
   * first, which nearly always decides.
   */
  private consider(bucket: Bucket, target: Uint8Array, targetHead: number, k: number): void {
    const picked = this.picked;
    const distance = this.pickedDistance;
    const nodes = bucket.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const e = nodes[i]!;
      if (e.failures >= this.maxFailures) continue;
      const d = (e.head ^ targetHead) >>> 0;
      let at = this.pickedCount;
      if (at === k) {
        if (!this.nearerThanPicked(e, d, k - 1, target)) continue;
        at = k - 1;
      } else {
        this.pickedCount++;
      }
      while (at > 0 && this.nearerThanPicked(e, d, at - 1, target)) {
        picked[at] = picked[at - 1]!;
        distance[at] = distance[at - 1]!;
        at--;
      }
      picked[at] = e;
      distance[at] = d;
    }
  }

  /**
   * Fill `picked` with the `k` nearest good-or-questionable nodes. Buckets fall in
   * distance classes: the target's own bucket is nearest; all deeper buckets share
   * the next class; then each shallower bucket, deepest first. So whole classes are
   * visited in order and the walk stops once `k` are held after a class.
   */
  private select(target: Uint8Array, k: number): number {
    if (!(target instanceof Uint8Array) || target.length !== ID_LENGTH) throw new TypeError('closest target must be 20 bytes');
    this.pickedCount = 0;
    if (!(k >= 1)) return 0;
    k = Math.min(Math.floor(k), this.count);
    if (k === 0) return 0;
    const n = this.table.length;
    const home = this.bucketIndex(target);
    const head = leadingWord(target);
    this.consider(this.table[home]!, target, head, k);
    if (this.pickedCount < k) {
      for (let i = home + 1; i < n; i++) this.consider(this.table[i]!, target, head, k);
    }
    for (let i = home - 1; i >= 0 && this.pickedCount < k; i--) this.consider(this.table[i]!, target, head, k);
    return this.pickedCount;
  }

  closest(target: Uint8Array, k: number): Uint8Array {
    const count = this.select(target, k);
    const width = ID_LENGTH + this.addressLength;
    const out = output(count * width);
    for (let i = 0; i < count; i++) out.set(this.picked[i]!.compact, i * width);
    return out;
  }

  closestNodes(target: Uint8Array, k: number): RoutingNode[] {
    const count = this.select(target, k);
    const out: RoutingNode[] = [];
    for (let i = 0; i < count; i++) out.push(snapshot(this.picked[i]!));
    return out;
  }

  buckets(): BucketInfo[] {
    const n = this.table.length;
    const out: BucketInfo[] = [];
    for (let i = 0; i < n; i++) {
      const bucket = this.table[i]!;
      const prefixLength = i < n - 1 ? i + 1 : n - 1;
      const prefix = new Uint8Array(ID_LENGTH);
      for (let bit = 0; bit < prefixLength; bit++) {
        // Our bits, except the last bit of a non-final bucket's prefix, which is flipped.
        const value = bit === i && i < n - 1 ? bitAt(this.id, bit) ^ 1 : bitAt(this.id, bit);
        if (value) prefix[bit >> 3] = prefix[bit >> 3]! | (0x80 >> (bit & 7));
      }
      out.push({ prefixLength, prefix, lastChanged: bucket.lastChanged, size: bucket.nodes.length, cacheSize: bucket.cache.length });
    }
    return out;
  }

  nodes(): RoutingNode[] {
    const out: RoutingNode[] = [];
    for (const bucket of this.table) for (const e of bucket.nodes) out.push(snapshot(e));
    return out;
  }

  dispose(): void {
    this.table = [{ nodes: [], cache: [], lastChanged: 0 }];
    this.count = 0;
    this.picked = [];
    this.pickedDistance = [];
  }
}
