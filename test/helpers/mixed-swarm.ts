/**
 * A loopback swarm of our nodes and bittorrent-dht's, interleaved: the i-th
 * of each side joins through the first and the previous node of both sides,
 * each on its own 127.x.y.z address. Shared by the interop suites.
 */
import type BtDHT from 'bittorrent-dht';
import type { BtDHTOptions } from 'bittorrent-dht';
import { DHT } from '../../src/dht/dht.ts';
import type { Core } from '../../src/core/types.ts';
import type { Backend } from '../../src/core/types.ts';
import { startTheirs, stopTheirs, theirEndpoint, within } from '../interop/helpers.ts';

export interface MixedSwarm {
  ours: DHT[];
  theirs: BtDHT[];
  /** 'host:port' of our i-th node. */
  ourAddress(i: number): string;
  stop(): Promise<void>;
}

export interface MixedSwarmOptions {
  /** Nodes on each side. */
  size: number;
  /** The first three octets of every address: ours at .10+i, theirs at .40+i. */
  subnet: string;
  core: Core;
  backend: Backend;
  /** More options for their nodes (e.g. a BEP 44 `verify`). */
  theirs?: Omit<BtDHTOptions, 'bootstrap'>;
}

/** Start both sides node by node (each bootstrapped before the next), then one more lookup of our ids spreads the late joiners. */
export async function startMixedSwarm(options: MixedSwarmOptions): Promise<MixedSwarm> {
  const ours: DHT[] = [];
  const theirs: BtDHT[] = [];
  const ourAddress = (i: number): string => `${ours[i]!.address().host}:${ours[i]!.address().port}`;
  const bootstrapFor = (i: number): string[] => {
    const list = new Set<string>();
    for (const j of [0, i - 1]) {
      if (j >= 0 && ours[j]) list.add(ourAddress(j));
      if (j >= 0 && theirs[j]) list.add(theirEndpoint(theirs[j]!));
    }
    return [...list];
  };
  const swarm: MixedSwarm = {
    ours,
    theirs,
    ourAddress,
    stop: async () => {
      await Promise.all(ours.map((node) => node.stop()));
      await Promise.all(theirs.map((node) => stopTheirs(node)));
    },
  };
  try {
    for (let i = 0; i < options.size; i++) {
      const node = new DHT({ host: `${options.subnet}.${10 + i}`, port: 0, bootstrap: bootstrapFor(i), core: options.core, backend: options.backend });
      const ready = new Promise<void>((resolve) => node.once('ready', () => resolve()));
      ours.push(node);
      await node.start();
      await within(ready, 15_000, `our node ${i} bootstrap`);
      theirs.push(await startTheirs(`${options.subnet}.${40 + i}`, { ...options.theirs, bootstrap: bootstrapFor(i) }));
    }
    // Everyone joined: one more lookup of our own id spreads the late joiners.
    await Promise.all(ours.map((node) => node.findNode(node.id, { signal: AbortSignal.timeout(10_000) })));
  } catch (error) {
    await swarm.stop().catch(() => undefined);
    throw error;
  }
  return swarm;
}
