/**
 * A loopback BitTorrent world for the crawl demo (and the crawl tests): DHT
 * nodes on 127.0.0.2, 127.0.0.3, ... (real UDP, bootstrapped off each other
 * as in `btdht demo`), seeders on some of those addresses serving torrents
 * made at start, and each torrent announced into the DHT by the node sharing
 * its seeder's address, with the seeder's TCP port (announce_peer stores the
 * announcer's IP: so the stored peer is the seeder).
 */
import { DHT } from '../../dht/dht.ts';
import type { DHTOptions } from '../../dht/options.ts';
import type { Core } from '../../core/types.ts';
import { makeDemoTorrent, type DemoTorrent } from './torrent-maker.ts';
import { MetadataSeeder } from './seeder.ts';
import type { PeerAddress } from '../metadata/types.ts';

/** The address of node `i` (0-based): 127.0.0.2 upward. */
export function nodeHost(i: number): string {
  return `127.0.0.${i + 2}`;
}

export interface LoopbackNodesOptions {
  /** 3 to 250 nodes (one per 127.0.0.x address). */
  count: number;
  core: Core;
  /** Extra options for every node. */
  node?: Partial<DHTOptions>;
}

/** Start `count` nodes, each bootstrapped off the first and the latest; then a self-lookup each, so early nodes learn late ones. */
export async function startLoopbackNodes(options: LoopbackNodesOptions): Promise<DHT[]> {
  if (!Number.isInteger(options.count) || options.count < 3 || options.count > 250) throw new RangeError('startLoopbackNodes: count must be 3 to 250');
  const nodes: DHT[] = [];
  try {
    const ready: Promise<void>[] = [];
    for (let i = 0; i < options.count; i++) {
      const bootstrap = [...new Set([nodes[0], nodes[nodes.length - 1]].filter((n) => n !== undefined).map((n) => endpointOf(n)))];
      const dht = new DHT({ ...options.node, host: nodeHost(i), port: 0, bootstrap, core: options.core });
      ready.push(new Promise((resolve) => dht.once('ready', () => resolve())));
      await dht.start();
      nodes.push(dht);
    }
    await Promise.all(ready);
    await Promise.all(nodes.map((dht) => dht.findNode(dht.id)));
    return nodes;
  } catch (error) {
    await Promise.all(nodes.map((dht) => dht.stop()));
    throw error;
  }
}

/** 'host:port' of a started node. */
export function endpointOf(dht: DHT): string {
  const local = dht.address();
  return `${local.host}:${local.port}`;
}

export interface SeededDemoTorrent extends DemoTorrent {
  /** The seeder serving it (also the announced peer). */
  peer: PeerAddress;
  /** Nodes that accepted its announce. */
  announcedTo: number;
}

export interface CrawlSwarmOptions {
  nodes: number;
  torrents: number;
  core: Core;
  /** Seeders (each on one node's address; default 4, at most `nodes`). */
  seeders?: number;
  /** Each seeder waits this long before answering a handshake (default 0). */
  seederDelayMs?: number;
  /** Makes this run's torrents its own (default: the clock). */
  seed?: number;
}

export interface CrawlSwarm {
  nodes: DHT[];
  seeders: MetadataSeeder[];
  torrents: SeededDemoTorrent[];
  /** A few nodes to bootstrap a crawler from. */
  bootstrap: string[];
  stop(): Promise<void>;
}

export async function startCrawlSwarm(options: CrawlSwarmOptions): Promise<CrawlSwarm> {
  const nodes = await startLoopbackNodes({ count: options.nodes, core: options.core });
  const seeders: MetadataSeeder[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(seeders.map((s) => s.close()));
    await Promise.all(nodes.map((dht) => dht.stop()));
  };
  try {
    const seederCount = Math.max(1, Math.min(options.seeders ?? 4, nodes.length));
    // Seeders on addresses spread over the swarm, each beside the node that announces for it.
    const hosts = Array.from({ length: seederCount }, (_, i) => Math.floor((i * nodes.length) / seederCount) + 1).map((i) => Math.min(i, nodes.length - 1));
    for (const index of hosts) {
      seeders.push(await MetadataSeeder.start({ host: nodeHost(index), ...(options.seederDelayMs ? { delayMs: options.seederDelayMs } : {}) }));
    }
    const seed = options.seed ?? Date.now() % 1_000_000_007;
    const made = Array.from({ length: options.torrents }, (_, i) => makeDemoTorrent(i, seed));
    const torrents: SeededDemoTorrent[] = new Array(made.length);
    // One announce at a time per announcing node, the nodes in parallel.
    await Promise.all(
      seeders.map(async (seeder, which) => {
        const announcer = nodes[hosts[which]!]!;
        for (let i = which; i < made.length; i += seederCount) {
          const torrent = made[i]!;
          seeder.add(torrent);
          const announcedTo = await announcer.announcePeer(torrent.infohash, seeder.port);
          torrents[i] = { ...torrent, peer: { host: seeder.host, port: seeder.port }, announcedTo };
        }
      }),
    );
    const bootstrap = [nodes[0]!, nodes[Math.floor(nodes.length / 2)]!, nodes[nodes.length - 1]!].map(endpointOf);
    return { nodes, seeders, torrents, bootstrap: [...new Set(bootstrap)], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
