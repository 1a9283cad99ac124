/**
 * Making and finding the node ids of one process that runs many (issue #8):
 * ids spread evenly over the keyspace, ids at chosen prefixes, and the set of
 * registered ids with a fast "which of our ids is nearest to this target".
 */
import type { RandomSource } from '../../ground/random.ts';

const ID_LENGTH = 20;
const ID_BITS = 160n;
/** More ids than any process should run; a clear error instead of an out-of-memory. */
const MAX_SPREAD = 1 << 20;

function isId(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === ID_LENGTH;
}

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function idFromBigInt(n: bigint): Uint8Array {
  const id = new Uint8Array(ID_LENGTH);
  for (let i = ID_LENGTH - 1; i >= 0; i--) {
    id[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return id;
}

/**
 * `count` ids spread evenly over the keyspace, in key order: id i is uniform in
 * slot i, the ids x with ⌊x · count / 2^160⌋ = i. For a power-of-two count,
 * id i's top log2(count) bits are i and the rest random. `first` (e.g. the
 * primary, BEP 42 id), if given, takes the place of the id in its own slot.
 *
 * @example
 * const ids = spreadIds(64, cryptoRandom, primaryId); // ids[i][0] >> 2 === i
 */
export function spreadIds(count: number, random: RandomSource, first?: Uint8Array): Uint8Array[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SPREAD) {
    throw new RangeError(`spreadIds: count must be an integer from 1 to ${MAX_SPREAD}, got ${String(count)}`);
  }
  if (first !== undefined && !isId(first)) throw new TypeError('spreadIds: first must be a 20-byte Uint8Array');
  const slots = BigInt(count);
  // Slot i starts at ⌈i · 2^160 / count⌉, so that it holds exactly the ids of ⌊x · count / 2^160⌋ = i.
  const start = (i: bigint): bigint => ((i << ID_BITS) + slots - 1n) / slots;
  // 64 bits beyond the slot width make the modulo's bias negligible.
  const noise = new Uint8Array(ID_LENGTH + 8);
  const ids: Uint8Array[] = [];
  for (let i = 0n; i < slots; i++) {
    const from = start(i);
    random(noise);
    ids.push(idFromBigInt(from + (toBigInt(noise) % (start(i + 1n) - from))));
  }
  if (first !== undefined) ids[Number((toBigInt(first) * slots) >> ID_BITS)] = first.slice();
  return ids;
}

/**
 * One id per hex prefix (0 to 40 hex digits, either case), the rest random.
 *
 * @example
 * idsAtPrefixes(['00', '4', 'c0ffee'], cryptoRandom);
 */
export function idsAtPrefixes(hexPrefixes: readonly string[], random: RandomSource): Uint8Array[] {
  if (!Array.isArray(hexPrefixes)) throw new TypeError('idsAtPrefixes: expected an array of hex prefixes');
  return hexPrefixes.map((prefix: unknown) => {
    if (typeof prefix !== 'string' || !/^[0-9a-fA-F]{0,40}$/.test(prefix)) {
      throw new TypeError(`idsAtPrefixes: prefix ${JSON.stringify(prefix)} is not 0 to 40 hex digits`);
    }
    const id = new Uint8Array(ID_LENGTH);
    random(id);
    for (let i = 0; i < prefix.length; i++) {
      const nibble = parseInt(prefix[i]!, 16);
      const byte = i >> 1;
      id[byte] = i % 2 === 0 ? (nibble << 4) | (id[byte]! & 0x0f) : (id[byte]! & 0xf0) | nibble;
    }
    return id;
  });
}

function compareIds(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Leading bits `a` and `b` share (160 when equal). */
function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return 160;
}

function bitAt(id: Uint8Array, bit: number): number {
  return (id[bit >> 3]! >> (7 - (bit & 7))) & 1;
}

/**
 * A set of node ids kept in key order. `nearest` descends the implicit binary
 * trie of the sorted ids: a run of ids sharing a prefix is contiguous, and at
 * the first bit where the run differs the target's side holds every id nearer
 * to it; each step is one binary search, at most one step per branching bit.
 *
 * @example
 * const ours = new NodeIdSet(table.ids);
 * const answerAs = ours.nearest(infohash); // the id to answer a get_peers with
 */
export class NodeIdSet {
  /** Sorted, distinct, copies. */
  private readonly sorted: Uint8Array[];

  constructor(ids: Iterable<Uint8Array> = []) {
    const all: Uint8Array[] = [];
    for (const id of ids) {
      if (!isId(id)) throw new TypeError('NodeIdSet: ids must be 20-byte Uint8Arrays');
      all.push(new Uint8Array(id));
    }
    all.sort(compareIds);
    this.sorted = all.filter((id, i) => i === 0 || compareIds(all[i - 1]!, id) !== 0);
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Index of the first id not below `id`. */
  private lowerBound(id: Uint8Array): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(this.sorted[mid]!, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  has(id: Uint8Array): boolean {
    if (!isId(id)) return false;
    const i = this.lowerBound(id);
    return i < this.sorted.length && compareIds(this.sorted[i]!, id) === 0;
  }

  /** Add a copy of `id`; false if already present. */
  add(id: Uint8Array): boolean {
    if (!isId(id)) throw new TypeError('NodeIdSet: ids must be 20-byte Uint8Arrays');
    const i = this.lowerBound(id);
    if (i < this.sorted.length && compareIds(this.sorted[i]!, id) === 0) return false;
    this.sorted.splice(i, 0, new Uint8Array(id));
    return true;
  }

  delete(id: Uint8Array): boolean {
    if (!this.has(id)) return false;
    this.sorted.splice(this.lowerBound(id), 1);
    return true;
  }

  /**
   * The id nearest to `target` by XOR distance. The returned bytes are the set's
   * own (no copy on this hot path): do not mutate them.
   */
  nearest(target: Uint8Array): Uint8Array {
    if (!isId(target)) throw new TypeError('NodeIdSet.nearest: target must be 20 bytes');
    const ids = this.sorted;
    if (ids.length === 0) throw new RangeError('NodeIdSet.nearest: the set is empty');
    let lo = 0;
    let hi = ids.length;
    while (hi - lo > 1) {
      // Every id in [lo, hi) shares the first `bit` bits; at `bit` the run splits in two (ids are distinct).
      const bit = commonPrefixBits(ids[lo]!, ids[hi - 1]!);
      let a = lo;
      let b = hi - 1;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (bitAt(ids[mid]!, bit) === 0) a = mid + 1;
        else b = mid;
      }
      if (bitAt(target, bit) === 0) hi = a;
      else lo = a;
    }
    return ids[lo]!;
  }

  /** The ids in key order (the set's own bytes: do not mutate). */
  values(): IterableIterator<Uint8Array> {
    return this.sorted.values();
  }

  [Symbol.iterator](): IterableIterator<Uint8Array> {
    return this.sorted.values();
  }
}
