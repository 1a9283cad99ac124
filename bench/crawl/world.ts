/**
 * The loopback world of the end-to-end crawl benchmark (and its small test):
 * `nodes` btdht nodes on real UDP, one 127.<net>.x.y address each, their
 * routing tables filled as if converged; torrents made in memory, each served
 * over real TCP by seeders sitting on some nodes' addresses and announced
 * (announce_peer, a real lookup) by the node sharing the seeder's address.
 *
 * Torrents come in five kinds, dealt in turn:
 *   honest     one honest seeder (bittorrent-protocol + ut_metadata, the crawl demo's seeder)
 *   mixed      an honest seeder and a hostile one of the three kinds below
 *   silent     only a seeder that accepts the connection and never says a word
 *   refusing   only a seeder that handshakes and rejects every ut_metadata request
 *   lying      only a seeder that sends other bytes of the right size (wrong metadata)
 * A hostile seeder host serves one kind only (a liar's address is penalized
 * by the crawler, and must not take honest torrents with it).
 */
import type { Core } from '../../src/core/types.ts';
import type { RoutingTable } from '../../src/core/routing-types.ts';
import { DHT } from '../../src/dht/dht.ts';
import { encodeCompactAddress } from '../../src/krpc/compact.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { realClock } from '../../src/ground/clock.ts';
import { makeDemoTorrent } from '../../src/crawl/demo/torrent-maker.ts';
import { MetadataSeeder } from '../../src/crawl/demo/seeder.ts';
import type { PeerAddress } from '../../src/crawl/metadata/types.ts';
import { startFakePeer, type FakePeer, type PeerBehavior } from '../../test/crawl/helpers/fake-peer.ts';
import { fillConverged } from '../harvest/converge.ts';
import { hostFor } from '../loopback-swarm.ts';

export type TorrentKind = 'honest' | 'mixed' | 'silent' | 'refusing' | 'lying';
export const KINDS: readonly TorrentKind[] = ['honest', 'honest', 'honest', 'honest', 'honest', 'honest', 'mixed', 'silent', 'refusing', 'lying'];
const HOSTILE: Record<'silent' | 'refusing' | 'lying', PeerBehavior> = { silent: 'stall', refusing: 'reject', lying: 'wrong-info' };

/** Whether a torrent of this kind has at least one honest seeder (fetching it is possible). */
export function fetchable(kind: TorrentKind): boolean {
  return kind === 'honest' || kind === 'mixed';
}

export interface WorldTorrent {
  infohash: string;
  name: string;
  size: number;
  kind: TorrentKind;
  seeders: PeerAddress[];
  /** Nodes that accepted its announces (summed over its seeders). */
  announcedTo: number;
}

export interface CrawlWorldOptions {
  nodes: number;
  torrents: number;
  core: Core;
  /** Second octet of every address: nodes on 127.<net>.1.1 upward. */
  net: number;
  seed: number;
  /** Honest seeders (default torrents / 8, at least 1); hostile seeders of each kind: a third of that, at least 1. */
  honestSeeders?: number;
  /** Progress lines (default none). */
  log?: (line: string) => void;
}

export interface CrawlWorld {
  nodes: DHT[];
  torrents: WorldTorrent[];
  /** A few nodes to bootstrap a crawler from ('host:port'). */
  bootstrap: string[];
  /** Connections the hostile seeders accepted, by kind (a crawler did try them). */
  hostileConnections(): Record<'silent' | 'refusing' | 'lying', number>;
  stop(): Promise<void>;
}

const K = 8;
const ANNOUNCE_LANES = 16;

export async function startCrawlWorld(options: CrawlWorldOptions): Promise<CrawlWorld> {
  const { nodes: count, net } = options;
  const log = options.log ?? (() => {});
  if (!Number.isInteger(count) || count < 20 || count > 60_000) throw new RangeError('startCrawlWorld: nodes must be 20 to 60,000');
  const random = seededRandom(options.seed);
  let lastTable: RoutingTable | undefined;
  // The nodes build their tables through the core: keep a handle on each to fill it.
  const core: Core = { ...options.core, createRoutingTable: (o) => (lastTable = options.core.createRoutingTable(o)) };
  const nodes: DHT[] = [];
  const tables: RoutingTable[] = [];
  const honestSeeders: MetadataSeeder[] = [];
  const hostileSeeders: Array<{ kind: 'silent' | 'refusing' | 'lying'; peer: FakePeer }> = [];
  const stop = async (): Promise<void> => {
    await Promise.all(honestSeeders.map((s) => s.close()));
    await Promise.all(hostileSeeders.map((s) => s.peer.close()));
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    const started = Date.now();
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const dht = new DHT({ host: hostFor(net, i), port: 0, bootstrap: [], core, k: K, maintenance: false, maxPeers: 1_000, timeoutMs: 8_000, random: seededRandom(options.seed * 100_003 + i + 1) });
      dht.on('warning', () => {});
      ready.push(new Promise((resolve) => dht.once('ready', () => resolve())));
      await dht.start();
      nodes.push(dht);
      tables.push(lastTable!);
    }
    // A bootstrap with nobody to ask ends at once; only then fill (no bootstrap lookup runs over the filled table).
    await Promise.all(ready);
    const population = nodes.map((d) => ({ id: d.id, compact: encodeCompactAddress(d.address().host, d.address().port)! }));
    fillConverged(population, tables, K, realClock.now(), random);
    log(`world: ${count} nodes up, tables filled (${((Date.now() - started) / 1000).toFixed(1)} s)`);

    // Seeders on node addresses spread over the swarm; each torrent announced by the node at its seeder's address.
    const honestCount = Math.max(1, options.honestSeeders ?? Math.ceil(options.torrents / 8));
    const hostileCount = Math.max(1, Math.ceil(honestCount / 3));
    const slots = honestCount + 3 * hostileCount;
    if (slots > count) throw new RangeError(`startCrawlWorld: ${slots} seeders need as many nodes`);
    const nodeFor = (slot: number): number => Math.floor((slot * count) / slots);
    const made = Array.from({ length: options.torrents }, (_, i) => makeDemoTorrent(i, options.seed));
    const infos = new Map(made.map((t) => [t.infohash, t.info]));
    for (let s = 0; s < honestCount; s++) honestSeeders.push(await MetadataSeeder.start({ host: hostFor(net, nodeFor(s)) }));
    const hostileKinds = ['silent', 'refusing', 'lying'] as const;
    for (const [k, kind] of hostileKinds.entries()) {
      for (let s = 0; s < hostileCount; s++) {
        const host = hostFor(net, nodeFor(honestCount + k * hostileCount + s));
        hostileSeeders.push({ kind, peer: await startFakePeer({ host, behavior: HOSTILE[kind], infos }) });
      }
    }
    const byHost = new Map(nodes.map((n) => [n.address().host, n]));
    const hostilesOf = (kind: 'silent' | 'refusing' | 'lying'): FakePeer[] => hostileSeeders.filter((h) => h.kind === kind).map((h) => h.peer);
    // Who seeds what: the announces each announcing node will make.
    const plan = new Map<DHT, Array<{ torrent: number; port: number }>>();
    const seedersOf: PeerAddress[][] = made.map(() => []);
    const add = (torrent: number, host: string, port: number): void => {
      const announcer = byHost.get(host)!;
      if (!plan.has(announcer)) plan.set(announcer, []);
      plan.get(announcer)!.push({ torrent, port });
      seedersOf[torrent]!.push({ host, port });
    };
    const kinds: TorrentKind[] = made.map((_, i) => KINDS[i % KINDS.length]!);
    let mixedCount = 0;
    for (const [i, torrent] of made.entries()) {
      const kind = kinds[i]!;
      if (fetchable(kind)) {
        const seeder = honestSeeders[i % honestSeeders.length]!;
        seeder.add(torrent);
        add(i, seeder.host, seeder.port);
      }
      const hostileKind = kind === 'mixed' ? hostileKinds[mixedCount++ % 3]! : kind === 'honest' ? undefined : kind;
      if (hostileKind !== undefined) {
        const list = hostilesOf(hostileKind);
        const peer = list[i % list.length]!;
        add(i, peer.host, peer.port);
      }
    }
    // Each seeder's node announces straight to the K nodes nearest the infohash (get_peers for a token, then
    // announce_peer): what a lookup ends with on a converged network, without thousands of lookups at once.
    const ids = nodes.map((n) => n.id);
    const announced = new Array<number>(made.length).fill(0);
    let done = 0;
    // A few announces at a time in all: a crowded, CPU-starved world loses its own queries.
    const work = [...plan].flatMap(([announcer, list]) => list.map((item) => ({ announcer, ...item })));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < work.length) {
        const { announcer, torrent, port } = work[next++]!;
        const infohash = Buffer.from(made[torrent]!.infohash, 'hex');
        const results = await Promise.all(nearest(ids, infohash, K).map((n) => announceTo(announcer, nodes[n]!, infohash, port)));
        announced[torrent]! += results.filter(Boolean).length;
        if (++done % 100 === 0) log(`world: ${done} of ${work.length} announces done`);
      }
    };
    await Promise.all(Array.from({ length: ANNOUNCE_LANES }, lane));
    const torrents: WorldTorrent[] = made.map((t, i) => ({ infohash: t.infohash, name: t.name, size: t.size, kind: kinds[i]!, seeders: seedersOf[i]!, announcedTo: announced[i]! }));
    const unannounced = torrents.filter((t) => t.announcedTo === 0).length;
    // A few lost to a starved world are reported (and left out by the benchmark); more means the world is broken.
    if (unannounced > Math.floor(torrents.length / 50)) throw new Error(`startCrawlWorld: ${unannounced} torrents reached no node with their announce`);
    if (unannounced > 0) log(`world: ${unannounced} torrents reached no node with their announce`);
    log(`world: ${torrents.length} torrents announced by ${plan.size} seeders (${((Date.now() - started) / 1000).toFixed(1)} s in all)`);
    const bootstrap = [0, Math.floor(count / 3), Math.floor((2 * count) / 3)].map((i) => `${nodes[i]!.address().host}:${nodes[i]!.address().port}`);
    return {
      nodes,
      torrents,
      bootstrap,
      hostileConnections: () => {
        const out = { silent: 0, refusing: 0, lying: 0 };
        for (const h of hostileSeeders) out[h.kind] += h.peer.connections;
        return out;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Indices of the `k` ids nearest `target` (XOR). */
function nearest(ids: readonly Uint8Array[], target: Uint8Array, k: number): number[] {
  const distance = (id: Uint8Array): Buffer => Buffer.from(id.map((b, i) => b ^ target[i]!));
  return ids
    .map((id, i) => ({ i, d: distance(id) }))
    .sort((a, b) => Buffer.compare(a.d, b.d))
    .slice(0, k)
    .map((x) => x.i);
}

/** get_peers for a token, then announce_peer; five tries (a datagram may be lost under load). */
async function announceTo(from: DHT, to: DHT, infohash: Uint8Array, port: number): Promise<boolean> {
  const endpoint = to.address();
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const answer = await from.query(endpoint, 'get_peers', { info_hash: infohash });
      const token = answer.r.token;
      if (!(token instanceof Uint8Array)) return false;
      await from.query(endpoint, 'announce_peer', { info_hash: infohash, port, token });
      return true;
    } catch {
      // timed out or refused: try again
    }
  }
  return false;
}
