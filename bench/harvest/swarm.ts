/**
 * A converged swarm on the SimulatedNetwork for the harvest benchmark, built
 * the way `bench:sim` builds its (`--join converged`): every node starts
 * alone, then each bucket of its routing table is offered up to k random
 * nodes of the population whose ids fall in that bucket's range (the table
 * decides what it keeps). Joining thousands of nodes through real lookups
 * would take most of the run and is not what this benchmark measures.
 *
 * The harvesting node, built by `makeHarvester` (a subclass of DHT, with its
 * own options, e.g. `ids`), joins last and as a node does: it bootstraps off
 * three others (then, with several ids, runs one lookup per id), and every
 * one of its ids is offered to the others' tables like any node's id, at its
 * one address. Its transport's receive handler is timed, so its share of the
 * one thread everyone runs on can be read apart.
 */
import type { Core } from '../../src/core/types.ts';
import type { RoutingTable } from '../../src/core/routing-types.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { encodeCompactAddress } from '../../src/krpc/compact.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import type { Transport } from '../../src/transport/types.ts';
import { randomInt, seededRandom } from '../../src/ground/random.ts';
import type { CallMeter } from './meter.ts';
import { fillConverged } from './converge.ts';

export interface ConvergedSwarm<H extends DHT> {
  net: SimulatedNetwork;
  harvesting: H;
  /** Everyone else. */
  others: DHT[];
  stop(): Promise<void>;
}

export interface ConvergedSwarmOptions<H extends DHT> {
  core: Core;
  size: number;
  seed: number;
  k: number;
  /** Options for every node (the harvesting one included). */
  node: Partial<DHTOptions>;
  /** Builds node 0 from the full options. */
  makeHarvester: (options: DHTOptions) => H;
  /** Times node 0's datagram handler (its whole receive path: decode, hooks, answer). */
  receiveMeter: CallMeter;
}

/** A transport whose datagram handler runs inside `meter`. */
function meteredTransport(inner: Transport, meter: CallMeter): Transport {
  const transport: Transport = {
    listen: (onDatagram) => inner.listen(meter.wrap(onDatagram)),
    send: (data, to) => inner.send(data, to),
    get local() {
      return inner.local;
    },
    close: () => inner.close(),
  };
  // The node sets onError on the transport it is given: pass it down.
  Object.defineProperty(transport, 'onError', {
    get: () => inner.onError,
    set: (fn: Transport['onError']) => (inner.onError = fn),
  });
  return transport;
}

/** Virtual time for the harvesting node's own-id lookups after its bootstrap. */
const SETTLE_MS = 60_000;

export async function convergedSwarm<H extends DHT>(options: ConvergedSwarmOptions<H>): Promise<ConvergedSwarm<H>> {
  const { size, k } = options;
  const random = seededRandom(options.seed);
  const net = new SimulatedNetwork({ seed: options.seed, latencyMs: [10, 80], loss: 0 });
  let lastTable: RoutingTable | undefined;
  // The nodes build their tables through the core: keep a handle on each to fill it.
  const core: Core = { ...options.core, createRoutingTable: (o) => (lastTable = options.core.createRoutingTable(o)) };
  const others: DHT[] = [];
  const tables: RoutingTable[] = [];
  const common = (i: number): DHTOptions => ({ ...options.node, core, clock: net.clock, random: seededRandom(options.seed * 100_003 + i + 1), k });
  let ready = 0;
  for (let i = 1; i < size; i++) {
    const dht = new DHT({ ...common(i), transport: net.createTransport(), bootstrap: [] });
    dht.once('ready', () => ready++);
    await dht.start();
    others.push(dht);
    tables.push(lastTable!);
  }
  // Bootstrap with nobody to ask ends at once; only then fill (no sparse-bucket refresh runs on an empty table).
  if (!(await net.runUntil(() => ready === others.length, { timeoutMs: 60_000 }))) throw new Error('the swarm did not start');
  // The harvesting node joins as a node does, off three others; started now, its ids are known.
  const address = (dht: DHT): string => `${dht.address().host}:${dht.address().port}`;
  const bootstrap = [...new Set([0, 1, 2].map(() => address(others[randomInt(random, others.length)]!)))];
  const harvesting = options.makeHarvester({ ...common(0), transport: meteredTransport(net.createTransport(), options.receiveMeter), bootstrap });
  let harvestingReady = false;
  harvesting.once('ready', () => (harvestingReady = true));
  await harvesting.start();
  // The population as the others' tables see it: every other node, and each of the harvesting node's ids at its address.
  const harvestingCompact = encodeCompactAddress(harvesting.address().host, harvesting.address().port)!;
  const population = [
    ...others.map((d) => ({ id: d.id, compact: encodeCompactAddress(d.address().host, d.address().port)! })),
    ...harvesting.ids.map((id) => ({ id, compact: harvestingCompact })),
  ];
  fillConverged(population, tables, k, net.clock.now(), random);
  // Its own table fills through its bootstrap lookup (and, with several ids, one lookup per id after it).
  if (!(await net.runUntil(() => harvestingReady, { timeoutMs: 120_000 }))) throw new Error('the harvesting node did not bootstrap');
  await net.run({ until: net.clock.now() + SETTLE_MS });
  return {
    net,
    harvesting,
    others,
    stop: async () => void (await Promise.all([harvesting, ...others].map((d) => d.stop()))),
  };
}
