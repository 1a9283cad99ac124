/**
 * BEP 51 across a simulated network: a sampleWalk finds the infohashes the
 * nodes hold (each held by its 8 nearest nodes, as announces leave them),
 * asks each node once, yields each infohash once, respects the nodes'
 * interval on a second walk and stops on abort; single-node and near-target
 * sampling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { bytesKey } from '../../src/util/bytes.ts';
import { InfohashList, SampleWalker, installSample } from '../../src/dht/sample/index.ts';
import type { Sample } from '../../src/dht/sample/index.ts';
import { buildSwarm } from '../helpers/sim-swarm.ts';
import type { Swarm } from '../helpers/sim-swarm.ts';
import { seedInfohashes } from '../helpers/sample-seeding.ts';

const NODES = 400;
const INFOHASHES = 3_000;

/** Drain an async iterator while the network runs. */
async function collect(swarm: Swarm, iterator: AsyncGenerator<Uint8Array, void, undefined>, stopAfter = Infinity): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const run = (async () => {
    for await (const infohash of iterator) {
      out.push(infohash);
      if (out.length >= stopAfter) break;
    }
  })();
  await swarm.settle(run, 600_000);
  return out;
}

describe.each(backends)(`sampleWalk on a simulated network of ${NODES} nodes (%s core)`, (backend) => {
  let core: Core;
  let swarm: Swarm;
  const samples: Sample[] = [];
  const sources: InfohashList[] = [];
  let stored: Uint8Array[] = [];

  beforeAll(async () => {
    core = await loadCore(backend);
    swarm = await buildSwarm({
      core,
      size: NODES,
      seed: 51,
      network: { loss: 0.02 },
      node: { maintenance: false },
      prepare: (dht, i, net) => {
        sources[i] = new InfohashList();
        samples[i] = installSample(dht, { source: sources[i], clock: net.clock, random: seededRandom(i + 7) });
      },
    });
    stored = seedInfohashes(swarm.nodes, sources, INFOHASHES, seededRandom(5));
  }, 120_000);

  afterAll(async () => {
    for (const s of samples) s.close();
    await swarm?.stop();
  });

  it('finds the stored infohashes, each once, asking each node once', async () => {
    const walker = samples[0]!.walker;
    const before = swarm.net.stats.sent;
    const found = await collect(swarm, samples[0]!.sampleWalk());
    const sent = swarm.net.stats.sent - before;
    const keys = new Set(found.map(bytesKey));
    expect(keys.size).toBe(found.length); // deduplicated
    const storedKeys = new Set(stored.map(bytesKey));
    const hits = [...keys].filter((key) => storedKeys.has(key)).length;
    expect(hits).toBe(keys.size); // nothing made up
    const coverage = hits / stored.length;
    const stats = walker.stats;
    console.log(
      `[${backend}] sampleWalk over ${NODES} nodes holding ${INFOHASHES} infohashes (x8): ${(coverage * 100).toFixed(1)}% found, ` +
        `${stats.queried} queries (${stats.answered} answered, ${stats.failed} failed), ${sent} datagrams`,
    );
    expect(coverage).toBeGreaterThanOrEqual(0.95);
    expect(stats.queried).toBeLessThanOrEqual(1.1 * (NODES - 1)); // each node once, a few asked again after a timeout
    expect(stats.answered).toBeGreaterThanOrEqual(0.9 * (NODES - 1));
  });

  it('a second walk right after asks no node again (their interval has not passed)', async () => {
    const again = await collect(swarm, samples[0]!.sampleWalk());
    expect(again).toHaveLength(0);
    expect(samples[0]!.walker.stats.queried).toBe(0);
    expect(samples[0]!.walker.stats.skipped).toBeGreaterThan(0);
  });

  it('stops when the consumer breaks, and on abort', async () => {
    const partial = await collect(swarm, samples[1]!.sampleWalk(), 50);
    expect(partial).toHaveLength(50);
    const controller = new AbortController();
    const iterator = samples[2]!.sampleWalk({ signal: controller.signal });
    const out: Uint8Array[] = [];
    const run = (async () => {
      for await (const infohash of iterator) {
        out.push(infohash);
        if (out.length === 20) controller.abort();
      }
    })();
    await swarm.settle(run);
    expect(out.length).toBeGreaterThanOrEqual(20);
    expect(samples[2]!.walker.stats.queried).toBeLessThan(NODES / 2);
  });

  it('memory stays within its caps: a small frontier and asked-memory still end the walk', async () => {
    const host = swarm.nodes[5]!;
    const walker = new SampleWalker(host, { clock: swarm.net.clock, random: seededRandom(1), maxAsked: 50, maxFrontier: 30, maxSeen: 100 });
    const found = await collect(swarm, walker.walk({ maxQueries: 200 }));
    expect(walker.remembered).toBeLessThanOrEqual(50);
    expect(walker.stats.queried).toBeLessThanOrEqual(200);
    expect(found.length).toBeGreaterThan(100);
  });

  it('samples from one node, and from the nodes near a target', async () => {
    const target = swarm.nodes[100]!;
    const address = target.address();
    const answer = await swarm.settle(samples[3]!.sampleInfohashes(`${address.host}:${address.port}`));
    expect(answer.supported).toBe(true);
    expect(answer.num).toBe(sources[100]!.count());
    expect(answer.samples.length).toBe(Math.min(answer.num, answer.samples.length));
    expect(answer.interval).toBe(6 * 3600);
    const near = await swarm.settle(samples[4]!.sampleInfohashesNear(stored[0]!));
    expect(near.supported).toBeGreaterThanOrEqual(8);
    expect(near.samples.some((s) => bytesKey(s) === bytesKey(stored[0]!))).toBe(true);
  });
});
