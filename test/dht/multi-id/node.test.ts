/**
 * A node in crawler mode (option `ids`) on the simulated network: it answers
 * as the id nearest each query's target, pings as the id it last asked the
 * pinger as, keeps its own ids out of its table, splits buckets around every
 * id, and obeys BEP 5 per id (tokens, errors). Ids spread evenly by default
 * or sit at the given prefixes; the primary id stays first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends.ts';
import { loadCore } from '../../../src/core/index.ts';
import type { Core } from '../../../src/core/types.ts';
import type { DHT } from '../../../src/dht/dht.ts';
import { DHT as Node } from '../../../src/dht/dht.ts';
import { compareDistance } from '../../../src/core/routing-types.ts';
import { seededRandom } from '../../../src/ground/random.ts';
import { randomId } from '../../../src/util/id.ts';
import { toHex } from '../../../src/util/hex.ts';
import { buildSwarm } from '../../helpers/sim-swarm.ts';
import bencode from 'bencode';
import type { Transport } from '../../../src/transport/types.ts';
import type { Swarm } from '../../helpers/sim-swarm.ts';

const nearestOf = (ids: Uint8Array[], target: Uint8Array): Uint8Array => ids.reduce((best, id) => (compareDistance(target, id, best) < 0 ? id : best));

describe.each(backends)('crawler mode: many ids on one node (%s core)', (backend) => {
  let core: Core;
  let swarm: Swarm;
  let crawler: DHT;
  let to: string;

  beforeAll(async () => {
    core = await loadCore(backend);
    swarm = await buildSwarm({ core, size: 200, seed: 4, node: { maxQueriesPerIpPerSecond: 0 } });
    crawler = new Node({
      core,
      transport: swarm.net.createTransport('127.99.0.1'),
      clock: swarm.net.clock,
      random: seededRandom(5),
      ids: 16,
      bootstrap: swarm.nodes.slice(0, 3).map((d) => `${d.address().host}:${d.address().port}`),
    });
    let ready = false;
    crawler.once('ready', () => (ready = true));
    await crawler.start();
    expect(await swarm.net.runUntil(() => ready, { timeoutMs: 60_000 })).toBe(true);
    // Time for the per-id lookups after bootstrap.
    await swarm.net.runUntil(() => false, { timeoutMs: 5 * 60_000 });
    to = `${crawler.address().host}:${crawler.address().port}`;
  }, 120_000);
  afterAll(async () => {
    await crawler?.stop();
    await swarm?.stop();
  });

  it('spreads 16 ids evenly, the primary first, and splits its table around each', () => {
    const ids = crawler.ids;
    expect(ids).toHaveLength(16);
    expect(toHex(ids[0]!)).toBe(crawler.idHex);
    // One id per 1/16 of the keyspace: the top 4 bits are all different.
    expect(new Set(ids.map((id) => id[0]! >> 4)).size).toBe(16);
    const ours = new Set(ids.map(toHex));
    expect(crawler.nodes().some((n) => ours.has(toHex(n.id)))).toBe(false);
    // A plain node's table here has a handful of buckets; this one has a path per id.
    const plain = Math.max(...swarm.nodes.slice(0, 20).map((d) => d.stats().buckets));
    expect(crawler.stats().buckets).toBeGreaterThan(2 * plain);
    expect(crawler.stats().nodes).toBeGreaterThan(Math.max(...swarm.nodes.slice(0, 20).map((d) => d.stats().nodes)));
  });

  it('answers find_node and get_peers as the id nearest the target, announce_peer as the one nearest the infohash', async () => {
    const asker = swarm.nodes[50]!;
    const ids = crawler.ids;
    const random = seededRandom(6);
    for (let i = 0; i < 12; i++) {
      const target = randomId(random);
      const expected = toHex(nearestOf(ids, target));
      const found = await swarm.settle(asker.query(to, 'find_node', { target }));
      expect(toHex(found.r.id!)).toBe(expected);
      const got = await swarm.settle(asker.query(to, 'get_peers', { info_hash: target }));
      expect(toHex(got.r.id!)).toBe(expected);
      // BEP 5 per id: the token works whichever id gave it (it is bound to the asker's IP).
      const announced = await swarm.settle(asker.query(to, 'announce_peer', { info_hash: target, port: 4000 + i, token: got.r.token! }));
      expect(toHex(announced.r.id!)).toBe(expected);
    }
    // And a bad token is still a 203, whichever id answers.
    await expect(swarm.settle(asker.query(to, 'announce_peer', { info_hash: ids[3]!, port: 1, token: new Uint8Array(4) }))).rejects.toMatchObject({ code: 203 });
  });

  it('answers a ping as the id it last queried the pinger as', async () => {
    const target = crawler.ids[9]!;
    // Our lookup toward ids[9] asks as ids[9]: every node it queried then gets that id back from a ping.
    const result = await swarm.settle(crawler.lookup(target, { method: 'find_node', args: { target } }));
    expect(result.closest.length).toBeGreaterThan(0);
    const asked = swarm.nodes.find((d) => result.closest.some((c) => c.endpoint.host === d.address().host))!;
    const pong = await swarm.settle(asked.ping(to));
    expect(toHex(pong.id)).toBe(toHex(target));
    // A node we never asked gets the primary id.
    const stranger = new Node({ core, transport: swarm.net.createTransport('127.99.0.2'), clock: swarm.net.clock, bootstrap: [] });
    await stranger.start();
    try {
      expect(toHex((await swarm.settle(stranger.ping(to))).id)).toBe(crawler.idHex);
    } finally {
      await stranger.stop();
    }
    const tables = crawler.stats().tables;
    expect(tables.askedAs.size).toBeGreaterThan(0);
    expect(tables.askedAs.size).toBeLessThanOrEqual(tables.askedAs.cap);
  });

  it('places ids at the given prefixes, besides the primary', async () => {
    const node = new Node({ core, transport: swarm.net.createTransport('127.99.0.3'), clock: swarm.net.clock, bootstrap: [], ids: ['00', 'ff', '8a5'] });
    await node.start();
    try {
      const [primary, ...rest] = node.ids;
      expect(toHex(primary!)).toBe(node.idHex);
      expect(rest.map((id) => toHex(id).slice(0, 3))).toEqual([expect.stringMatching(/^00/), expect.stringMatching(/^ff/), '8a5']);
    } finally {
      await node.stop();
    }
    expect(() => new Node({ ids: 0 })).toThrow(/ids must be an integer from 1/);
    expect(() => new Node({ ids: ['xyz'] })).toThrow(/each prefix must be 1 to 40 hex digits/);
  });

  it('builds its table from the configured backend, every id registered through the core contract', async () => {
    const made: { ids: readonly Uint8Array[]; table: ReturnType<Core['createRoutingTable']> }[] = [];
    const watched: Core = {
      ...core,
      createRoutingTable: (options) => {
        const table = core.createRoutingTable(options);
        made.push({ ids: options.ids ?? [], table });
        return table;
      },
    };
    const node = new Node({ core: watched, transport: swarm.net.createTransport('127.99.0.4'), clock: swarm.net.clock, bootstrap: [], ids: 4 });
    await node.start();
    try {
      expect(made).toHaveLength(1);
      const table = made[0]!.table;
      expect(made[0]!.ids.map(toHex)).toEqual(node.ids.slice(1).map(toHex));
      expect(table.ids.map(toHex)).toEqual(node.ids.map(toHex));
      // The backend's own table: the wasm one lives in linear memory, the js one is the trie class.
      expect(table.constructor.name).toBe(backend === 'wasm' ? 'WasmRoutingTable' : 'SharedRoutingTable');
    } finally {
      await node.stop();
    }
  });

  it('with oneIdPerNode, each remote node meets one id of ours: in our queries and in our answers, whatever the target', async () => {
    // Every id we send each destination, read off the wire.
    const seen = new Map<string, Set<string>>();
    const inner = swarm.net.createTransport('127.99.0.5');
    const transport: Transport = {
      listen: (onDatagram) => inner.listen(onDatagram),
      send(data, dest) {
        const m = bencode.decode(data) as Record<string, Record<string, Uint8Array> | Uint8Array>;
        const body = (m['a'] ?? m['r']) as Record<string, Uint8Array> | undefined;
        if (body?.['id'] instanceof Uint8Array) {
          const key = `${dest.host}:${dest.port}`;
          seen.set(key, (seen.get(key) ?? new Set()).add(toHex(body['id'])));
        }
        inner.send(data, dest);
      },
      get local() {
        return inner.local;
      },
      close: () => inner.close(),
    };
    const sticky = new Node({
      core,
      transport,
      clock: swarm.net.clock,
      random: seededRandom(7),
      ids: 16,
      oneIdPerNode: true,
      bootstrap: swarm.nodes.slice(0, 3).map((d) => `${d.address().host}:${d.address().port}`),
    });
    await sticky.start();
    try {
      await swarm.net.runUntil(() => false, { timeoutMs: 60_000 });
      const random = seededRandom(8);
      for (let i = 0; i < 6; i++) {
        const target = randomId(random);
        await swarm.settle(sticky.lookup(target, { method: 'get_peers', args: { info_hash: target } }));
      }
      const at = `${sticky.address().host}:${sticky.address().port}`;
      const asker = swarm.nodes[60]!;
      const answeredAs = new Set<string>();
      for (let i = 0; i < 8; i++) {
        const target = randomId(random);
        answeredAs.add(toHex((await swarm.settle(asker.query(at, 'get_peers', { info_hash: target }))).r.id!));
        answeredAs.add(toHex((await swarm.settle(asker.query(at, 'find_node', { target }))).r.id!));
      }
      answeredAs.add(toHex((await swarm.settle(asker.ping(at))).id));
      // One id for this asker across 8 targets and a ping (the default answers as the id nearest each target).
      expect(answeredAs.size).toBe(1);
      expect(sticky.ids.map(toHex)).toContain([...answeredAs][0]);
      // Many destinations, many of our ids in use, but one per destination.
      expect(seen.size).toBeGreaterThan(50);
      const perDestination = [...seen.values()].map((ids) => ids.size);
      expect(Math.max(...perDestination)).toBe(1);
      expect(new Set([...seen.values()].flatMap((ids) => [...ids])).size).toBeGreaterThan(8);
    } finally {
      await sticky.stop();
    }
  });
});
