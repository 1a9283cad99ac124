/**
 * The node at scale on the simulated network (virtual clock, seeded loss):
 * 2,000 nodes, 10% datagram loss. Lookups from random nodes must reach the
 * true k closest (brute force over every id) in at least 99% of 200 lookups,
 * and an announce from one node must be found by another's get_peers.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { DHT } from '../../src/dht/dht.ts';
import { buildSwarm } from '../helpers/sim-swarm.ts';
import { ANSWERED, FAILED } from '../../src/dht/traversal.ts';
import type { TraversalResult } from '../../src/dht/traversal.ts';
import { compareDistance } from '../../src/core/routing-types.ts';
import { seededRandom, randomInt } from '../../src/ground/random.ts';
import { randomId } from '../../src/util/id.ts';
import { bytesKey } from '../../src/util/bytes.ts';

const NODES = Number(process.env["SIM_NODES"] ?? 2000);
const LOOKUPS = 200;
const BATCH = 100;

describe.each(backends)('simulated network of %i nodes (%s core)'.replace('%i', String(NODES)), (backend) => {
  it('lookups reach the true k closest; an announce is found by another node', { timeout: 120_000 }, async () => {
    const core = await loadCore(backend);
    // One PRNG picks the newcomers' bootstraps, then the lookups.
    const random = seededRandom(2024);
    // Join in batches growing 1, 2, 4, ... up to BATCH; each newcomer bootstraps off three random earlier nodes.
    const { net, nodes: swarm } = await buildSwarm({
      core,
      size: NODES,
      network: { seed: 5, loss: 0.1 },
      batch: BATCH,
      bootstrapRandom: random,
      nodeSeed: (i) => i + 1,
    });
    const sizes = swarm.map((dht) => dht.stats().nodes);
    const bootstrapSent = net.stats.sent;

    const ids = swarm.map((dht) => dht.id);
    const k = 8;
    let reached = 0;
    let answeredOverlap = 0;
    let queried = 0;
    const sentBefore = net.stats.sent;
    for (let done = 0; done < LOOKUPS; done += 20) {
      const results: { target: Uint8Array; from: DHT; result: TraversalResult }[] = [];
      for (let j = 0; j < 20; j++) {
        const target = randomId(random);
        const from = swarm[randomInt(random, NODES)]!;
        void from.lookup(target, { method: 'find_node', args: { target } }).then((result) => results.push({ target, from, result }));
      }
      expect(await net.runUntil(() => results.length === 20, { timeoutMs: 60_000 })).toBe(true);
      for (const { target, from, result } of results) {
        // The asking node is never its own candidate: the truth is over the others.
        const self = bytesKey(from.id);
        const truth = ids.filter((id) => bytesKey(id) !== self).sort((a, b) => compareDistance(target, a, b)).slice(0, k).map(bytesKey);
        const states = new Map(result.candidates.map((c) => [bytesKey(c.id!), c.state]));
        // Reached: every true-closest node was found and asked (whether its answer survived the loss or not).
        if (truth.every((key) => states.get(key) === ANSWERED || states.get(key) === FAILED)) reached++;
        const answered = new Set(result.closest.map((c) => bytesKey(c.id!)));
        answeredOverlap += truth.filter((key) => answered.has(key)).length / k;
        queried += result.queried;
      }
    }
    const perLookup = (net.stats.sent - sentBefore) / LOOKUPS;
    const successRate = reached / LOOKUPS;
    console.log(
      `[${backend}] ${NODES} nodes, 10% loss: routing tables ${Math.min(...sizes)}..${Math.max(...sizes)} ` +
        `(mean ${(sizes.reduce((a, b) => a + b, 0) / NODES).toFixed(1)}), bootstrap ${(bootstrapSent / NODES).toFixed(0)} datagrams/node; ` +
        `lookups reaching the true ${k} closest: ${(successRate * 100).toFixed(1)}%, ` +
        `true closest among answered results: ${((answeredOverlap / LOOKUPS) * 100).toFixed(1)}%, ` +
        `${(queried / LOOKUPS).toFixed(1)} queries and ${perLookup.toFixed(1)} datagrams per lookup, virtual time ${(net.clock.now() / 1000).toFixed(0)} s`,
    );
    expect(successRate).toBeGreaterThanOrEqual(0.99);

    // Announce from one node, find it from another.
    const infohash = randomId(random);
    const announcer = swarm[17]!;
    const seeker = swarm[NODES - 283]!;
    let accepted = -1;
    void announcer.announcePeer(infohash, 51413).then((n) => (accepted = n));
    expect(await net.runUntil(() => accepted >= 0, { timeoutMs: 60_000 })).toBe(true);
    expect(accepted).toBeGreaterThanOrEqual(4);
    let peers: { host: string; port: number }[] | undefined;
    void seeker.getPeers(infohash).then((found) => (peers = found));
    expect(await net.runUntil(() => peers !== undefined, { timeoutMs: 60_000 })).toBe(true);
    expect(peers).toContainEqual({ host: announcer.address().host, port: 51413 });

    await Promise.all(swarm.map((dht) => dht.stop()));
  });
});
