import { describe, expect, it } from 'vitest';
import { compareDistance } from '../../../src/core/routing-types.ts';
import { NodeIdSet, idsAtPrefixes, spreadIds } from '../../../src/dht/multi-id/id-set.ts';
import { randomBytes, seededRandom } from '../../../src/ground/random.ts';
import { toHex } from '../../../src/util/hex.ts';

const asNumber = (id: Uint8Array): bigint => BigInt(`0x${toHex(id)}`);
const SPACE = 1n << 160n;

function bruteNearest(ids: Uint8Array[], target: Uint8Array): string {
  return toHex([...ids].sort((a, b) => compareDistance(target, a, b))[0]!);
}

describe('NodeIdSet', () => {
  const random = seededRandom(5);
  /** Random ids, and ids crowded under a few long prefixes (deep branches of the trie). */
  const sets: Record<string, Uint8Array[]> = {
    one: [randomBytes(random, 20)],
    two: [randomBytes(random, 20), randomBytes(random, 20)],
    'spread 64': spreadIds(64, random),
    'random 3000': Array.from({ length: 3000 }, () => randomBytes(random, 20)),
    crowded: idsAtPrefixes(
      Array.from({ length: 500 }, (_, i) => ['00', 'ffff', '0123456789abcdef01234567', '7'][i % 4]! + (i % 3 === 0 ? 'a' : '')),
      random,
    ),
  };

  it.each(Object.keys(sets))('finds the nearest id by XOR as brute force does (%s)', (name) => {
    const ids = sets[name]!;
    const set = new NodeIdSet(ids);
    expect(set.size).toBe(new Set(ids.map(toHex)).size);
    const targets = [
      ...Array.from({ length: 1500 }, () => randomBytes(random, 20)),
      ...ids.slice(0, 50),
      // near misses: an id with one low bit flipped
      ...ids.slice(0, 50).map((id) => Uint8Array.from(id, (b, i) => (i === 19 ? b ^ 1 : b))),
      new Uint8Array(20),
      new Uint8Array(20).fill(0xff),
    ];
    for (const target of targets) expect(toHex(set.nearest(target))).toBe(bruteNearest(ids, target));
  });

  it('adds, finds and deletes ids, keeping copies in key order', () => {
    const ids = Array.from({ length: 100 }, () => randomBytes(random, 20));
    const set = new NodeIdSet(ids.slice(0, 50));
    for (const id of ids.slice(50)) expect(set.add(id)).toBe(true);
    expect(set.add(ids[3]!)).toBe(false);
    expect(set.size).toBe(100);
    expect([...set].map(toHex)).toEqual(ids.map(toHex).sort());
    const kept = ids[7]!.slice();
    ids[7]!.fill(0); // the set holds copies
    expect(set.has(kept)).toBe(true);
    expect(set.delete(kept)).toBe(true);
    expect(set.delete(kept)).toBe(false);
    expect(set.has(kept)).toBe(false);
    expect(set.size).toBe(99);
    const rest = [...set];
    for (let i = 0; i < 200; i++) {
      const target = randomBytes(random, 20);
      expect(toHex(set.nearest(target))).toBe(bruteNearest(rest, target));
    }
    expect(new NodeIdSet([ids[0]!, ids[0]!.slice()]).size).toBe(1);
    expect(set.has(new Uint8Array(19))).toBe(false);
  });

  it('refuses bad input with clear errors', () => {
    expect(() => new NodeIdSet().nearest(new Uint8Array(20))).toThrow(/empty/);
    expect(() => new NodeIdSet([new Uint8Array(20)]).nearest(new Uint8Array(21))).toThrow(TypeError);
    expect(() => new NodeIdSet([new Uint8Array(8)])).toThrow(/20-byte/);
    expect(() => new NodeIdSet().add(new Uint8Array(0))).toThrow(TypeError);
  });
});

describe('spreadIds', () => {
  it.each([1, 2, 3, 5, 7, 64, 100, 1000])('puts one id in each of %i even slots', (count) => {
    const ids = spreadIds(count, seededRandom(count));
    expect(ids).toHaveLength(count);
    ids.forEach((id, i) => {
      expect(id).toHaveLength(20);
      // slot i: ⌊x · count / 2^160⌋ = i
      expect(Number((asNumber(id) * BigInt(count)) / SPACE)).toBe(i);
    });
  });

  it('fixes the top bits of a power-of-two count and randomises the rest', () => {
    const a = spreadIds(64, seededRandom(1));
    const b = spreadIds(64, seededRandom(2));
    a.forEach((id, i) => expect(id[0]! >> 2).toBe(i));
    // the bits below the slot differ between two random sources
    const tails = (ids: Uint8Array[]): string[] => ids.map((id) => toHex(id.subarray(1)));
    expect(tails(a).filter((t, i) => t === tails(b)[i])).toHaveLength(0);
  });

  it('puts `first` in its own slot in place of the random id there', () => {
    const first = randomBytes(seededRandom(77), 20);
    const count = 48;
    const slot = Number((asNumber(first) * BigInt(count)) / SPACE);
    const plain = spreadIds(count, seededRandom(3));
    const withFirst = spreadIds(count, seededRandom(3), first);
    expect(toHex(withFirst[slot]!)).toBe(toHex(first));
    expect(withFirst[slot]).not.toBe(first); // a copy
    withFirst.forEach((id, i) => {
      if (i !== slot) expect(toHex(id)).toBe(toHex(plain[i]!));
    });
  });

  it('refuses a count that is not a positive integer, and a malformed first id', () => {
    const random = seededRandom(1);
    for (const count of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 21]) {
      expect(() => spreadIds(count, random)).toThrow(/count must be an integer from 1/);
    }
    expect(() => spreadIds(4, random, new Uint8Array(19))).toThrow(TypeError);
  });
});

describe('idsAtPrefixes', () => {
  it('starts each id with its hex prefix, whatever the case, the rest random', () => {
    const prefixes = ['', '0', 'f', 'ab', 'ABC', '0123456789abcdef0123456789ABCDEF01234567', 'c0ffee'];
    const ids = idsAtPrefixes(prefixes, seededRandom(4));
    expect(ids).toHaveLength(prefixes.length);
    ids.forEach((id, i) => expect(toHex(id).startsWith(prefixes[i]!.toLowerCase())).toBe(true));
    const again = idsAtPrefixes(prefixes, seededRandom(5));
    expect(toHex(again[6]!)).not.toBe(toHex(ids[6]!));
    expect(toHex(again[5]!)).toBe(toHex(ids[5]!)); // a full-length prefix leaves nothing random
  });

  it('refuses prefixes that are not 0 to 40 hex digits, naming them', () => {
    const random = seededRandom(6);
    expect(() => idsAtPrefixes(['ab', 'xyz'], random)).toThrow(/"xyz" is not 0 to 40 hex digits/);
    expect(() => idsAtPrefixes(['0x12'], random)).toThrow(TypeError);
    expect(() => idsAtPrefixes(['a'.repeat(41)], random)).toThrow(/not 0 to 40 hex digits/);
    expect(() => idsAtPrefixes([12 as unknown as string], random)).toThrow(/12 is not/);
    expect(() => idsAtPrefixes('ab' as unknown as string[], random)).toThrow(/array/);
  });
});
