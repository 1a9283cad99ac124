/**
 * A swarm of DHT nodes on the simulated network (the BEP 33/44/51, multi-id,
 * read-only, harvest, scale and churn suites):
 * nodes join in growing batches, each bootstrapping off three random earlier
 * nodes, with `prepare` run on every node before it starts (to install hooks).
 * `newcomer` makes one such node; `joinOneByOne` joins nodes to a running
 * network without waiting for their bootstrap (churn).
 */
import { expect } from 'vitest';
import type { Core } from '../../src/core/types.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import type { SimulatedNetworkOptions } from '../../src/transport/memory.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { randomBootstrap } from '../../bench/sim-bootstrap.ts';

export { randomBootstrap } from '../../bench/sim-bootstrap.ts';
import type { RandomSource } from '../../src/ground/random.ts';

export interface Swarm {
  net: SimulatedNetwork;
  nodes: DHT[];
  /** Run the network until `promise` settles (bounded in virtual time). */
  settle<T>(promise: Promise<T>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export interface SwarmOptions {
  core: Core;
  size: number;
  seed?: number;
  network?: SimulatedNetworkOptions;
  node?: Partial<DHTOptions>;
  /** Called for every node before it starts. */
  prepare?: (dht: DHT, index: number, net: SimulatedNetwork) => void;
  /** Largest join batch (default 100). */
  batch?: number;
  /** Picks each newcomer's bootstrap nodes (default seeded from `seed`). */
  bootstrapRandom?: RandomSource;
  /** The PRNG seed of node `index` (default derived from `seed`). */
  nodeSeed?: (index: number) => number;
}

/** How newcomers are made: the network, the PRNG that picks their bootstrap nodes, each one's PRNG seed. */
export interface Newcomers {
  core: Core;
  net: SimulatedNetwork;
  /** Picks each newcomer's bootstrap nodes. */
  bootstrapRandom: RandomSource;
  /** The PRNG seed of newcomer `index`. */
  nodeSeed: (index: number) => number;
  node?: Partial<DHTOptions> | undefined;
}

/** Newcomer `index` (not started): bootstrapping off three random nodes of `earlier`. */
export function newcomer(how: Newcomers, earlier: readonly DHT[], index: number): DHT {
  const bootstrap = randomBootstrap(earlier, how.bootstrapRandom);
  return new DHT({ core: how.core, transport: how.net.createTransport(), clock: how.net.clock, random: seededRandom(how.nodeSeed(index)), bootstrap, ...how.node });
}

/**
 * `count` newcomers, numbered from `first`, joining the nodes of `live` (which
 * they bootstrap off, not off each other): each started as soon as it is made,
 * none waited for — their bootstrap goes on as the network runs. They are
 * added to `live` once all started.
 */
export async function joinOneByOne(how: Newcomers, live: DHT[], count: number, first: number): Promise<DHT[]> {
  const batch: DHT[] = [];
  for (let i = 0; i < count; i++) {
    const dht = newcomer(how, live, first + i);
    await dht.start();
    batch.push(dht);
  }
  live.push(...batch);
  return batch;
}

export async function buildSwarm(options: SwarmOptions): Promise<Swarm> {
  const net = new SimulatedNetwork({ seed: options.seed ?? 1, latencyMs: [10, 80], ...options.network });
  const how: Newcomers = {
    core: options.core,
    net,
    bootstrapRandom: options.bootstrapRandom ?? seededRandom((options.seed ?? 1) + 1000),
    nodeSeed: options.nodeSeed ?? ((i: number): number => (options.seed ?? 1) * 100_003 + i + 1),
    node: options.node,
  };
  const nodes: DHT[] = [];
  const maxBatch = options.batch ?? 100;
  for (let start = 0, size = 1; start < options.size; start += size, size = Math.min(maxBatch, size * 2)) {
    let ready = 0;
    const batch: DHT[] = [];
    for (let i = start; i < Math.min(options.size, start + size); i++) {
      const dht = newcomer(how, nodes, i);
      dht.once('ready', () => ready++);
      options.prepare?.(dht, i, net);
      batch.push(dht);
    }
    await Promise.all(batch.map((dht) => dht.start()));
    nodes.push(...batch);
    expect(await net.runUntil(() => ready === batch.length, { timeoutMs: 120_000 })).toBe(true);
  }
  const settle = async <T>(promise: Promise<T>, timeoutMs = 120_000): Promise<T> => {
    let done = false;
    const tracked = promise.finally(() => (done = true));
    tracked.catch(() => undefined);
    expect(await net.runUntil(() => done, { timeoutMs })).toBe(true);
    return tracked;
  };
  return { net, nodes, settle, stop: async () => void (await Promise.all(nodes.map((dht) => dht.stop()))) };
}
