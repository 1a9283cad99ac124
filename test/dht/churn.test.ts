/**
 * Churn on the simulated network (virtual clock, seeded): 2,000 nodes, 20%
 * datagram loss. Ten of them (clients that stay) announce an infohash each and
 * re-announce every 10 minutes, as a BitTorrent client would. For the first
 * CHURN_MINUTES, every minute 1/40 of the original nodes leave (stopped) and
 * as many new ones join (bootstrapping off three random live nodes, without
 * waiting: test/helpers/sim-swarm.ts `joinOneByOne`): half the
 * network is replaced. Every 5 minutes, 50 get_peers lookups from random live
 * nodes look for a random announced infohash.
 *
 * Asserted: at least 99% of lookups find the announced peer, and routing
 * tables converge back: the share of usable (good or questionable) entries
 * that point to departed nodes falls below STALE_BOUND by the end. The share
 * is printed minute by minute, with the minutes it took to fall below 5%.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import type { DHT } from '../../src/dht/dht.ts';
import { randomInt, seededRandom } from '../../src/ground/random.ts';
import { randomId } from '../../src/util/id.ts';
import { joinOneByOne, type Newcomers } from '../helpers/sim-swarm.ts';

const NODES = Number(process.env['CHURN_NODES'] ?? 2000);
const CHURN_MINUTES = 20;
const AFTER_MINUTES = 20;
const ANNOUNCERS = 10;
const LOOKUPS_PER_ROUND = 50;
const MINUTE = 60_000;
/** Usable routing entries pointing to departed nodes, at most, at the end. */
const STALE_BOUND = 0.05;

describe.each(backends)('churn: %s core', (backend) => {
  it(`${NODES} nodes, 20% loss, half replaced: lookups still find announced peers, tables converge`, { timeout: 240_000 }, async () => {
    const core = await loadCore(backend);
    const net = new SimulatedNetwork({ seed: 11, loss: 0.2, latencyMs: [10, 80] });
    const random = seededRandom(77);
    const live: DHT[] = [];
    const departed = new Set<string>();
    // Newcomer i runs on seed i + 1; all draw their bootstrap nodes from the test's PRNG.
    const how: Newcomers = { core, net, bootstrapRandom: random, nodeSeed: (i) => i + 1 };
    let joined = 0;
    const address = (dht: DHT): string => `${dht.address().host}:${dht.address().port}`;
    const join = async (count: number): Promise<DHT[]> => {
      const batch = await joinOneByOne(how, live, count, joined);
      joined += count;
      return batch;
    };
    const settle = async <T>(promises: Promise<T>[], timeoutMs = 120_000): Promise<T[]> => {
      const results: T[] = [];
      let done = 0;
      promises.forEach((p, i) => void p.then((v) => ((results[i] = v), done++)));
      expect(await net.runUntil(() => done === promises.length, { timeoutMs })).toBe(true);
      return results;
    };

    // Build the network: batches growing 1, 2, 4, ... 100, each waiting for its bootstrap.
    for (let size = 1; live.length < NODES; size = Math.min(100, size * 2)) {
      const batch = await join(Math.min(size, NODES - live.length));
      await settle(batch.map((dht) => new Promise<void>((resolve) => (dht.ready ? resolve() : dht.once('ready', () => resolve())))));
    }
    const original = live.slice();
    const announcers = original.slice(0, ANNOUNCERS);
    const infohashes = announcers.map(() => randomId(random));
    const port = (i: number): number => 20_000 + i;
    const start = net.clock.now();

    const staleShare = (): number => {
      let usable = 0;
      let stale = 0;
      for (const dht of live) {
        for (const node of dht.nodes()) {
          if (node.state === 'bad') continue;
          usable++;
          if (departed.has(`${node.host}:${node.port}`)) stale++;
        }
      }
      return usable === 0 ? 0 : stale / usable;
    };

    let lookups = 0;
    let found = 0;
    const series: string[] = [];
    let peak = 0;
    let convergedAt: number | undefined;
    const leaving = original.slice(ANNOUNCERS);
    for (let minute = 0; minute <= CHURN_MINUTES + AFTER_MINUTES; minute++) {
      if (minute % 10 === 0) {
        // (Re-)announce; the announcers keep going in the background.
        announcers.forEach((dht, i) => void dht.announcePeer(infohashes[i]!, port(i)));
      }
      if (minute > 0 && minute <= CHURN_MINUTES) {
        const count = Math.round(NODES / (2 * CHURN_MINUTES));
        for (let i = 0; i < count && leaving.length > 0; i++) {
          const dht = leaving.splice(randomInt(random, leaving.length), 1)[0]!;
          departed.add(address(dht));
          live.splice(live.indexOf(dht), 1);
          await dht.stop();
        }
        await join(count);
      }
      if (minute > 0 && minute % 5 === 0) {
        const asks = Array.from({ length: LOOKUPS_PER_ROUND }, () => {
          const which = randomInt(random, ANNOUNCERS);
          const seeker = live[randomInt(random, live.length)]!;
          return seeker.getPeers(infohashes[which]!, { limit: 1 }).then((peers) => peers.some((p) => p.host === announcers[which]!.address().host && p.port === port(which)));
        });
        const results = await settle(asks);
        lookups += results.length;
        found += results.filter(Boolean).length;
      }
      await net.run({ until: start + (minute + 1) * MINUTE });
      const share = staleShare();
      peak = Math.max(peak, share);
      if (minute >= CHURN_MINUTES && convergedAt === undefined && share < 0.05) convergedAt = minute - CHURN_MINUTES;
      series.push(`${minute + 1}:${(share * 100).toFixed(1)}%`);
    }
    const final = staleShare();
    const sizes = live.map((dht) => dht.stats().nodes);
    console.log(
      `[${backend}] churn: ${NODES} nodes, 20% loss, ${departed.size} left and as many joined over ${CHURN_MINUTES} min; ` +
        `lookups finding the announced peer: ${found}/${lookups} (${((found / lookups) * 100).toFixed(1)}%); ` +
        `stale usable routing entries by minute: ${series.join(' ')}; peak ${(peak * 100).toFixed(1)}%, ` +
        `below 5% ${convergedAt === undefined ? 'not reached' : `${convergedAt} min after churn ended`}; ` +
        `tables ${Math.min(...sizes)}..${Math.max(...sizes)} nodes; ${net.stats.sent} datagrams, virtual time ${((net.clock.now() - start) / MINUTE).toFixed(0)} min`,
    );
    expect(departed.size).toBe(NODES / 2);
    expect(lookups).toBeGreaterThanOrEqual(400);
    expect(found / lookups).toBeGreaterThanOrEqual(0.99);
    expect(peak).toBeGreaterThan(STALE_BOUND); // the churn did leave stale entries behind
    expect(final).toBeLessThan(STALE_BOUND);
    await Promise.all(live.map((dht) => dht.stop()));
  });
});
