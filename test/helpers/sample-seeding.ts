/** Stored infohashes for sample-walk tests: each infohash held by the k nodes nearest it, as announces would leave it. */
import { compareDistance } from '../../src/core/routing-types.ts';
import type { DHT } from '../../src/dht/dht.ts';
import type { InfohashList } from '../../src/dht/sample/index.ts';
import type { RandomSource } from '../../src/ground/random.ts';
import { randomId } from '../../src/util/id.ts';

function compareIds(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 20; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * `count` random infohashes, each added to the sources of the `k` nodes
 * nearest it (XOR). The nearest lie in one aligned block around the
 * infohash, so a window of neighbours in id order holds them.
 */
export function seedInfohashes(nodes: DHT[], sources: InfohashList[], count: number, random: RandomSource, k = 8): Uint8Array[] {
  const order = nodes.map((dht, index) => ({ id: dht.id, index })).sort((a, b) => compareIds(a.id, b.id));
  const window = 4 * k;
  const infohashes: Uint8Array[] = [];
  for (let n = 0; n < count; n++) {
    const infohash = randomId(random);
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareIds(order[mid]!.id, infohash) < 0) lo = mid + 1;
      else hi = mid;
    }
    const near = order.slice(Math.max(0, lo - window), Math.min(order.length, lo + window));
    near.sort((a, b) => compareDistance(infohash, a.id, b.id));
    for (const { index } of near.slice(0, k)) sources[index]!.add(infohash);
    infohashes.push(infohash);
  }
  return infohashes;
}
