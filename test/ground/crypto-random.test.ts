/**
 * cryptoRandom serves small requests from a pool refilled by the platform
 * CSPRNG: every byte handed out is fresh (no two requests share bytes, also
 * across refills), large requests still work, and the output looks uniform.
 */
import { describe, expect, it } from 'vitest';
import { cryptoRandom } from '../../src/ground/random.ts';
import { toHex } from '../../src/util/hex.ts';

describe('cryptoRandom', () => {
  it('never hands out the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    // 16-byte requests: a repeat by chance is impossible in practice; 2,000 of them span several 4 KiB refills.
    for (let i = 0; i < 2_000; i++) {
      const bytes = new Uint8Array(16);
      cryptoRandom(bytes);
      seen.add(toHex(bytes));
    }
    expect(seen.size).toBe(2_000);
  });

  it('fills odd sizes, pooled or not, with roughly uniform bytes', () => {
    const counts = new Array<number>(256).fill(0);
    let total = 0;
    for (const size of [1, 3, 20, 63, 64, 65, 1_000, 70_000]) {
      for (let round = 0; round < 40; round++) {
        const bytes = new Uint8Array(size);
        cryptoRandom(bytes);
        for (const b of bytes) counts[b]!++;
        total += size;
      }
    }
    const expected = total / 256;
    // Each byte value within 10% of its share (~11,000 draws each: a 10% miss is > 10 standard deviations).
    for (const n of counts) expect(Math.abs(n - expected)).toBeLessThan(expected * 0.1);
  });
});
