/**
 * BEP 44 / 33 / 51 through the DHT class itself (no extension installed by
 * hand) on the simulated network: items put by one node are read by another;
 * announces with seed=1 reach the get_peers / announce_peer handlers' BEP 33
 * records, so scrape estimates seeds and peers and noseed=1 puts non-seeds
 * first; the peer store answers sample_infohashes, to one node or a traversal,
 * and a bounded walk finds the infohash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { DHT } from '../../src/dht/dht.ts';
import { getPeersLookup } from '../../src/dht/lookups/get-peers.ts';
import { seedExtra } from '../../src/dht/scrape/install.ts';
import { generateKeypair } from '../../src/dht/items/keys.ts';
import { decodeCompactPeers } from '../../src/krpc/compact.ts';
import { bytesEqual } from '../../src/util/bytes.ts';
import { randomId } from '../../src/util/id.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { buildSwarm } from '../helpers/sim-swarm.ts';
import type { Swarm } from '../helpers/sim-swarm.ts';

const NODES = 60;
const SEEDS = 4;
const PEERS = 6;

describe.each(backends)('BEP 44 / 33 / 51 wired into the node (%s core)', (backend) => {
  let core: Core;
  let swarm: Swarm;
  const infohash = randomId(seededRandom(51));
  /** The nodes that accepted announces, and the announcers' hosts by role. */
  const holders = new Set<string>();
  const seedHosts = new Set<string>();

  const announce = async (dht: DHT, seed: boolean): Promise<void> => {
    const lookup = await getPeersLookup((target, strategy, signal) => dht.lookup(target, strategy, signal ? { signal } : {}), infohash);
    for (const candidate of lookup.closest.filter((c) => c.token)) {
      try {
        await dht.query(candidate.endpoint, 'announce_peer', { info_hash: infohash, port: 6881, token: candidate.token! }, seedExtra(seed));
        holders.add(`${candidate.endpoint.host}:${candidate.endpoint.port}`);
      } catch {
        // lost or refused: other nodes hold it
      }
    }
  };

  beforeAll(async () => {
    core = await loadCore(backend);
    swarm = await buildSwarm({ core, size: NODES, seed: 4451, node: { maintenance: false } });
    for (let i = 0; i < SEEDS + PEERS; i++) {
      const dht = swarm.nodes[10 + i]!;
      if (i < SEEDS) seedHosts.add(dht.address().host);
      await swarm.settle(announce(dht, i < SEEDS));
    }
  }, 120_000);

  afterAll(async () => {
    await swarm?.stop();
  });

  it('putImmutable / putMutable on one node, get on another', { timeout: 60_000 }, async () => {
    const [a, b] = [swarm.nodes[1]!, swarm.nodes[NODES - 1]!];
    const put = await swarm.settle(a.putImmutable('wired'));
    expect(put.accepted).toBeGreaterThan(0);
    const found = await swarm.settle(b.get(put.target));
    expect(found?.kind).toBe('immutable');
    expect(new TextDecoder().decode(found!.value as Uint8Array)).toBe('wired');

    const keypair = generateKeypair(seededRandom(44));
    await swarm.settle(a.putMutable({ keypair, value: 'v1', salt: 's' }));
    await swarm.settle(a.putMutable({ keypair, value: 'v2', salt: 's' }));
    const mutable = await swarm.settle(b.get({ publicKey: keypair.publicKey, salt: 's' }));
    expect(mutable?.seq).toBe(2);
    expect(new TextDecoder().decode(mutable!.value as Uint8Array)).toBe('v2');
    expect(await swarm.settle(b.get({ publicKey: keypair.publicKey, salt: 'other' }))).toBeUndefined();
  });

  it('scrape estimates seeds and peers from the handlers’ records', { timeout: 60_000 }, async () => {
    expect(holders.size).toBeGreaterThan(0);
    const result = await swarm.settle(swarm.nodes[2]!.scrape(infohash));
    expect(result.withFilters).toBeGreaterThan(0);
    expect(Math.abs(result.seeds - SEEDS)).toBeLessThanOrEqual(1);
    expect(Math.abs(result.peers - PEERS)).toBeLessThanOrEqual(1);
    const nothing = await swarm.settle(swarm.nodes[2]!.scrape(randomId(seededRandom(52))));
    expect(nothing.seeds + nothing.peers).toBe(0);
  });

  it('get_peers with noseed=1 lists non-seeds first; scrape=1 carries the filters', { timeout: 30_000 }, async () => {
    const holder = [...holders][0]!;
    const asker = swarm.nodes[3]!;
    const plain = await swarm.settle(asker.query(holder, 'get_peers', { info_hash: infohash }, { noseed: 1 }));
    const roles = decodeCompactPeers(plain.r.values ?? []).map((peer) => seedHosts.has(peer.host));
    // Both kinds are there, and every non-seed comes before the first seed.
    expect(roles.filter((seed) => !seed).length).toBeGreaterThan(0);
    expect(roles.filter((seed) => seed).length).toBeGreaterThan(0);
    expect(roles.indexOf(true)).toBe(roles.filter((seed) => !seed).length);
    expect(plain.r.token?.length).toBeGreaterThan(0);

    const scraped = await swarm.settle(asker.query(holder, 'get_peers', { info_hash: infohash }, { scrape: 1 }));
    const body = core.decode(scraped.datagram.subarray(scraped.bodyStart, scraped.bodyEnd)) as Record<string, unknown>;
    expect((body['BFsd'] as Uint8Array).length).toBe(256);
    expect((body['BFpe'] as Uint8Array).length).toBe(256);
    const unscraped = await swarm.settle(asker.query(holder, 'get_peers', { info_hash: infohash }));
    const plainBody = core.decode(unscraped.datagram.subarray(unscraped.bodyStart, unscraped.bodyEnd)) as Record<string, unknown>;
    expect(plainBody['BFsd']).toBeUndefined();
  });

  it('sampleInfohashes from a node and near a target; a bounded walk finds the infohash', { timeout: 60_000 }, async () => {
    const asker = swarm.nodes[4]!;
    const one = await swarm.settle(asker.sampleInfohashes([...holders][0]!));
    expect(one.supported).toBe(true);
    expect(one.num).toBe(1);
    expect(one.samples.some((s) => bytesEqual(s, infohash))).toBe(true);

    const near = await swarm.settle(asker.sampleInfohashes(infohash));
    expect(near.samples.some((s) => bytesEqual(s, infohash))).toBe(true);

    const walk = async (): Promise<boolean> => {
      for await (const found of asker.sampleWalk({ maxQueries: NODES * 2 })) if (bytesEqual(found, infohash)) return true;
      return false;
    };
    expect(await swarm.settle(walk())).toBe(true);
  });
});
