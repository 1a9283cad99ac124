/**
 * SeenSet eviction order against a plain model: the least recently touched key
 * goes first, over long random runs of new and repeated keys (the eviction
 * keeps one Map iterator across calls, so its order is worth pinning down).
 */
import { describe, expect, it } from 'vitest';
import { SeenSet } from '../../src/crawl/harvest/seen-set.ts';
import { randomInt, seededRandom } from '../../src/ground/random.ts';

describe('SeenSet eviction', () => {
  it('evicts exactly what a least-recently-touched model evicts', () => {
    for (const cap of [1, 2, 7, 100]) {
      const random = seededRandom(cap);
      const set = new SeenSet<number>({ cap, evictedCapacity: 100_000 });
      const model: string[] = [];
      for (let step = 0; step < 20_000; step++) {
        const key = `k${randomInt(random, cap * 3)}`;
        set.touch(key, () => step);
        const at = model.indexOf(key);
        if (at >= 0) model.splice(at, 1);
        model.push(key);
        if (model.length > cap) model.shift();
        if (step % 97 === 0) expect([...set.entries()].map(([k]) => k)).toEqual(model);
      }
      expect(set.size).toBe(Math.min(cap, model.length));
    }
  });
});
