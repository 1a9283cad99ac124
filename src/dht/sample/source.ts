/**
 * Infohash sources for the sample_infohashes responder: a uniform sample
 * helper the node's peer store can use over its keys, and a plain list for
 * embedders and tests.
 */
import type { RandomSource } from '../../ground/random.ts';
import { randomInt } from '../../ground/random.ts';
import { bytesKey } from '../../util/bytes.ts';
import type { InfohashSource } from './responder.ts';

/** A uniform random subset of up to `max` items, in one pass (reservoir sampling). */
export function reservoirSample<T>(items: Iterable<T>, max: number, random: RandomSource): T[] {
  const out: T[] = [];
  if (max <= 0) return out;
  let seen = 0;
  for (const item of items) {
    seen++;
    if (out.length < max) out.push(item);
    else {
      const j = randomInt(random, seen);
      if (j < max) out[j] = item;
    }
  }
  return out;
}

/** A set of infohashes held in memory. */
export class InfohashList implements InfohashSource {
  readonly #items = new Map<string, Uint8Array>();

  add(infohash: Uint8Array): void {
    if (infohash.length !== 20) throw new RangeError(`an infohash is 20 bytes, got ${infohash.length}`);
    this.#items.set(bytesKey(infohash), infohash.slice());
  }

  delete(infohash: Uint8Array): boolean {
    return this.#items.delete(bytesKey(infohash));
  }

  infohashes(max: number, random: RandomSource): Uint8Array[] {
    return reservoirSample(this.#items.values(), max, random);
  }

  count(): number {
    return this.#items.size;
  }
}
