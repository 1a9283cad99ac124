/**
 * A swarm of DHT nodes on the simulated network (the BEP 33/44/51, multi-id,
 * read-only, harvest and scale suites):
 * nodes join in growing batches, each bootstrapping off three random earlier
 * nodes, with `prepare` run on every node before it starts (to install hooks).
 */
import { expect } from 'vitest';
import type { Core } from '../../src/core/types.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import type { SimulatedNetworkOptions } from '../../src/transport/memory.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { randomInt, seededRandom } from '../../src/ground/random.ts';
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

/** A newcomer's bootstrap: three random nodes of `nodes` (fewer when the picks repeat), none for the first node. */
export function randomBootstrap(nodes: readonly DHT[], random: RandomSource): string[] {
  if (nodes.length === 0) return [];
  return [...new Set([0, 1, 2].map(() => address(nodes[randomInt(random, nodes.length)]!)))];
}

function address(dht: DHT): string {
  return `${dht.address().host}:${dht.address().port}`;
}

export async function buildSwarm(options: SwarmOptions): Promise<Swarm> {
  const net = new SimulatedNetwork({ seed: options.seed ?? 1, latencyMs: [10, 80], ...options.network });
  const random = options.bootstrapRandom ?? seededRandom((options.seed ?? 1) + 1000);
  const nodeSeed = options.nodeSeed ?? ((i: number): number => (options.seed ?? 1) * 100_003 + i + 1);
  const nodes: DHT[] = [];
  const maxBatch = options.batch ?? 100;
  for (let start = 0, size = 1; start < options.size; start += size, size = Math.min(maxBatch, size * 2)) {
    let ready = 0;
    const batch: DHT[] = [];
    for (let i = start; i < Math.min(options.size, start + size); i++) {
      const bootstrap = randomBootstrap(nodes, random);
      const dht = new DHT({
        core: options.core,
        transport: net.createTransport(),
        clock: net.clock,
        random: seededRandom(nodeSeed(i)),
        bootstrap,
        ...options.node,
      });
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
