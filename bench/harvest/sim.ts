/**
 * Part 1: infohashes handled per CPU-second in the simulator.
 *
 * A converged swarm on the SimulatedNetwork (virtual clock, no loss); node 0
 * is the harvesting node (a DHT with `ids` passed through and a Harvester
 * attached). The other nodes run get_peers lookups, and announces (a lookup,
 * then announce_peer to the nearest nodes that gave a token), for distinct
 * infohashes aimed at the harvesting node's part of the keyspace (each
 * sharing `nearBits` bits with one of its ids, the ids taken in turn), from
 * random nodes, `wave` at a time.
 *
 * Every node runs on this one thread, so the harvesting node's share is read
 * three ways, printed side by side:
 *  - in place: time inside the harvester's own hooks, listener and timers
 *    (CallMeter), and inside node 0's whole receive path (decode, hooks,
 *    answer, send);
 *  - difference: the same deterministic run again without the Harvester; node
 *    0's receive path with it minus without it (the same datagrams reach it);
 *  - replay: the sightings the harvester received in the run, recorded, fed
 *    again into fresh harvesters in a tight loop with nothing else running,
 *    process.cpuUsage() around each round (GC included), median of rounds;
 *    once into an empty seen-set (rounds of REPLAY_FILLING sightings), once
 *    into one filled to its cap (one round of REPLAY_FULL, timed in chunks).
 *    The recording is played again with altered infohashes to make up the
 *    length.
 */
import { loadCore } from '../../src/core/index.ts';
import type { Backend } from '../../src/core/types.ts';
import { Harvester } from '../../src/crawl/harvest/index.ts';
import type { HarvestStats } from '../../src/crawl/harvest/index.ts';
import type { Clock } from '../../src/ground/clock.ts';
import type { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { CallMeter, cpuSecondsSince, median, threadTimes, threadTimesSince } from './meter.ts';
import type { ThreadTimes } from './meter.ts';
import { TappedDHT } from './tap.ts';
import type { Sighting } from './tap.ts';
import { convergedSwarm } from './swarm.ts';
import { infohashesNear, nearBits, pick } from './keyspace.ts';
import { prepare, repeatAsNew, replayRound } from './replay.ts';

/** Sightings per filling round: the recorded ones, played again as new infohashes (stays below the default cap of 100,000). */
const REPLAY_FILLING = 60_000;
/**
 * Sightings in the full round. Eviction takes the Map's first live key, and
 * V8 leaves deleted entries in place until the table is rebuilt, so each
 * eviction walks past every hole left by earlier ones: its cost climbs as
 * holes pile up and falls back when V8 rebuilds the table. The round is
 * long enough to see a rebuild at the default cap (100,000); its chunks
 * show the climb and the fall.
 */
const REPLAY_FULL = 300_000;
const REPLAY_CHUNK = 20_000;

export interface SimOptions {
  nodes: number;
  /** Distinct infohashes; each is looked up once, and announced with probability `announceShare`. */
  infohashes: number;
  announceShare: number;
  /** Operations in flight at once. */
  wave: number;
  /** The harvesting node's `ids` option. */
  ids: number;
  backend: Backend;
  seed: number;
  /** Also run without the Harvester, for the difference (about 20 s more). */
  baseline: boolean;
  replayRounds: number;
}

/** One run of the traffic, with or without the harvester. */
interface RunResult {
  datagramsToHarvesting: number;
  receiveSeconds: number;
  harvestSeconds: number;
  harvestCalls: number;
  /** Median call, ns. */
  harvestMedianNs: number;
  receiveMedianNs: number;
  /** The main thread's CPU and run-queue wait during the traffic (schedstat). */
  thread: ThreadTimes | undefined;
  wallSeconds: number;
  processCpuSeconds: number;
  datagramsInNetwork: number;
  virtualSeconds: number;
  setupSeconds: number;
  stats: HarvestStats | undefined;
  sightings: Sighting[];
  targetBits: number;
}

export interface SimResult {
  options: SimOptions;
  withHarvester: RunResult;
  withoutHarvester: RunResult | undefined;
  /** CPU seconds per replay round: the seen-set filling (below its cap), and full (evicting). */
  replay: {
    /** Sightings the harvester received in the run. */
    recorded: number;
    filling: { observations: number; rounds: number[] };
    full: { observations: number; cpuSeconds: number; chunk: number; chunks: number[]; evicted: number };
  };
}

const K = 8;

async function run(o: SimOptions, withHarvester: boolean): Promise<RunResult> {
  const setupStart = performance.now();
  const core = await loadCore(o.backend);
  const receiveMeter = new CallMeter({ keepSamples: true });
  const node: Partial<DHTOptions> = { maintenance: false, maxQueriesPerIpPerSecond: 0 };
  const swarm = await convergedSwarm({
    core,
    size: o.nodes,
    seed: o.seed,
    k: K,
    node,
    makeHarvester: (options) => new TappedDHT({ ...options, ids: o.ids }),
    receiveMeter,
  });
  const harvesting = swarm.harvesting;
  const sightings: Sighting[] = [];
  let harvester: Harvester | undefined;
  if (withHarvester) {
    // The harvester's timers are its own work too: time them with its hooks.
    const clock: Clock = { now: () => swarm.net.clock.now(), setTimer: (fn, ms) => swarm.net.clock.setTimer(harvesting.meter.wrap(fn), ms) };
    harvester = new Harvester(harvesting, { clock, onBatch: () => undefined });
    harvesting.record = (s) => void sightings.push(s);
    harvesting.capture(() => harvester!.start({ walk: false }));
  }
  const random = seededRandom(o.seed + 17);
  const targetBits = nearBits(o.nodes, K);
  const infohashes = infohashesNear(harvesting.ids, targetBits, o.infohashes, random);
  // The plan is drawn before anything runs, so both runs do the same thing.
  const plan = infohashes.map((infohash) => ({ infohash, looker: pick(swarm.others, random), announcer: random01(random) < o.announceShare ? pick(swarm.others, random) : undefined }));
  const setupSeconds = (performance.now() - setupStart) / 1000;

  const sentBefore = swarm.net.stats.sent;
  const virtualStart = swarm.net.clock.now();
  const cpuStart = process.cpuUsage();
  const threadStart = threadTimes();
  const wallStart = performance.now();
  for (let from = 0; from < plan.length; from += o.wave) {
    let pending = 0;
    for (const step of plan.slice(from, from + o.wave)) {
      pending++;
      void step.looker.getPeers(step.infohash).finally(() => pending--);
      if (step.announcer) {
        pending++;
        void step.announcer.announcePeer(step.infohash, 6881).finally(() => pending--);
      }
    }
    if (!(await swarm.net.runUntil(() => pending === 0, { timeoutMs: 600_000 }))) throw new Error('a wave of lookups did not end');
  }
  await harvester?.stop();
  const result: RunResult = {
    datagramsToHarvesting: receiveMeter.calls,
    receiveSeconds: receiveMeter.seconds,
    harvestSeconds: harvesting.meter.seconds,
    harvestCalls: harvesting.meter.calls,
    harvestMedianNs: harvesting.meter.calls > 0 ? median(harvesting.meter.samples) : 0,
    receiveMedianNs: receiveMeter.calls > 0 ? median(receiveMeter.samples) : 0,
    thread: threadTimesSince(threadStart),
    wallSeconds: (performance.now() - wallStart) / 1000,
    processCpuSeconds: cpuSecondsSince(cpuStart),
    datagramsInNetwork: swarm.net.stats.sent - sentBefore,
    virtualSeconds: (swarm.net.clock.now() - virtualStart) / 1000,
    setupSeconds,
    stats: harvester?.stats(),
    sightings,
    targetBits,
  };
  await swarm.stop();
  return result;
}

function random01(random: (bytes: Uint8Array) => void): number {
  const b = new Uint8Array(4);
  random(b);
  return new DataView(b.buffer).getUint32(0) / 2 ** 32;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function runSim(o: SimOptions): Promise<SimResult> {
  const withHarvester = await run(o, true);
  gc();
  const withoutHarvester = o.baseline ? await run(o, false) : undefined;
  gc();
  const recorded = withHarvester.sightings;
  const playedAsNew = (count: number): ReturnType<typeof prepare> =>
    prepare(repeatAsNew(recorded, Math.min(256, Math.max(1, Math.ceil(count / Math.max(1, recorded.length))))));
  // Filling: the recording (played again as new infohashes up to REPLAY_FILLING), into an empty seen-set.
  const filling = playedAsNew(REPLAY_FILLING);
  await replayRound(filling); // warm-up: JIT
  const fillingRounds: number[] = [];
  for (let r = 0; r < o.replayRounds; r++) {
    gc();
    fillingRounds.push((await replayRound(filling)).cpuSeconds);
  }
  // Full: one long round into a seen-set filled to its cap, timed by chunks (see REPLAY_FULL).
  gc();
  const fullStream = playedAsNew(REPLAY_FULL);
  const full = await replayRound(fullStream, {}, true, REPLAY_CHUNK);
  return {
    options: o,
    withHarvester: { ...withHarvester, sightings: [] },
    withoutHarvester: withoutHarvester && { ...withoutHarvester, sightings: [] },
    replay: {
      recorded: recorded.length,
      filling: { observations: filling.length, rounds: fillingRounds },
      full: { observations: fullStream.length, cpuSeconds: full.cpuSeconds, chunk: REPLAY_CHUNK, chunks: full.chunks, evicted: full.harvester.stats().dedup.evicted },
    },
  };
}

export function observationsOf(stats: HarvestStats | undefined): number {
  return stats ? stats.seen.get_peers + stats.seen.announce_peer + stats.seen.sample : 0;
}

