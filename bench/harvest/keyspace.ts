/**
 * Keyspace arithmetic for the harvest benchmark: ranges of a sorted id list
 * (to fill converged routing tables, as `bench:sim` does) and infohashes aimed
 * at the harvesting node's ids.
 */
import type { RandomSource } from '../../src/ground/random.ts';
import { randomInt } from '../../src/ground/random.ts';
import { randomIdInPrefix } from '../../src/util/id.ts';

/** Compare ids as big-endian numbers. */
export function compareIds(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 20; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Indices [lo, hi) into `sorted` of the ids sharing their first `bits` bits with `id`. */
export function prefixRange(sorted: readonly Uint8Array[], id: Uint8Array, bits: number): [number, number] {
  const lo = id.slice();
  const hi = id.slice();
  for (let bit = bits; bit < 160; bit++) {
    const mask = 0x80 >> (bit & 7);
    lo[bit >> 3] = lo[bit >> 3]! & ~mask;
    hi[bit >> 3] = hi[bit >> 3]! | mask;
  }
  const first = (target: Uint8Array, after: boolean): number => {
    let a = 0;
    let b = sorted.length;
    while (a < b) {
      const m = (a + b) >> 1;
      const c = compareIds(sorted[m]!, target);
      if (c < 0 || (after && c === 0)) a = m + 1;
      else b = m;
    }
    return a;
  };
  return [first(lo, false), first(hi, true)];
}

/** The ids in bucket `bits` of a table around `id`: the same first `bits` bits, the next one different. */
export function bucketRange(sorted: readonly Uint8Array[], id: Uint8Array, bits: number): [number, number] {
  const other = id.slice();
  other[bits >> 3] = other[bits >> 3]! ^ (0x80 >> (bits & 7));
  return prefixRange(sorted, other, bits + 1);
}

/**
 * Prefix length that puts the harvesting node among the k nodes nearest to an
 * infohash sharing it: with `nodes` random ids, about nodes / 2^bits others
 * share the prefix, so bits = ceil(log2(nodes / k)) leaves fewer than k of them.
 */
export function nearBits(nodes: number, k: number): number {
  return Math.max(0, Math.ceil(Math.log2(Math.max(1, nodes / k))));
}

/**
 * `count` distinct infohashes, each sharing its first `bits` bits with one of
 * `ids` (taken in turn): the part of the keyspace lookups bring to the
 * harvesting node. The rest of each infohash is random.
 */
export function infohashesNear(ids: readonly Uint8Array[], bits: number, count: number, random: RandomSource): Uint8Array[] {
  if (ids.length === 0) throw new RangeError('infohashesNear: no ids');
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const id = ids[out.length % ids.length]!;
    const infohash = randomIdInPrefix(id, bits, random);
    const key = Buffer.from(infohash).toString('hex');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(infohash);
  }
  return out;
}

/** A uniform pick from a non-empty list. */
export function pick<T>(list: readonly T[], random: RandomSource): T {
  return list[randomInt(random, list.length)]!;
}
