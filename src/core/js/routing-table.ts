/**
 * The js backend's routing table, and the one crawler mode shares among many
 * node ids (issue #8), as the Python btdht does it:
 * ids are registered on the table and buckets split around each of them, so
 * every id is a close neighbour for its own part of the keyspace.
 *
 * Buckets are the leaves of a binary trie over the 160-bit space. A full bucket
 * splits when its range holds ANY registered id (the core's rule, "split the
 * bucket holding our id", generalised), and never below prefix length 159, as
 * in the core (at most 160 buckets along one id's path). Every other decision —
 * add results, seen, failed / bad / removed with cache promotion, remove,
 * state, stalest, closest — is docs/CORE-SPEC.md "Routing table" applied to the
 * bucket where an id belongs. Only buckets whose range holds a registered id
 * ever split, so one more id costs the buckets along its own path, no more.
 *
 * Bucket order (buckets(), nodes()): with one registered id, farthest from it
 * first; with more, key order (ascending prefixes). The wasm backend keeps the
 * same trie in linear memory (assembly/routing.ts); the two are replayed op by
 * op against each other, with one id and with many
 * (test/dht/multi-id/differential.test.ts, test/core/routing-table.test.ts).
 */
import {
  AddResult,
  type BucketInfo,
  type NodeState,
  type RoutingNode,
  type RoutingTable,
  type RoutingTableOptions,
  checkRegisteredId,
  resolveRoutingTableOptions,
} from '../routing-types.ts';
import { checkClosestOut, closestWant } from '../closest-room.ts';

const ID_LENGTH = 20;
/** Deepest prefix a bucket may have: its range is two ids, so one more split gains nothing (the core's 160-bucket cap). */
const MAX_PREFIX_LENGTH = 159;

/** A table node. One typed array per entry (no id / address views): thousands of ids mean many entries. */
interface Entry {
  /** Compact node info, id + address: closest() copies it out in one set(). */
  compact: Uint8Array;
  /** The id's first 32 bits, unsigned: most XOR comparisons end there. */
  head: number;
  lastSeen: number;
  responded: boolean;
  failures: number;
}

const NO_ENTRIES: Entry[] = Object.freeze([]) as unknown as Entry[];

/**
 * A trie cell: a leaf is a bucket (nodes, cache, registered ids in its range);
 * a branch splits on bit `depth` into `zero` and `one`. One shape for both, so
 * the descent stays monomorphic; a split turns the leaf into a branch in place.
 */
class Cell {
  zero: Cell | null = null;
  one: Cell | null = null;
  /** Insertion order; updates do not reorder. */
  nodes: Entry[] = [];
  /** Replacement cache, oldest first. */
  cache: Entry[] = [];
  /** Registered ids inside this bucket's range (null when none: most buckets). */
  owners: Uint8Array[] | null = null;
  constructor(
    /** The bucket's prefix length (a branch: the bit it splits on). */
    readonly depth: number,
    public lastChanged: number,
  ) {}
}

function isId(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === ID_LENGTH;
}

function bitAt(id: Uint8Array, bit: number): number {
  return (id[bit >> 3]! >> (7 - (bit & 7))) & 1;
}

function leadingWord(id: Uint8Array): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
}

/** Compares the first 20 bytes (an entry's compact info starts with its id). */
function sameId(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < ID_LENGTH; i++) if (a[i] !== b[i]) return false;
  return true;
}

function indexIn(list: Entry[], id: Uint8Array): number {
  for (let i = 0; i < list.length; i++) if (sameId(list[i]!.compact, id)) return i;
  return -1;
}

function ownerIndex(owners: Uint8Array[] | null, id: Uint8Array): number {
  if (owners === null) return -1;
  for (let i = 0; i < owners.length; i++) if (sameId(owners[i]!, id)) return i;
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
  return { compact, head: leadingWord(id), lastSeen: now, responded, failures: 0 };
}

function snapshot(e: Entry): RoutingNode {
  return {
    id: e.compact.slice(0, ID_LENGTH),
    address: e.compact.slice(ID_LENGTH),
    lastSeen: e.lastSeen,
    responded: e.responded,
    failures: e.failures,
  };
}

/**
 * closest() results are carved from shared 32 KiB blocks (a view on an existing
 * ArrayBuffer costs a fraction of a fresh allocation), as the core's results
 * are: each result is its own range; a held result keeps its block alive.
 */
const BLOCK_SIZE = 32768;
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

/**
 * A routing table shared by every registered node id.
 *
 * @example
 * const table = new SharedRoutingTable({ id: primary });
 * for (const id of spreadIds(64, cryptoRandom, primary)) table.register(id);
 * table.add(nodeId, compactAddress, Date.now(), true);
 * table.closest(infohash, 8); // compact node info, nearest first
 */
export class SharedRoutingTable implements RoutingTable {
  /** The primary id (the first registered; never unregistered). */
  readonly id: Uint8Array;
  readonly k: number;
  readonly addressLength: 6 | 18;
  private readonly cacheLimit: number;
  private readonly questionableAfterMs: number;
  private readonly maxFailures: number;
  private readonly registered: Uint8Array[] = [];
  private root: Cell;
  private count = 0;
  private leaves = 1;
  /** Scratch for closest(): the walk's pending cells, and the nearest entries so far with their leading distance words. */
  private readonly stack: Cell[] = [];
  private picked: Entry[] = [];
  private pickedDistance: number[] = [];
  private pickedCount = 0;

  constructor(options: RoutingTableOptions) {
    const o = resolveRoutingTableOptions(options);
    this.id = o.id;
    this.k = o.k;
    this.cacheLimit = o.cacheSize;
    this.addressLength = o.addressLength;
    this.maxFailures = o.maxFailures;
    this.questionableAfterMs = o.questionableAfterMs;
    this.registered.push(this.id);
    this.root = this.emptyRoot();
    for (const other of o.ids) this.register(other);
  }

  private emptyRoot(): Cell {
    const root = new Cell(0, 0);
    root.owners = this.registered.slice();
    this.leaves = 1;
    return root;
  }

  get size(): number {
    return this.count;
  }

  /** Leaf buckets. */
  get bucketCount(): number {
    return this.leaves;
  }

  /** Registered ids, the primary first, then in registration order. Shared bytes: do not mutate. */
  get ids(): readonly Uint8Array[] {
    return this.registered;
  }

  /**
   * Register a node id: from now on a full bucket holding it splits, as the
   * bucket holding the primary id does. Idempotent. A node with this id already
   * in the table is dropped (it is us now), its place refilled from the cache.
   * Splits happen on the next add to that range, as for the primary id.
   */
  register(id: Uint8Array): void {
    checkRegisteredId(id);
    const leaf = this.leaf(id);
    if (ownerIndex(leaf.owners, id) >= 0) return;
    const copy = new Uint8Array(id);
    this.registered.push(copy);
    (leaf.owners ??= []).push(copy);
    const i = indexIn(leaf.nodes, id);
    if (i >= 0) {
      leaf.nodes.splice(i, 1);
      this.count--;
      this.refill(leaf);
    } else {
      const j = indexIn(leaf.cache, id);
      if (j >= 0) leaf.cache.splice(j, 1);
    }
  }

  /**
   * Stop splitting around `id`. Buckets already split stay as they are (the
   * core never merges either). False if `id` is not registered; the primary id
   * cannot be unregistered (RangeError).
   */
  unregister(id: Uint8Array): boolean {
    if (!isId(id)) return false;
    if (sameId(id, this.id)) throw new RangeError('the primary id of a shared routing table cannot be unregistered');
    const leaf = this.leaf(id);
    const i = ownerIndex(leaf.owners, id);
    if (i < 0) return false;
    leaf.owners!.splice(i, 1);
    if (leaf.owners!.length === 0) leaf.owners = null;
    this.registered.splice(ownerIndex(this.registered, id), 1);
    return true;
  }

  /** The prefix length of the bucket whose range holds `id` (two ids are in one bucket when they share at least that many bits). */
  prefixLengthOf(id: Uint8Array): number {
    if (!isId(id)) throw new TypeError('prefixLengthOf: id must be 20 bytes');
    return this.leaf(id).depth;
  }

  /** The bucket (leaf) whose range holds `id` (20 bytes, checked by the caller). */
  private leaf(id: Uint8Array): Cell {
    let cell = this.root;
    while (cell.zero !== null) {
      const d = cell.depth;
      cell = ((id[d >> 3]! >> (7 - (d & 7))) & 1) === 0 ? cell.zero : cell.one!;
    }
    return cell;
  }

  private find(id: Uint8Array): Entry | undefined {
    if (!isId(id)) return undefined;
    const nodes = this.leaf(id).nodes;
    const i = indexIn(nodes, id);
    return i < 0 ? undefined : nodes[i];
  }

  /** A sighting of a known node (CORE-SPEC add step 2). */
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
    if (!isId(id) || !(address instanceof Uint8Array) || address.length !== this.addressLength) return AddResult.Rejected;
    let bucket = this.leaf(id);
    if (ownerIndex(bucket.owners, id) >= 0) return AddResult.Rejected;
    const known = indexIn(bucket.nodes, id);
    if (known >= 0) {
      const e = bucket.nodes[known]!;
      e.compact.set(address, ID_LENGTH);
      this.touch(e, now, responded);
      if (responded) bucket.lastChanged = now;
      return AddResult.Updated;
    }
    const cached = indexIn(bucket.cache, id);
    if (cached >= 0) {
      const e = bucket.cache[cached]!;
      e.compact.set(address, ID_LENGTH);
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
      if (bucket.owners === null || bucket.depth >= MAX_PREFIX_LENGTH) break;
      this.split(bucket);
      bucket = bitAt(id, bucket.depth) === 0 ? bucket.zero! : bucket.one!;
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

  /** Split a leaf on bit `depth`, keeping order; both halves keep lastChanged and refill from their own caches. */
  private split(cell: Cell): void {
    const bit = cell.depth;
    const zero = new Cell(bit + 1, cell.lastChanged);
    const one = new Cell(bit + 1, cell.lastChanged);
    for (const e of cell.nodes) (bitAt(e.compact, bit) === 0 ? zero : one).nodes.push(e);
    for (const e of cell.cache) (bitAt(e.compact, bit) === 0 ? zero : one).cache.push(e);
    for (const id of cell.owners ?? []) {
      const half = bitAt(id, bit) === 0 ? zero : one;
      (half.owners ??= []).push(id);
    }
    cell.nodes = NO_ENTRIES;
    cell.cache = NO_ENTRIES;
    cell.owners = null;
    cell.zero = zero;
    cell.one = one;
    this.leaves++;
    this.refill(zero);
    this.refill(one);
  }

  /** Move the newest cache entries into the bucket while it has room. */
  private refill(bucket: Cell): void {
    while (bucket.nodes.length < this.k && bucket.cache.length > 0) {
      bucket.nodes.push(bucket.cache.pop()!);
      this.count++;
    }
  }

  seen(id: Uint8Array, now: number, responded: boolean): boolean {
    if (!isId(id)) return false;
    const bucket = this.leaf(id);
    const i = indexIn(bucket.nodes, id);
    if (i < 0) return false;
    this.touch(bucket.nodes[i]!, now, responded);
    if (responded) bucket.lastChanged = now;
    return true;
  }

  failed(id: Uint8Array): 'failed' | 'bad' | 'removed' | undefined {
    if (!isId(id)) return undefined;
    const bucket = this.leaf(id);
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
    if (!isId(id)) return false;
    const bucket = this.leaf(id);
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
    if (!isId(id)) return undefined;
    let stalest: Entry | undefined;
    for (const e of this.leaf(id).nodes) {
      if (this.stateOf(e, now) !== 'questionable') continue;
      if (!stalest || e.lastSeen < stalest.lastSeen) stalest = e;
    }
    return stalest ? snapshot(stalest) : undefined;
  }

  /** Is `e`, whose leading distance word is `d`, nearer to `target` than picked[j]? */
  private nearerThanPicked(e: Entry, d: number, j: number, target: Uint8Array): boolean {
    const dj = this.pickedDistance[j]!;
    return d !== dj ? d < dj : nearer(target, e.compact, this.picked[j]!.compact);
  }

  /** Insert the non-bad nodes of one bucket into the sorted `picked` list of at most `k` (k is small in practice). */
  private consider(nodes: Entry[], target: Uint8Array, targetHead: number, k: number): void {
    const picked = this.picked;
    const distance = this.pickedDistance;
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
   * Fill `picked` with the `k` nearest non-bad nodes. At a branch on bit b, every
   * id on the target's side is nearer than every id on the other side, so a
   * depth-first walk taking the target's side first meets the buckets in
   * increasing distance; once `k` are held after a bucket, nothing left can beat them.
   */
  private select(target: Uint8Array, k: number): number {
    if (!isId(target)) throw new TypeError('closest target must be 20 bytes');
    this.pickedCount = 0;
    if (!(k >= 1)) return 0;
    k = Math.min(Math.floor(k), this.count);
    if (k === 0) return 0;
    const head = leadingWord(target);
    const stack = this.stack;
    let top = 0;
    let cell = this.root;
    for (;;) {
      // Down the target's side, leaving the far sides for later (deepest on top: nearest next).
      while (cell.zero !== null) {
        const d = cell.depth;
        if (((target[d >> 3]! >> (7 - (d & 7))) & 1) === 0) {
          stack[top++] = cell.one!;
          cell = cell.zero;
        } else {
          stack[top++] = cell.zero;
          cell = cell.one!;
        }
      }
      if (cell.nodes.length > 0) {
        this.consider(cell.nodes, target, head, k);
        if (this.pickedCount === k) break;
      }
      if (top === 0) break;
      cell = stack[--top]!;
    }
    return this.pickedCount;
  }

  closest(target: Uint8Array, k: number): Uint8Array {
    const count = this.select(target, k);
    const width = ID_LENGTH + this.addressLength;
    const out = output(count * width);
    for (let i = 0; i < count; i++) out.set(this.picked[i]!.compact, i * width);
    return out;
  }

  closestInto(target: Uint8Array, k: number, out: Uint8Array): number {
    if (!isId(target)) throw new TypeError('closest target must be 20 bytes');
    const width = ID_LENGTH + this.addressLength;
    checkClosestOut(out, closestWant(k, this.count), width);
    const count = this.select(target, k);
    const picked = this.picked;
    for (let i = 0; i < count; i++) out.set(picked[i]!.compact, i * width);
    return count * width;
  }

  closestNodes(target: Uint8Array, k: number): RoutingNode[] {
    const count = this.select(target, k);
    const out: RoutingNode[] = [];
    for (let i = 0; i < count; i++) out.push(snapshot(this.picked[i]!));
    return out;
  }

  /**
   * Visit the leaves in listing order: with one registered id, at each branch
   * the side away from it first (farthest first, the core's order); with more,
   * the zero side first (key order).
   */
  private walk(visit: (leaf: Cell, prefix: Uint8Array) => void): void {
    const single = this.registered.length === 1 ? this.registered[0]! : undefined;
    const prefix = new Uint8Array(ID_LENGTH);
    const mask = (bit: number): number => 0x80 >> (bit & 7);
    const go = (cell: Cell): void => {
      if (cell.zero === null) {
        visit(cell, prefix);
        return;
      }
      const d = cell.depth;
      const first = single === undefined ? 0 : bitAt(single, d) ^ 1;
      for (const side of [first, first ^ 1]) {
        if (side === 1) prefix[d >> 3] = prefix[d >> 3]! | mask(d);
        go(side === 0 ? cell.zero : cell.one!);
        prefix[d >> 3] = prefix[d >> 3]! & ~mask(d);
      }
    };
    go(this.root);
  }

  /** Leaf buckets: with one registered id, farthest from it first (as the core); with more, in key order. */
  buckets(): BucketInfo[] {
    const out: BucketInfo[] = [];
    this.walk((leaf, prefix) =>
      out.push({ prefixLength: leaf.depth, prefix: prefix.slice(), lastChanged: leaf.lastChanged, size: leaf.nodes.length, cacheSize: leaf.cache.length }),
    );
    return out;
  }

  /** Every node in buckets, buckets in buckets() order, nodes in order. */
  nodes(): RoutingNode[] {
    const out: RoutingNode[] = [];
    this.walk((leaf) => {
      for (const e of leaf.nodes) out.push(snapshot(e));
    });
    return out;
  }

  /** Drop every node; registered ids stay registered. */
  dispose(): void {
    this.root = this.emptyRoot();
    this.count = 0;
    this.stack.length = 0;
    this.picked = [];
    this.pickedDistance = [];
  }
}
