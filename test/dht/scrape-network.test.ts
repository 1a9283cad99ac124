/**
 * BEP 33 across a simulated network: 30 seeds and 80 peers announce one
 * infohash (seeds with seed=1); another node's scrape estimates both from the
 * OR of the nearest nodes' filters, refusing a liar's all-ones filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { DHT } from '../../src/dht/dht.ts';
import { getPeersLookup } from '../../src/dht/lookups/get-peers.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { randomId } from '../../src/util/id.ts';
import { compareDistance } from '../../src/core/routing-types.ts';
import { installScrape, seedExtra } from '../../src/dht/scrape/index.ts';
import type { Scrape } from '../../src/dht/scrape/index.ts';
import { buildSwarm } from '../helpers/sim-swarm.ts';
import type { Swarm } from '../helpers/sim-swarm.ts';

const NODES = 250;
const SEEDS = 30;
const PEERS = 80;

/** An announce with BEP 33's seed flag: get_peers for tokens, then announce_peer to the nearest that gave one. */
async function announce(dht: DHT, infohash: Uint8Array, seed: boolean): Promise<number> {
  const lookup = await getPeersLookup((target, strategy, signal) => dht.lookup(target, strategy, signal ? { signal } : {}), infohash);
  const results = await Promise.allSettled(
    lookup.closest.filter((c) => c.token).map((c) => dht.query(c.endpoint, 'announce_peer', { info_hash: infohash, port: 6881, token: c.token! }, seedExtra(seed))),
  );
  return results.filter((r) => r.status === 'fulfilled').length;
}

describe.each(backends)(`BEP 33 scrape on a simulated network of ${NODES} nodes (%s core)`, (backend) => {
  let core: Core;
  let swarm: Swarm;
  const scrapes: Scrape[] = [];
  const liars = new Set<DHT>();
  const FULL = new Uint8Array(256).fill(0xff);

  beforeAll(async () => {
    core = await loadCore(backend);
    swarm = await buildSwarm({
      core,
      size: NODES,
      seed: 33,
      network: { loss: 0.02 },
      node: { maintenance: false },
      prepare: (dht, i, net) => {
        // A liar claims a full swarm: all-ones filters (registered first, so it answers first).
        dht.onQuery('get_peers', (query) => (liars.has(dht) && query.a.info_hash ? { response: {}, extra: { BFpe: FULL, BFsd: FULL } } : undefined));
        scrapes[i] = installScrape(dht, { core, clock: net.clock });
      },
    });
  }, 120_000);

  afterAll(async () => {
    for (const s of scrapes) s.close();
    await swarm?.stop();
  });

  it('estimates seeds and peers within the bloom filters\' error', async () => {
    const infohash = randomId(seededRandom(1));
    const announced = await swarm.settle(
      Promise.all(swarm.nodes.slice(10, 10 + SEEDS + PEERS).map((dht, i) => announce(dht, infohash, i < SEEDS))),
    );
    expect(Math.min(...announced)).toBeGreaterThanOrEqual(3);
    const byDistance = [...swarm.nodes].sort((a, b) => compareDistance(infohash, a.id, b.id));
    liars.add(byDistance[1]!);
    const before = swarm.net.stats.sent;
    const result = await swarm.settle(scrapes[NODES - 1]!.scrape(infohash));
    const sent = swarm.net.stats.sent - before;
    console.log(
      `[${backend}] scrape of ${SEEDS} seeds + ${PEERS} peers: estimate ${result.seeds} seeds, ${result.peers} peers from ${result.withFilters} filter pairs, ${sent} datagrams`,
    );
    expect(result.withFilters).toBeGreaterThanOrEqual(4);
    expect(result.refused).toBe(1);
    expect(Math.abs(result.seeds - SEEDS)).toBeLessThanOrEqual(3);
    expect(Math.abs(result.peers - PEERS)).toBeLessThanOrEqual(6);
    // Nobody announced this one: nothing to count.
    const empty = await swarm.settle(scrapes[NODES - 2]!.scrape(randomId(seededRandom(2))));
    expect(empty.withFilters).toBe(0);
    expect([empty.seeds, empty.peers]).toEqual([0, 0]);
  });
});
