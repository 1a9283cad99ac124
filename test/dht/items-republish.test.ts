/** BEP 44's rule for skipping a republish: more than 8 copies, and the 8 nearest store-eligible nodes all hold the latest. */
import { describe, expect, it } from 'vitest';
import { enoughCopies } from '../../src/dht/items/index.ts';
import type { ImmutableItem, MutableItem } from '../../src/dht/items/index.ts';
import type { Holding, ItemLookupResult } from '../../src/dht/items/lookup.ts';
import { ANSWERED } from '../../src/dht/traversal.ts';
import type { Candidate } from '../../src/dht/traversal.ts';

const mutable: MutableItem = {
  kind: 'mutable',
  target: new Uint8Array(20),
  value: 1,
  encoded: new Uint8Array([0x69, 0x31, 0x65]),
  publicKey: new Uint8Array(32),
  salt: new Uint8Array(0),
  seq: 3n,
  signature: new Uint8Array(64),
};
const immutable: ImmutableItem = { kind: 'immutable', target: new Uint8Array(20), value: 1, encoded: new Uint8Array([0x69, 0x31, 0x65]) };

/** A lookup whose answered nodes, nearest first, hold what `holdings` says (undefined: nothing); `tokens` says who gave a token. */
function lookupOf(holdings: (Holding | undefined)[], tokens: boolean[] = holdings.map(() => true)): ItemLookupResult {
  const candidates: Candidate[] = holdings.map((_, i) => ({
    id: new Uint8Array(20).fill(i),
    endpoint: { host: `10.0.0.${i + 1}`, port: 6881, family: 4 },
    state: ANSWERED,
    ...(tokens[i] ? { token: new Uint8Array(8) } : {}),
  }));
  const map = new Map<Candidate, Holding>();
  holdings.forEach((holding, i) => holding && map.set(candidates[i]!, holding));
  return { closest: candidates.slice(0, 8), candidates, queried: 20, answered: 20, failed: 0, aborted: false, stopped: false, item: undefined, holdings: map, forged: 0 };
}

const has = (seq?: bigint): Holding => ({ seq, hasValue: true });

describe('enoughCopies (BEP 44 republish skip rule)', () => {
  it('nine copies with the nearest eight holding: skip', () => {
    expect(enoughCopies(mutable, lookupOf(Array.from({ length: 9 }, () => has(3n))))).toBe(true);
    expect(enoughCopies(immutable, lookupOf(Array.from({ length: 9 }, () => has())))).toBe(true);
  });

  it('exactly eight copies is not more than eight: republish', () => {
    expect(enoughCopies(mutable, lookupOf(Array.from({ length: 8 }, () => has(3n))))).toBe(false);
  });

  it('a gap among the nearest eight: republish, however many copies further out', () => {
    const holdings = Array.from({ length: 14 }, (_, i) => (i === 4 ? undefined : has(3n)));
    expect(enoughCopies(mutable, lookupOf(holdings))).toBe(false);
  });

  it('a nearest node without a token is not eligible and does not count against', () => {
    const holdings = Array.from({ length: 12 }, (_, i) => (i === 2 ? undefined : has(3n)));
    const tokens = holdings.map((_, i) => i !== 2);
    expect(enoughCopies(mutable, lookupOf(holdings, tokens))).toBe(true);
  });

  it('for a mutable item only holders of the most recent seq count', () => {
    const older = Array.from({ length: 12 }, (_, i) => has(i < 6 ? 3n : 2n));
    expect(enoughCopies(mutable, lookupOf(older))).toBe(false);
    // A newer seq seen elsewhere makes our copies stale too.
    const newer = [...Array.from({ length: 11 }, () => has(3n)), has(4n)];
    expect(enoughCopies(mutable, lookupOf(newer))).toBe(false);
    // A node that showed only the seq (no value) counts.
    const seqOnly = Array.from({ length: 9 }, (): Holding => ({ seq: 3n, hasValue: false }));
    expect(enoughCopies(mutable, lookupOf(seqOnly))).toBe(true);
  });
});
