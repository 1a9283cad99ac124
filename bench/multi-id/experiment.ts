/**
 * The multi-id harvest experiment (issue #8): a simulated network where
 * ordinary nodes look up and announce many infohashes, and crawler nodes of
 * 1, 8, 64 ... ids listen. Each crawler counts the distinct infohashes that
 * reach it in get_peers and announce_peer queries; the fraction of all
 * infohashes looked up is what its ids harvest. The crawlers join together,
 * after the network, and get the same warm-up, so they compete on equal terms.
 *
 * Used by bench/multi-id.ts (10,000 nodes) and test/dht/multi-id/harvest-sim.test.ts (small).
 */
import type { Core } from '../../src/core/types.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import { DHT } from '../../src/dht/dht.ts';
import { randomInt, seededRandom } from '../../src/ground/random.ts';
import { nodeAddress, randomBootstrap } from '../sim-bootstrap.ts';
import { randomId } from '../../src/util/id.ts';
import { bytesKey } from '../../src/util/bytes.ts';

export interface HarvestExperimentOptions {
  core: Core;
  /** Ordinary nodes. */
  nodes: number;
  /** Distinct infohashes, each looked up (get_peers) or announced once by a random ordinary node. */
  infohashes: number;
  /** Id counts of the crawlers, e.g. [1, 8, 64]. */
  idCounts: readonly number[];
  /** Virtual minutes between the crawlers joining and the lookups (own-id lookups, refreshes). */
  warmupMinutes?: number;
  /** Lookups in flight at once. */
  concurrency?: number;
  seed?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface CrawlerHarvest {
  ids: number;
  /** Distinct infohashes seen in incoming get_peers / announce_peer queries. */
  seen: number;
  fraction: number;
  getPeers: number;
  announces: number;
  /** Routing table size and buckets at the end. */
  tableNodes: number;
  buckets: number;
}

export interface HarvestExperimentResult {
  crawlers: CrawlerHarvest[];
  /** Datagrams sent during the lookup phase, all nodes. */
  datagrams: number;
  virtualMinutes: number;
}

export async function runHarvestExperiment(options: HarvestExperimentOptions): Promise<HarvestExperimentResult> {
  const { core } = options;
  const seed = options.seed ?? 7;
  const log = options.log ?? (() => undefined);
  const net = new SimulatedNetwork({ seed, latencyMs: [10, 80] });
  const random = seededRandom(seed * 31 + 1);
  const swarm: DHT[] = [];
  const common = { core, clock: net.clock, maxQueriesPerIpPerSecond: 0 };
  const stopAll: DHT[] = [];
  try {
    // Join in batches growing 1, 2, 4, ... up to 200; each newcomer bootstraps off three random earlier nodes.
    for (let start = 0, size = 1; start < options.nodes; start += size, size = Math.min(200, size * 2)) {
      let ready = 0;
      const batch: DHT[] = [];
      for (let i = start; i < Math.min(options.nodes, start + size); i++) {
        const bootstrap = randomBootstrap(swarm, random);
        const dht = new DHT({ ...common, transport: net.createTransport(), random: seededRandom(seed * 1_000_003 + i), bootstrap });
        dht.once('ready', () => ready++);
        batch.push(dht);
      }
      await Promise.all(batch.map((dht) => dht.start()));
      swarm.push(...batch);
      stopAll.push(...batch);
      if (!(await net.runUntil(() => ready === batch.length, { timeoutMs: 120_000 }))) throw new Error('network: a batch did not bootstrap');
    }
    log(`network: ${swarm.length} nodes, ${net.stats.sent} datagrams to build`);

    // The crawlers: one per id count, counting what reaches them.
    const crawlers = options.idCounts.map((ids, n) => {
      const dht = new DHT({
        ...common,
        transport: net.createTransport(),
        random: seededRandom(seed * 7919 + n),
        ids,
        bootstrap: [0, 1, 2].map(() => nodeAddress(swarm[randomInt(random, swarm.length)]!)),
      });
      const seen = new Set<string>();
      const counts = { getPeers: 0, announces: 0 };
      dht.onQuery('get_peers', (query) => {
        counts.getPeers++;
        seen.add(bytesKey(query.a.info_hash!));
      });
      dht.onQuery('announce_peer', (query) => {
        counts.announces++;
        seen.add(bytesKey(query.a.info_hash!));
      });
      stopAll.push(dht);
      return { ids, dht, seen, counts };
    });
    let ready = 0;
    for (const crawler of crawlers) crawler.dht.once('ready', () => ready++);
    await Promise.all(crawlers.map((crawler) => crawler.dht.start()));
    if (!(await net.runUntil(() => ready === crawlers.length, { timeoutMs: 120_000 }))) throw new Error('crawlers did not bootstrap');
    await net.runUntil(() => false, { timeoutMs: (options.warmupMinutes ?? 20) * 60_000 });
    // Only what arrives during the lookups counts.
    for (const crawler of crawlers) {
      crawler.seen.clear();
      crawler.counts.getPeers = crawler.counts.announces = 0;
    }
    log(`crawlers joined: ${crawlers.map((c) => `${c.ids} ids → ${c.dht.stats().nodes} nodes / ${c.dht.stats().buckets} buckets`).join(', ')}`);

    // Ordinary nodes look up and announce every infohash once.
    const sentBefore = net.stats.sent;
    const startedAt = net.clock.now();
    const concurrency = options.concurrency ?? 100;
    let issued = 0;
    let finished = 0;
    const next = (): void => {
      if (issued >= options.infohashes) return;
      const n = issued++;
      const infohash = randomId(random);
      const from = swarm[randomInt(random, swarm.length)]!;
      const op = n % 2 === 0 ? from.getPeers(infohash) : from.announcePeer(infohash, 6881);
      void op
        .catch(() => undefined)
        .then(() => {
          finished++;
          next();
        });
    };
    for (let i = 0; i < concurrency; i++) next();
    let reported = 0;
    while (finished < options.infohashes) {
      await net.runUntil(() => finished >= Math.min(options.infohashes, reported + Math.max(1000, options.infohashes / 10)), { timeoutMs: 3_600_000 });
      if (finished === reported) throw new Error(`lookups stalled at ${finished}/${options.infohashes}`);
      reported = finished;
      log(`lookups: ${finished}/${options.infohashes}; seen ${crawlers.map((c) => `${c.ids} ids: ${c.seen.size}`).join(', ')}`);
    }
    return {
      crawlers: crawlers.map(({ ids, dht, seen, counts }) => ({
        ids,
        seen: seen.size,
        fraction: seen.size / options.infohashes,
        getPeers: counts.getPeers,
        announces: counts.announces,
        tableNodes: dht.stats().nodes,
        buckets: dht.stats().buckets,
      })),
      datagrams: net.stats.sent - sentBefore,
      virtualMinutes: (net.clock.now() - startedAt) / 60_000,
    };
  } finally {
    await Promise.all(stopAll.map((dht) => dht.stop()));
  }
}
