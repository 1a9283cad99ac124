/**
 * Part 3: memory per million infohashes kept, measured (heap deltas after
 * full collections; run with --expose-gc), not computed from formulas.
 *
 * - Tracked: a Harvester's SeenSet with `cap` ≥ the count, fed that many
 *   distinct infohashes through its hooks (the keys and records the
 *   harvester builds itself); once with get_peers sightings (no peer), once
 *   with announce_peer sightings (one peer each, its host a string of its
 *   own as a socket would hand it over). Plus the bare dedup, SeenSet<true>.
 * - Evicted: a BloomFilter sized for a million at 1% and at 0.1%, its bytes
 *   measured the same way, then filled with a million infohashes and probed
 *   with a million others for the false-positive rate it really gives.
 */
import { BloomFilter, SeenSet } from '../../src/crawl/harvest/index.ts';
import type { Harvester } from '../../src/crawl/harvest/index.ts';
import { toHex } from '../../src/util/hex.ts';
import { seededRandom } from '../../src/ground/random.ts';
import type { RandomSource } from '../../src/ground/random.ts';
import { detachedHarvester, getPeersQuery, stillClock } from './replay.ts';

export interface TrackedMeasure {
  what: string;
  count: number;
  bytes: number;
  bytesPerInfohash: number;
}

export interface BloomMeasure {
  falsePositiveRate: number;
  capacity: number;
  bytes: number;
  bytesPerMillion: number;
  measuredFalsePositiveRate: number;
  probes: number;
}

export interface MemoryResult {
  count: number;
  tracked: TrackedMeasure[];
  bloom: BloomMeasure[];
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('the memory part needs node --expose-gc');
  collect();
  collect();
}

/** JS heap plus memory outside it (ArrayBuffers), after full collections. */
function used(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Heap kept by what `build` returns (held until measured), per `count`. */
async function measure<T>(what: string, count: number, setup: () => T, build: (t: T) => void | Promise<void>): Promise<TrackedMeasure> {
  const subject = setup();
  const before = used();
  await build(subject);
  const bytes = used() - before;
  keep(subject);
  return { what, count, bytes, bytesPerInfohash: bytes / count };
}

let kept: unknown;
/** Hold `value` past the last measurement so the collector cannot take it early. */
function keep(value: unknown): void {
  kept = value;
  kept = undefined;
}

function infohashes(count: number, random: RandomSource): Uint8Array {
  const bytes = new Uint8Array(20 * count);
  random(bytes);
  return bytes;
}

function feedHarvester(count: number, random: RandomSource, withPeer: boolean): Promise<TrackedMeasure> {
  const pool = infohashes(count, random);
  return measure(
    withPeer ? 'Harvester record, announce_peer (1 peer)' : 'Harvester record, get_peers (no peer)',
    count,
    () => detachedHarvester({ clock: stillClock(), flushIntervalMs: 0, batchSize: 10_000, seen: { cap: count, evictedCapacity: 1_000 } }),
    async ({ harvester, getPeers, announce }) => {
      const from = { host: '127.0.0.2', port: 6881, family: 4 as const };
      for (let i = 0; i < count; i++) {
        const infohash = pool.subarray(i * 20, i * 20 + 20);
        if (withPeer) announce({ infohash, peer: { host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 6881 } });
        else getPeers(getPeersQuery(infohash), from);
      }
      // Batches go to no onBatch, and are let go once taken: only the records stay.
      await harvester.flush();
      expectTracked(harvester, count);
    },
  );
}

function expectTracked(harvester: Harvester, count: number): void {
  const { tracked, evicted } = harvester.stats().dedup;
  if (tracked !== count || evicted !== 0) throw new Error(`expected ${count} tracked, none evicted; got ${tracked} and ${evicted}`);
}

function bareSeenSet(count: number, random: RandomSource): Promise<TrackedMeasure> {
  const pool = infohashes(count, random);
  return measure(
    'SeenSet<true> (key and Map entry only)',
    count,
    () => new SeenSet<true>({ cap: count, evictedCapacity: 1_000 }),
    (seen) => {
      for (let i = 0; i < count; i++) seen.touch(toHex(pool.subarray(i * 20, i * 20 + 20)), () => true);
      if (seen.size !== count) throw new Error('keys collided');
    },
  );
}

function bloom(count: number, falsePositiveRate: number, random: RandomSource): BloomMeasure {
  const before = used();
  const filter = new BloomFilter({ capacity: count, falsePositiveRate });
  const bytes = used() - before;
  const pool = infohashes(count, random);
  for (let i = 0; i < count; i++) filter.add(toHex(pool.subarray(i * 20, i * 20 + 20)));
  random(pool); // a million others
  let positives = 0;
  for (let i = 0; i < count; i++) if (filter.has(toHex(pool.subarray(i * 20, i * 20 + 20)))) positives++;
  return { falsePositiveRate, capacity: count, bytes, bytesPerMillion: (bytes / count) * 1e6, measuredFalsePositiveRate: positives / count, probes: filter.probes };
}

export async function runMemory(count: number): Promise<MemoryResult> {
  const random = seededRandom(31);
  const tracked = [await bareSeenSet(count, random), await feedHarvester(count, random, false), await feedHarvester(count, random, true)];
  const filters = [0.01, 0.001].map((p) => bloom(count, p, random));
  return { count, tracked, bloom: filters };
}
