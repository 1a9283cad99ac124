/**
 * The crawler's yardstick (issue 7): a sampleWalk over a 10,000-node
 * simulated network holding 100,000 infohashes (each held by its 8 nearest
 * nodes, as announces leave them; seeded straight into the nodes' stores)
 * finds at least 90% of them. Prints the messages it took.
 *
 * One backend (the first of BTDHT_BACKENDS): the walk exercises the node and
 * the network far more than the core, and a second 10,000-node build would
 * double the run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { bytesKey } from '../../src/util/bytes.ts';
import { InfohashList, installSample } from '../../src/dht/sample/index.ts';
import type { Sample } from '../../src/dht/sample/index.ts';
import { buildSwarm } from '../helpers/sim-swarm.ts';
import type { Swarm } from '../helpers/sim-swarm.ts';
import { seedInfohashes } from '../helpers/sample-seeding.ts';

const NODES = Number(process.env['SAMPLE_WALK_NODES'] ?? 10_000);
const INFOHASHES = Number(process.env['SAMPLE_WALK_INFOHASHES'] ?? 100_000);
const backend = backends[0] ?? 'wasm';

describe(`sampleWalk over ${NODES} simulated nodes holding ${INFOHASHES} infohashes (${backend} core)`, () => {
  let swarm: Swarm | undefined;

  afterAll(async () => {
    await swarm?.stop();
  });

  it('finds at least 90% of them', { timeout: 600_000 }, async () => {
    const core = await loadCore(backend);
    const samples: Sample[] = [];
    const sources: InfohashList[] = [];
    const started = Date.now();
    swarm = await buildSwarm({
      core,
      size: NODES,
      seed: 10_000,
      network: { loss: 0.02 },
      node: { maintenance: false },
      batch: 250,
      prepare: (dht, i, net) => {
        sources[i] = new InfohashList();
        // Only the walker needs a walk; every node answers.
        samples[i] = installSample(dht, { source: sources[i], clock: net.clock, random: seededRandom(i + 1) });
      },
    });
    const built = Date.now();
    const stored = seedInfohashes(swarm.nodes, sources, INFOHASHES, seededRandom(100));
    const storedKeys = new Set(stored.map(bytesKey));
    const sentBefore = swarm.net.stats.sent;
    const virtualBefore = swarm.net.clock.now();
    let found = 0;
    let made = 0;
    const walk = (async () => {
      for await (const infohash of samples[0]!.sampleWalk({ concurrency: 32 })) {
        if (storedKeys.has(bytesKey(infohash))) found++;
        else made++;
      }
    })();
    await swarm.settle(walk, 3_600_000);
    const stats = samples[0]!.walker.stats;
    const coverage = found / stored.length;
    console.log(
      `[${backend}] sampleWalk: ${NODES} nodes, ${INFOHASHES} infohashes x8: found ${(coverage * 100).toFixed(1)}% ` +
        `with ${stats.queried} sample_infohashes queries (${stats.answered} answered, ${stats.failed} failed); ` +
        `${swarm.net.stats.sent - sentBefore} datagrams in the network during the walk (answers and the nodes' pings back included); ` +
        `virtual ${((swarm.net.clock.now() - virtualBefore) / 1000).toFixed(0)} s; wall: build ${((built - started) / 1000).toFixed(0)} s, walk ${((Date.now() - built) / 1000).toFixed(0)} s`,
    );
    expect(made).toBe(0);
    expect(coverage).toBeGreaterThanOrEqual(0.9);
    for (const s of samples) s.close();
  });
});
