/**
 * SharedRoutingTable with many registered ids: every id gets its own bucket
 * path, closest() stays exact, and the table grows by the ids' paths only.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AddResult, compareDistance, type BucketInfo, type RoutingNode } from '../../../src/core/routing-types.ts';
import { SharedRoutingTable } from '../../../src/core/js/routing-table.ts';
import { spreadIds } from '../../../src/dht/multi-id/id-set.ts';
import { seededRandom, randomBytes, type RandomSource } from '../../../src/ground/random.ts';
import { toHex } from '../../../src/util/hex.ts';

const address = (n: number): Uint8Array => Uint8Array.of(10, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, 0x1a, 0xe1);
const hex = (nodes: RoutingNode[]): string[] => nodes.map((n) => toHex(n.id));

/** Leading bits `a` and `b` share (160 when equal). */
function sharedBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 20; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return 160;
}

/** Does `id` start with the first `length` bits of `prefix`? */
function inPrefix(id: Uint8Array, prefix: Uint8Array, length: number): boolean {
  return sharedBits(id, prefix) >= length;
}

/** The bucket of a listing whose range holds `id`. */
function bucketHolding(buckets: BucketInfo[], id: Uint8Array): BucketInfo {
  const found = buckets.filter((b) => inPrefix(id, b.prefix, b.prefixLength));
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** A bucket's range as [first id, last id] numbers. */
function range(b: BucketInfo): [bigint, bigint] {
  const start = BigInt(`0x${toHex(b.prefix)}`);
  return [start, start + (1n << BigInt(160 - b.prefixLength)) - 1n];
}

function bruteClosest(nodes: RoutingNode[], target: Uint8Array, k: number, maxFailures = 2): string[] {
  return hex(nodes.filter((n) => n.failures < maxFailures).sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, k));
}

function compactIds(bytes: Uint8Array, width: number): string[] {
  expect(bytes.length % width).toBe(0);
  const out: string[] = [];
  for (let p = 0; p < bytes.length; p += width) out.push(toHex(bytes.subarray(p, p + 20)));
  return out;
}

/** A table with `ids` registered (the first is the primary), offered `offered` nodes. */
function build(ids: Uint8Array[], offered: Uint8Array[]): SharedRoutingTable {
  const table = new SharedRoutingTable({ id: ids[0]! });
  for (const id of ids.slice(1)) table.register(id);
  offered.forEach((id, i) => table.add(id, address(i), 1 + i, i % 3 !== 0));
  return table;
}

/**
 * Only buckets holding a registered id split, so every bucket's parent range
 * holds one: the table is the union of the ids' bucket paths plus their siblings.
 */
function expectPathsOnly(table: SharedRoutingTable): void {
  for (const b of table.buckets()) {
    if (b.prefixLength === 0) continue;
    expect(table.ids.some((id) => inPrefix(id, b.prefix, b.prefixLength - 1))).toBe(true);
  }
}

describe('SharedRoutingTable with 64 ids and 20,000 offered nodes', () => {
  const random: RandomSource = seededRandom(64);
  const ids = spreadIds(64, random);
  const offered = Array.from({ length: 20_000 }, () => randomBytes(random, 20));
  let table: SharedRoutingTable;
  beforeAll(() => {
    table = build(ids, offered);
  });

  it('registers every id and lists buckets in key order, partitioning the keyspace', () => {
    expect(table.ids.map(toHex)).toEqual(ids.map(toHex));
    const buckets = table.buckets();
    expect(buckets).toHaveLength(table.bucketCount);
    let next = 0n;
    for (const b of buckets) {
      const [first, last] = range(b);
      expect(first).toBe(next);
      expect(toHex(b.prefix)).toBe(toHex(randomlessPrefix(b.prefix, b.prefixLength)));
      next = last + 1n;
    }
    expect(next).toBe(1n << 160n);
  });

  it('keeps size bounds: k per bucket, cacheSize per cache, size = the listed nodes', () => {
    const buckets = table.buckets();
    const nodes = table.nodes();
    expect(table.size).toBe(nodes.length);
    expect(buckets.reduce((sum, b) => sum + b.size, 0)).toBe(table.size);
    expect(table.size).toBeLessThanOrEqual(table.k * table.bucketCount);
    expect(table.size).toBeLessThanOrEqual(offered.length);
    let at = 0;
    for (const b of buckets) {
      expect(b.size).toBeLessThanOrEqual(table.k);
      expect(b.cacheSize).toBeLessThanOrEqual(table.k);
      // nodes() lists each bucket's nodes under it, in the buckets' order
      for (const node of nodes.slice(at, at + b.size)) expect(inPrefix(node.id, b.prefix, b.prefixLength)).toBe(true);
      at += b.size;
    }
    // ids are unique, and none is one of ours
    expect(new Set(hex(nodes)).size).toBe(nodes.length);
    const ours = new Set(ids.map(toHex));
    expect(hex(nodes).some((h) => ours.has(h))).toBe(false);
  });

  /**
   * The property checked, for every registered id X and each distance class j
   * (the offered nodes sharing exactly j leading bits with X): the table holds
   * all of the class or at least k of it; and every offered node in X's own
   * bucket range is held. (No node failed or was removed here, so nothing left.)
   * Consequence, also checked: closest(X, k) shares, rank by rank, as many
   * leading bits with X as the k nearest of all 20,000 offered nodes do.
   */
  it("gives every registered id its own bucket path: its k nearest classes are held", () => {
    const nodes = table.nodes();
    const buckets = table.buckets();
    for (const x of ids) {
      const own = bucketHolding(buckets, x);
      expect(own.prefixLength).toBeLessThan(159);
      const offeredIn = new Array<number>(161).fill(0);
      const heldIn = new Array<number>(161).fill(0);
      for (const id of offered) offeredIn[Math.min(sharedBits(id, x), own.prefixLength)]!++;
      for (const node of nodes) heldIn[Math.min(sharedBits(node.id, x), own.prefixLength)]!++;
      for (let j = 0; j < own.prefixLength; j++) expect(heldIn[j]).toBeGreaterThanOrEqual(Math.min(table.k, offeredIn[j]!));
      expect(heldIn[own.prefixLength]).toBe(offeredIn[own.prefixLength]);

      const rank = (list: Uint8Array[]): number[] => list.map((id) => sharedBits(id, x));
      const nearestOffered = [...offered].sort((a, b) => compareDistance(x, a, b)).slice(0, table.k);
      expect(rank(table.closestNodes(x, table.k).map((n) => n.id))).toEqual(rank(nearestOffered));
    }
  });

  it('grows only along the registered ids: each bucket splits off a range holding one', () => {
    expectPathsOnly(table);
    const buckets = table.buckets();
    const depthSum = ids.reduce((sum, id) => sum + bucketHolding(buckets, id).prefixLength, 0);
    // one split per branch, every branch on some id's path
    expect(table.bucketCount - 1).toBeLessThanOrEqual(depthSum);
    console.info(`64 ids, 20,000 offered: ${table.bucketCount} buckets (${(table.bucketCount / 64).toFixed(1)} per id), ${table.size} nodes`);
  });

  it('answers closest() as a brute-force sort of nodes() without the bad ones', () => {
    const t = build(ids, offered);
    const stored = t.nodes();
    // make every 7th node bad: failed twice (replaced from the cache where there is one)
    const outcomes = new Set<string | undefined>();
    stored.forEach((node, i) => {
      if (i % 7 === 0) {
        t.failed(node.id);
        outcomes.add(t.failed(node.id));
      }
    });
    expect(outcomes).toEqual(new Set(['bad', 'removed']));
    const now = t.nodes();
    expect(now.filter((n) => n.failures >= 2).length).toBeGreaterThan(10);
    const r = seededRandom(7);
    const targets = [...ids.slice(0, 8), ...now.slice(0, 4).map((n) => n.id), ...Array.from({ length: 12 }, () => randomBytes(r, 20))];
    for (const target of targets) {
      for (const k of [1, 8, 20, 100]) {
        const expected = bruteClosest(now, target, k);
        expect(compactIds(t.closest(target, k), 26)).toEqual(expected);
        expect(hex(t.closestNodes(target, k))).toEqual(expected);
      }
    }
    expect(compactIds(t.closest(targets[12]!, 1e9), 26)).toEqual(bruteClosest(now, targets[12]!, Infinity));
  });
});

/** The prefix with every bit past `length` cleared (what BucketInfo promises). */
function randomlessPrefix(prefix: Uint8Array, length: number): Uint8Array {
  const out = prefix.slice();
  for (let bit = length; bit < 160; bit++) out[bit >> 3] = out[bit >> 3]! & ~(0x80 >> (bit & 7));
  return out;
}

describe('SharedRoutingTable memory per id', () => {
  it('costs about the same number of buckets per id, from 1 to 256 ids, at a fixed number of nodes per id', () => {
    const random = seededRandom(256);
    const perId: Record<number, number> = {};
    for (const count of [1, 4, 16, 64, 256]) {
      const ids = spreadIds(count, random);
      const offered = Array.from({ length: count * 300 }, () => randomBytes(random, 20));
      const table = build(ids, offered);
      expectPathsOnly(table);
      perId[count] = table.bucketCount / count;
    }
    console.info(`buckets per id at 300 nodes per id: ${JSON.stringify(perId)}`);
    // memory linear in ids: the per-id cost neither grows nor collapses with the number of ids
    for (const count of [4, 16, 64, 256]) {
      expect(perId[count]).toBeLessThan(2 * perId[1]!);
      expect(perId[count]).toBeGreaterThan(perId[1]! / 2);
    }
  });
});

describe('SharedRoutingTable registration', () => {
  const random = seededRandom(9);
  const id = (): Uint8Array => randomBytes(random, 20);
  /** An id with the given leading bits ('0'/'1' string), the rest random. */
  const idWithBits = (bits: string): Uint8Array => {
    const out = id();
    for (let i = 0; i < bits.length; i++) {
      const mask = 0x80 >> (i & 7);
      out[i >> 3] = bits[i] === '1' ? out[i >> 3]! | mask : out[i >> 3]! & ~mask;
    }
    return out;
  };

  it('rejects nodes with any registered id, and drops a node that becomes one of ours', () => {
    const primary = idWithBits('0');
    const t = new SharedRoutingTable({ id: primary });
    const inTable = idWithBits('1');
    const inCache = idWithBits('0');
    expect(t.add(inTable, address(1), 1, true)).toBe(AddResult.Added);
    t.register(inTable);
    expect(t.has(inTable)).toBe(false);
    expect(t.size).toBe(0);
    expect(t.add(inTable, address(1), 2, true)).toBe(AddResult.Rejected);
    expect(t.add(primary, address(2), 2, true)).toBe(AddResult.Rejected);
    expect(t.ids.map(toHex)).toEqual([toHex(primary), toHex(inTable)]);
    t.register(inTable); // idempotent
    expect(t.ids).toHaveLength(2);

    // a cache entry that becomes ours is dropped too
    const small = new SharedRoutingTable({ id: idWithBits('1'), k: 1, cacheSize: 4 });
    expect(small.add(idWithBits('00'), address(3), 3, true)).toBe(AddResult.Added);
    // the root splits ('0' and '1'); the full '0' half holds none of our ids, so it caches
    expect(small.add(idWithBits('01'), address(4), 4, true)).toBe(AddResult.Cached);
    expect(small.add(inCache, address(5), 5, true)).toBe(AddResult.Cached);
    const zeroHalf = (): BucketInfo => small.buckets().find((b) => b.prefixLength === 1 && b.prefix[0] === 0)!;
    expect(zeroHalf().cacheSize).toBe(2);
    small.register(inCache);
    expect(zeroHalf().cacheSize).toBe(1);
    expect(small.add(inCache, address(5), 6, true)).toBe(AddResult.Rejected);
  });

  it('splits a full bucket once it holds a registered id, refilling each half from its own cache, newest first', () => {
    const t = new SharedRoutingTable({ id: idWithBits('1'), k: 2, cacheSize: 4 });
    const [n0, n1] = ['000', '010'].map(idWithBits) as [Uint8Array, Uint8Array];
    expect(t.add(n0, address(0), 10, true)).toBe(AddResult.Added);
    expect(t.add(n1, address(1), 11, true)).toBe(AddResult.Added);
    // the root splits around the primary; the full '0' half caches the rest, oldest first
    const cached = ['001', '011', '000', '011'].map(idWithBits) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    cached.forEach((id, i) => expect(t.add(id, address(2 + i), 20 + i, true)).toBe(AddResult.Cached));
    expect(t.buckets().map((b) => [b.prefixLength, b.size, b.cacheSize])).toEqual([[1, 2, 4], [1, 0, 0]]);
    t.register(idWithBits('0100'));
    expect(t.bucketCount).toBe(2); // splits wait for the next add there, as for the primary id
    const newcomer = idWithBits('0101');
    expect(t.add(newcomer, address(9), 30, true)).toBe(AddResult.Added);
    // '0' split into '00' (n0 + cache [c0, c2]) and '01' (n1 + cache [c1, c3]); each took its newest
    // cache entry; '01' was full and holds the registered id, so it split again: '010' (n1) and
    // '011' (c3, then c1 from its cache); the newcomer found room in '010'.
    const [c0, c1, c2, c3] = cached;
    expect(t.nodes().map((n) => toHex(n.id))).toEqual([n0, c2, n1, newcomer, c3, c1].map(toHex));
    expect(t.buckets().map((b) => [b.prefixLength, b.size, b.cacheSize, b.lastChanged])).toEqual([
      [2, 2, 1, 11],
      [3, 2, 0, 30],
      [3, 2, 0, 11],
      [1, 0, 0, 11],
    ]);
    expect(t.failed(c0)).toBe('removed'); // still in the '00' cache
    expect(t.size).toBe(6);
  });

  it('stops splitting around an unregistered id, keeps the primary, and refuses bad input', () => {
    const primary = idWithBits('1');
    const t = new SharedRoutingTable({ id: primary, k: 1 });
    const other = idWithBits('0000');
    t.register(other);
    expect(t.unregister(other)).toBe(true);
    expect(t.unregister(other)).toBe(false);
    expect(() => t.unregister(primary)).toThrow(RangeError);
    expect(t.ids).toHaveLength(1);
    expect(t.add(idWithBits('0001'), address(1), 1, true)).toBe(AddResult.Added);
    // the bucket holding the primary splits; the '0' half, no id of ours in it any more, does not
    expect(t.add(idWithBits('0000'), address(2), 2, true)).toBe(AddResult.Cached);
    expect(t.add(other, address(3), 3, true)).toBe(AddResult.Cached); // a node again, not ours
    expect(t.bucketCount).toBe(2);
    expect(() => t.register(new Uint8Array(19))).toThrow(TypeError);
    expect(() => t.register('ab' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('never splits below prefix length 159, even between two registered ids', () => {
    const a = idWithBits('1');
    const b = a.slice();
    b[19] = b[19]! ^ 1; // shares 159 bits with a
    const t = new SharedRoutingTable({ id: a, k: 1 });
    t.register(b);
    // one node per depth along a's path, then more sharing 150+ bits
    for (let shared = 0; shared < 159; shared++) {
      const node = a.slice();
      node[shared >> 3] = node[shared >> 3]! ^ (0x80 >> (shared & 7));
      if (shared < 158) node[19] = node[19]! ^ 2; // vary the tail where it keeps the depth
      expect(t.add(node, address(shared), shared, true)).toBe(AddResult.Added);
    }
    // a second node sharing 158 bits with a: the bucket holding a, b and the first one splits to depth 159
    const second = a.slice();
    second[19] = second[19]! ^ 3;
    expect(t.add(second, address(500), 500, true)).toBe(AddResult.Cached);
    const deepest = Math.max(...t.buckets().map((x) => x.prefixLength));
    expect(deepest).toBe(159);
    expect(t.bucketCount).toBeLessThanOrEqual(160);
    const last = bucketHolding(t.buckets(), a);
    expect(last.prefixLength).toBe(159);
    expect(inPrefix(b, last.prefix, last.prefixLength)).toBe(true);
    expect(t.add(b, address(999), 999, true)).toBe(AddResult.Rejected);
  });
});
