/**
 * Fill routing tables as if a swarm had converged: each node's table is
 * offered, bucket by bucket (farthest first, so its own bucket splits as
 * nearer nodes arrive), up to k random members of the population whose ids
 * fall in that bucket's range; the table decides what it keeps. Joining
 * thousands of nodes through real lookups would take most of a benchmark's
 * run and is not what it measures.
 */
import type { RoutingTable } from '../../src/core/routing-types.ts';
import type { RandomSource } from '../../src/ground/random.ts';
import { randomInt } from '../../src/ground/random.ts';
import { bucketRange, compareIds, prefixRange } from './keyspace.ts';

export interface Member {
  id: Uint8Array;
  /** Compact address (BEP 5: 6 bytes IPv4 + port). */
  compact: Uint8Array;
}

/** `tables[n]` belongs to `population[n]` (the population may hold more members than tables, e.g. a crawler's ids). */
export function fillConverged(population: readonly Member[], tables: readonly RoutingTable[], k: number, now: number, random: RandomSource): void {
  const order = population.map((_, i) => i).sort((a, b) => compareIds(population[a]!.id, population[b]!.id));
  const sorted = order.map((i) => population[i]!.id);
  for (let n = 0; n < tables.length; n++) {
    const id = population[n]!.id;
    for (let bits = 0; bits < 160; bits++) {
      const [lo, hi] = bucketRange(sorted, id, bits);
      const count = hi - lo;
      for (let j = 0; j < Math.min(k, count); j++) {
        const entry = population[order[lo + (count <= k ? j : randomInt(random, count))]!]!;
        tables[n]!.add(entry.id, entry.compact, now, true);
      }
      const [nearLo, nearHi] = prefixRange(sorted, id, bits + 1);
      if (nearHi - nearLo <= 1) break; // nobody else shares more of our id
    }
  }
}
