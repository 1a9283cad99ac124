/**
 * BEP 32 on the simulated network: one node in the IPv4 and the IPv6 DHTs at
 * once. `want` answered (nodes / nodes6 per flag, the asker's family without
 * it), values never mixing families, tokens bound to either family's address;
 * then a mixed network of IPv4-only, IPv6-only and dual-stack nodes where a
 * dual-stack newcomer bootstrapped over IPv4 alone fills its IPv6 table through
 * `nodes6` (asked for with `want`) and finds and announces peers in both DHTs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { KrpcRemoteError } from '../../src/dht/errors.ts';
import { decodeCompactNodes } from '../../src/krpc/compact.ts';
import { randomInt, seededRandom } from '../../src/ground/random.ts';

const INFOHASH = new Uint8Array(20).fill(0x5a);

/** The simulated IPv6 host of node `n` (ULA addresses: they only exist inside the simulator). */
const v6host = (n: number): string => `fd00::${(n + 1).toString(16)}`;
const v4host = (n: number): string => `127.32.${(n >> 8) & 255}.${(n & 255) + 1}`;
const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

describe.each(backends)('BEP 32 dual stack (%s core)', (backend) => {
  let core: Core;
  beforeAll(async () => {
    core = await loadCore(backend);
  });

  /** A network plus a helper that starts a node with the given families and waits for it. */
  const network = (seed: number) => {
    const net = new SimulatedNetwork({ seed, latencyMs: [5, 40] });
    const nodes: DHT[] = [];
    let n = 0;
    const start = async (families: { v4?: boolean; v6?: boolean }, options: Partial<DHTOptions> = {}): Promise<DHT> => {
      const i = n++;
      const dht = new DHT({
        core,
        clock: net.clock,
        random: seededRandom(seed * 7919 + i),
        bootstrap: [],
        maxQueriesPerIpPerSecond: 0,
        ...(families.v4 ? { transport: net.createTransport(v4host(i)) } : {}),
        ...(families.v6 ? { transport6: net.createTransport(v6host(i)) } : {}),
        ...options,
      });
      let ready = false;
      dht.once('ready', () => (ready = true));
      await dht.start();
      nodes.push(dht);
      expect(await net.runUntil(() => ready, { timeoutMs: 60_000 })).toBe(true);
      return dht;
    };
    const settle = async <T>(promise: Promise<T>): Promise<T> => {
      let done = false;
      const tracked = promise.finally(() => (done = true));
      tracked.catch(() => undefined);
      expect(await net.runUntil(() => done, { timeoutMs: 120_000 })).toBe(true);
      return tracked;
    };
    return { net, nodes, start, settle, stop: () => Promise.all(nodes.map((dht) => dht.stop())) };
  };

  it('answers want n4 / n6, keeps values per family and binds tokens to either family', async () => {
    const s = network(3);
    try {
      const dual = await s.start({ v4: true, v6: true });
      const [a4, a6] = dual.addresses();
      expect(a4!.family).toBe(4);
      expect(a6!.family).toBe(6);
      expect(dual.stats().families.map((f) => f.family)).toEqual([4, 6]);
      // A few nodes of each family in the dual node's two tables.
      const v4s: DHT[] = [];
      const v6s: DHT[] = [];
      for (let i = 0; i < 6; i++) v4s.push(await s.start({ v4: true }, { bootstrap: [hostPort(a4!.host, a4!.port)] }));
      for (let i = 0; i < 6; i++) v6s.push(await s.start({ v6: true }, { bootstrap: [hostPort(a6!.host, a6!.port)] }));
      await s.net.runUntil(() => dual.stats().families.every((f) => f.nodes >= 6), { timeoutMs: 60_000 });
      expect(dual.stats().families.map((f) => f.nodes)).toEqual([6, 6]);

      const ask4 = v4s[0]!;
      const ask6 = v6s[0]!;
      const to4 = hostPort(a4!.host, a4!.port);
      const to6 = hostPort(a6!.host, a6!.port);
      const target = new Uint8Array(20).fill(0x11);
      const findNode = (from: DHT, to: string, want?: string[]) => s.settle(from.query(to, 'find_node', { target, ...(want ? { want } : {}) }));

      // No want: the asker's family only.
      let r = (await findNode(ask4, to4)).r;
      expect(r.nodes!.length).toBe(6 * 26);
      expect(r.nodes6).toBeUndefined();
      r = (await findNode(ask6, to6)).r;
      expect(r.nodes6!.length).toBe(6 * 38);
      expect(r.nodes).toBeUndefined();
      // want n4 + n6: both, each from its own table.
      r = (await findNode(ask4, to4, ['n4', 'n6'])).r;
      expect(decodeCompactNodes(r.nodes!, 4).every((node) => node.host.startsWith('127.'))).toBe(true);
      expect(decodeCompactNodes(r.nodes6!, 6).map((node) => node.host).sort()).toEqual(v6s.map((d) => d.addresses()[0]!.host).sort());
      // want n6 alone, over IPv4: only nodes6.
      r = (await findNode(ask4, to4, ['n6'])).r;
      expect(r.nodes).toBeUndefined();
      expect(r.nodes6!.length).toBe(6 * 38);
      // Unknown flags are ignored: the asker's family, as without want.
      r = (await findNode(ask6, to6, ['x9'])).r;
      expect(r.nodes).toBeUndefined();
      expect(r.nodes6!.length).toBe(6 * 38);
      // A single-stack node has no table to give for the other family.
      const single = hostPort(v4s[1]!.address().host, v4s[1]!.address().port);
      r = (await findNode(ask4, single, ['n4', 'n6'])).r;
      expect(r.nodes!.length).toBeGreaterThan(0);
      expect(r.nodes6).toBeUndefined();

      // Tokens of either family; announces land in that family's store and come back only to it.
      const announce = async (from: DHT, to: string, port: number): Promise<void> => {
        const got = await s.settle(from.query(to, 'get_peers', { info_hash: INFOHASH }));
        await s.settle(from.query(to, 'announce_peer', { info_hash: INFOHASH, port, token: got.r.token! }));
      };
      await announce(ask4, to4, 4444);
      await announce(ask6, to6, 6666);
      const values4 = (await s.settle(v4s[2]!.query(to4, 'get_peers', { info_hash: INFOHASH, want: ['n4', 'n6'] }))).r.values!;
      const values6 = (await s.settle(v6s[2]!.query(to6, 'get_peers', { info_hash: INFOHASH }))).r.values!;
      expect(values4.toArray().map((v) => v.length)).toEqual([6]);
      expect(values6.toArray().map((v) => v.length)).toEqual([18]);
      expect(values6.at(0)!.subarray(16)).toEqual(new Uint8Array([6666 >> 8, 6666 & 255]));
      // A token issued to one IPv6 address does not work for another.
      const token = (await s.settle(ask6.query(to6, 'get_peers', { info_hash: INFOHASH }))).r.token!;
      await expect(s.settle(v6s[3]!.query(to6, 'announce_peer', { info_hash: INFOHASH, port: 1, token }))).rejects.toMatchObject({ code: 203 });
      await expect(s.settle(v6s[3]!.query(to6, 'announce_peer', { info_hash: INFOHASH, port: 1, token }))).rejects.toBeInstanceOf(KrpcRemoteError);

      // Our own dual-stack getPeers finds both families' peers (two lookups, one per DHT).
      const peers = await s.settle(dual.getPeers(INFOHASH));
      expect(peers.map((p) => p.port).sort()).toEqual([4444, 6666]);
    } finally {
      await s.stop();
    }
  });

  describe('a mixed network: 120 IPv4-only, 120 IPv6-only and 40 dual-stack nodes', () => {
    const s = network(11);
    const random = seededRandom(99);
    const v4only: DHT[] = [];
    const v6only: DHT[] = [];
    const dual: DHT[] = [];
    const endpoint4 = (d: DHT): string => hostPort(d.addresses()[0]!.host, d.addresses()[0]!.port);
    const endpoint6 = (d: DHT): string => {
      const a = d.addresses().find((x) => x.family === 6)!;
      return hostPort(a.host, a.port);
    };

    beforeAll(async () => {
      // Dual-stack nodes first: they join both DHTs, bootstrapping from earlier ones in each.
      const pick = <T>(list: T[], n: number): T[] => (list.length === 0 ? [] : [...new Set(Array.from({ length: n }, () => list[randomInt(random, list.length)]!))]);
      for (let i = 0; i < 40; i++) {
        const known = pick(dual, 3);
        dual.push(await s.start({ v4: true, v6: true }, { bootstrap: [...known.map(endpoint4), ...known.map(endpoint6)] }));
      }
      for (let i = 0; i < 120; i++) {
        v4only.push(await s.start({ v4: true }, { bootstrap: pick([...dual, ...v4only], 3).map(endpoint4) }));
        v6only.push(await s.start({ v6: true }, { bootstrap: pick([...dual, ...v6only], 3).map(endpoint6) }));
      }
      // Let routing upkeep settle for a few virtual minutes.
      await s.net.runUntil(() => false, { timeoutMs: 3 * 60_000 });
    }, 300_000);
    afterAll(() => s.stop());

    it('a dual-stack newcomer bootstrapped over IPv4 only fills its IPv6 table from nodes6 (want)', async () => {
      const newcomer = await s.start({ v4: true, v6: true }, { bootstrap: [endpoint4(v4only[5]!), endpoint4(dual[7]!)] });
      expect(await s.net.runUntil(() => newcomer.stats().families[1]!.nodes >= 8, { timeoutMs: 5 * 60_000 })).toBe(true);
      const [four, six] = newcomer.stats().families;
      console.log(`[${backend}] newcomer after IPv4-only bootstrap: ${four!.nodes} IPv4 nodes, ${six!.nodes} IPv6 nodes`);
      expect(four!.nodes).toBeGreaterThanOrEqual(8);
      // Every IPv6 node in its table answered it over IPv6 (it is a real member of that DHT).
      expect(newcomer.nodes().filter((n) => n.host.includes(':')).length).toBe(six!.nodes);
      // And a find_node in the IPv6 DHT from there reaches IPv6-only nodes it was never told about over IPv6.
      const found = await s.settle(newcomer.findNode(v6only[60]!.id));
      expect(found.some((n) => n.host === v6only[60]!.addresses()[0]!.host)).toBe(true);
      expect(found.some((n) => n.host === v4only[0]!.address().host || n.host.startsWith('127.'))).toBe(true);
    });

    it('lookups use both tables: peers from IPv4-only and IPv6-only announcers, and announces reach both DHTs', async () => {
      const infohash = new Uint8Array(20).fill(0xc3);
      expect(await s.settle(v4only[17]!.announcePeer(infohash, 4001))).toBeGreaterThan(0);
      expect(await s.settle(v6only[42]!.announcePeer(infohash, 6001))).toBeGreaterThan(0);
      const peers = await s.settle(dual[3]!.getPeers(infohash));
      expect(peers.find((p) => p.port === 4001)?.host).toBe(v4only[17]!.address().host);
      expect(peers.find((p) => p.port === 6001)?.host).toBe(v6only[42]!.address().host);

      // A dual-stack announce is stored in each DHT under that family's address.
      const other = new Uint8Array(20).fill(0x3c);
      const accepted = await s.settle(dual[9]!.announcePeer(other, 7777));
      expect(accepted).toBeGreaterThanOrEqual(2);
      const seenBy4 = await s.settle(v4only[90]!.getPeers(other));
      const seenBy6 = await s.settle(v6only[90]!.getPeers(other));
      expect(seenBy4).toContainEqual({ host: dual[9]!.addresses()[0]!.host, port: 7777 });
      expect(seenBy6).toContainEqual({ host: dual[9]!.addresses()[1]!.host, port: 7777 });
      // Single-stack nodes never saw the other family's address in values.
      expect(seenBy4.every((p) => !p.host.includes(':'))).toBe(true);
      expect(seenBy6.every((p) => p.host.includes(':'))).toBe(true);
    });
  });

  it('options: a family the node does not run is a clear error, and both families off is refused', async () => {
    expect(() => new DHT({ ipv4: false, ipv6: false })).toThrow(/both off/);
    expect(() => new DHT({ host6: '127.0.0.1' })).toThrow(/host6 must be an IPv6/);
    expect(() => new DHT({ ipv6: 'yes' as unknown as boolean })).toThrow(/ipv6 must be true or false/);
    const s = network(5);
    try {
      const only4 = await s.start({ v4: true });
      await expect(only4.ping('[fd00::99]:6881')).rejects.toThrow(/no IPv6 socket/);
      expect(only4.addresses().map((a) => a.family)).toEqual([4]);
    } finally {
      await s.stop();
    }
  });
});
