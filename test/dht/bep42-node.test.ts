/**
 * BEP 42 in the node: our answers tell the requester its address (`ip`); our
 * id follows the external IP once enough responders (distinct /24s) agree; the
 * routing table keeps non-compliant nodes out ('enforce') or trades them for
 * compliant newcomers ('prefer'); an enforcing node announces only to
 * compliant nodes. Local addresses are exempt throughout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { KrpcQuery, KrpcResponse } from '../../src/ground/messages.ts';
import { encodeCompactAddress } from '../../src/krpc/compact.ts';
import { bep42NodeId, isBep42Compliant } from '../../src/dht/bep42/id-rule.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { DHT } from '../../src/dht/dht.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { toHex } from '../../src/util/hex.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import { flush, id, startTestNode, v4 } from './helpers.ts';
import type { TestNode } from './helpers.ts';

const T = Uint8Array.of(0x42, 0x42);
const ipOf = (host: string): Uint8Array => Uint8Array.from(host.split('.'), Number);
const EXTERNAL = '124.31.75.21';

/** A BEP 42-compliant id for `host`, from seeded bytes; `firstBit` picks its half of the id space. */
function compliantId(core: Core, host: string, seed: number, firstBit?: 0 | 1): Uint8Array {
  const random = seededRandom(seed);
  for (;;) {
    const bytes = new Uint8Array(20);
    random(bytes);
    const nodeId = bep42NodeId(ipOf(host), bytes, core.crc32c);
    if (firstBit === undefined || nodeId[0]! >> 7 === firstBit) return nodeId;
  }
}

describe.each(backends)('BEP 42 in the node (%s core)', (backend) => {
  let node: TestNode | undefined;
  afterEach(async () => {
    await node?.dht.stop();
    node = undefined;
  });

  /** Ping `to` from the node and answer as `answerId`, with an `ip` vote when given. */
  async function pingAnswered(n: TestNode, to: Endpoint, answerId: Uint8Array, vote?: string): Promise<void> {
    let answered = false;
    const done = n.dht.ping(`${to.host}:${to.port}`).then(() => (answered = true), () => undefined);
    const query = n.transport
      .take()
      .filter((s) => s.to.host === to.host && s.to.port === to.port)
      .map((s) => n.core.decodeKrpc(s.data))
      .find((m): m is KrpcQuery => m.y === 'q' && m.q === 'ping')!;
    const response: Parameters<Core['encodeKrpc']>[0] = { y: 'r', t: query.t, r: { id: answerId } };
    if (vote) response.ip = encodeCompactAddress(vote, 6881)!;
    n.transport.deliver(n.core.encodeKrpc(response), to);
    await flush();
    expect(answered).toBe(true); // no waiting on a manual clock that never moves
    await done;
  }

  it('every answer carries the requester\'s address as `ip`', async () => {
    const core = await loadCore(backend);
    node = await startTestNode(core);
    const from = v4('192.0.2.9', 51413);
    for (const q of [
      { y: 'q' as const, t: T, q: 'ping', a: { id: id(1) } },
      { y: 'q' as const, t: T, q: 'find_node', a: { id: id(1), target: id(2) } },
      { y: 'q' as const, t: T, q: 'get_peers', a: { id: id(1), info_hash: id(2) } },
    ]) {
      const [answer] = node.ask(q, from);
      expect(answer?.y).toBe('r');
      expect((answer as KrpcResponse).ip).toEqual(encodeCompactAddress('192.0.2.9', 51413));
    }
  });

  it('takes an id for the external IP once five responders from distinct /24s agree, and says so', async () => {
    const core = await loadCore(backend);
    node = await startTestNode(core, { id: undefined });
    const first = node.dht.id;
    const events: string[] = [];
    node.dht.on('external-ip', ({ host }) => events.push(`ip ${host}`));
    node.dht.on('id', ({ previous, externalIp }) => events.push(`id ${toHex(previous) === toHex(first)} ${externalIp}`));
    // Known nodes survive the change of id.
    await pingAnswered(node, v4('10.9.0.1'), id(0x31));
    expect(node.dht.stats().nodes).toBe(1);
    // Five votes from one /24 count once.
    for (let i = 1; i <= 5; i++) await pingAnswered(node, v4(`198.51.100.${i}`), id(0x40 + i), EXTERNAL);
    expect(node.dht.stats().bep42.externalIp).toBeUndefined();
    // Three more /24s: four in all, still short.
    for (let i = 1; i <= 3; i++) await pingAnswered(node, v4(`198.51.${100 + i}.1`), id(0x50 + i), EXTERNAL);
    expect(node.dht.stats().bep42.externalIp).toBeUndefined();
    expect(events).toEqual([]);
    await pingAnswered(node, v4('198.51.104.1'), id(0x55), EXTERNAL);
    const stats = node.dht.stats();
    expect(stats.bep42).toMatchObject({ externalIp: EXTERNAL, idCompliant: true, idChanges: 1 });
    expect(events).toEqual([`ip ${EXTERNAL}`, `id true ${EXTERNAL}`]);
    expect(isBep42Compliant(node.dht.id, ipOf(EXTERNAL), core.crc32c)).toBe(true);
    expect(node.dht.id).not.toEqual(first);
    expect(node.dht.nodes().map((n) => n.host)).toContain('10.9.0.1');
    // We answer under the new id, and a self-lookup went out for it.
    const [pong] = node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, v4('192.0.2.1'));
    expect((pong as KrpcResponse).r.id).toEqual(node.dht.id);
    // A minority voting otherwise changes nothing.
    for (let i = 1; i <= 3; i++) await pingAnswered(node, v4(`203.0.${i}.1`), id(0x60 + i), '5.6.7.8');
    expect(node.dht.stats().bep42).toMatchObject({ externalIp: EXTERNAL, idChanges: 1 });
  });

  it.each<[string, DHTOptions, string]>([
    ['a local external IP (exempt)', { id: undefined }, '10.1.2.3'],
    ['an id given in the options', {}, EXTERNAL],
    ["bep42: 'off'", { id: undefined, bep42: 'off' }, EXTERNAL],
  ])('keeps its id for %s', async (_, options, external) => {
    const core = await loadCore(backend);
    node = await startTestNode(core, options);
    const first = node.dht.id;
    for (let i = 1; i <= 6; i++) await pingAnswered(node, v4(`198.51.${i}.1`), id(0x40 + i), external);
    expect(node.dht.stats().bep42).toMatchObject({ externalIp: external, idChanges: 0 });
    expect(node.dht.id).toEqual(first);
  });

  it("'enforce': a node whose id does not match its IP stays out of the table; compliant and local ones enter", async () => {
    const core = await loadCore(backend);
    node = await startTestNode(core, { bep42: 'enforce' });
    const liar = v4('198.51.100.7');
    expect(isBep42Compliant(id(0x12), ipOf(liar.host), core.crc32c)).toBe(false);
    await pingAnswered(node, liar, id(0x12));
    expect(node.dht.stats().nodes).toBe(0);
    expect(node.dht.stats().bep42.refused).toBe(1);
    await pingAnswered(node, v4('198.51.100.8'), compliantId(core, '198.51.100.8', 1));
    await pingAnswered(node, v4('192.168.1.20'), id(0x13)); // exempt
    expect(node.dht.nodes().map((n) => n.host).sort()).toEqual(['192.168.1.20', '198.51.100.8']);
    // Its queries are still answered (BEP 42: "Requests ... should always be serviced").
    expect(node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(0x12) } }, liar)[0]?.y).toBe('r');
  });

  it.each([
    ['prefer', true],
    ['off', false],
  ] as const)("'%s': a compliant newcomer facing a full bucket takes a non-compliant node's place: %s", async (mode, replaced) => {
    const core = await loadCore(backend);
    // Our id is 0xaa…: with k = 2, ids starting with a 0 bit share the far bucket once it splits.
    node = await startTestNode(core, { bep42: mode, k: 2 });
    await pingAnswered(node, v4('192.0.2.1'), id(0x11)); // non-compliant, public
    await pingAnswered(node, v4('192.0.2.2'), id(0x12)); // non-compliant, public
    await pingAnswered(node, v4('192.0.2.3'), id(0x13)); // bucket full: cached
    expect(node.dht.nodes().map((n) => n.host).sort()).toEqual(['192.0.2.1', '192.0.2.2']);
    const newcomer = compliantId(core, '198.51.100.40', 7, 0);
    await pingAnswered(node, v4('198.51.100.40'), newcomer);
    const hosts = node.dht.nodes().map((n) => n.host);
    expect(hosts.includes('198.51.100.40')).toBe(replaced);
    expect(hosts.filter((h) => h.startsWith('192.0.2.')).length).toBe(replaced ? 1 : 2);
    expect(node.dht.stats().bep42.replaced).toBe(replaced ? 1 : 0);
  });

  it("'prefer': a full bucket of trusted nodes (compliant or exempt) keeps them all; the newcomer waits in the cache", async () => {
    const core = await loadCore(backend);
    node = await startTestNode(core, { bep42: 'prefer', k: 2 });
    await pingAnswered(node, v4('192.168.7.1'), id(0x11)); // exempt (local network)
    await pingAnswered(node, v4('198.51.100.41'), compliantId(core, '198.51.100.41', 3, 0)); // compliant
    await pingAnswered(node, v4('192.0.2.3'), id(0x13)); // bucket full: cached
    const before = node.dht.nodes().map((n) => n.host).sort();
    expect(before).toEqual(['192.168.7.1', '198.51.100.41']);
    await pingAnswered(node, v4('198.51.100.40'), compliantId(core, '198.51.100.40', 7, 0));
    expect(node.dht.nodes().map((n) => n.host).sort()).toEqual(before);
    expect(node.dht.stats().bep42.replaced).toBe(0);
  });

  it("'enforce' announces only to nodes whose ids match their IPs", { timeout: 60_000 }, async () => {
    const core = await loadCore(backend);
    const net = new SimulatedNetwork({ seed: 42, latencyMs: [5, 20] });
    const swarm: DHT[] = [];
    const stores = new Map<DHT, Set<string>>();
    try {
      // 16 nodes on public addresses: even ones compliant, odd ones not.
      for (let i = 0; i < 16; i++) {
        const host = `198.51.${100 + i}.${10 + i}`;
        const nodeId = i % 2 === 0 ? compliantId(core, host, 100 + i) : seededIdFor(200 + i);
        expect(isBep42Compliant(nodeId, ipOf(host), core.crc32c)).toBe(i % 2 === 0);
        const bootstrap = swarm.slice(-3).map((d) => `${d.address().host}:${d.address().port}`);
        const dht = new DHT({ core, transport: net.createTransport(host), clock: net.clock, random: seededRandom(i + 1), bootstrap, id: nodeId, bep42: 'off' });
        const stored = new Set<string>();
        stores.set(dht, stored);
        dht.on('announce', ({ infohash }) => stored.add(toHex(infohash)));
        await dht.start();
        swarm.push(dht);
        await net.runUntil(() => dht.ready, { timeoutMs: 30_000 });
      }
      await settle(net, Promise.all(swarm.map((d) => d.findNode(d.id))));
      for (const [mode, expectOdd] of [['enforce', false], ['off', true]] as const) {
        const infohash = core.sha1(new TextEncoder().encode(`bep42 ${mode}`));
        const host = mode === 'enforce' ? '203.0.113.1' : '203.0.113.2';
        const announcer = new DHT({
          core,
          transport: net.createTransport(host),
          clock: net.clock,
          random: seededRandom(mode.length),
          bootstrap: swarm.map((d) => `${d.address().host}:${d.address().port}`),
          bep42: mode,
        });
        swarm.push(announcer);
        await announcer.start();
        await net.runUntil(() => announcer.ready, { timeoutMs: 30_000 });
        const accepted = await settle(net, announcer.announcePeer(infohash, 6000));
        expect(accepted).toBeGreaterThan(0);
        const storers = swarm.slice(0, 16).filter((d) => stores.get(d)!.has(toHex(infohash)));
        const oddStorers = storers.filter((d) => swarm.indexOf(d) % 2 === 1);
        expect(oddStorers.length > 0).toBe(expectOdd);
        if (mode === 'enforce') expect(accepted).toBe(storers.length);
      }
    } finally {
      await Promise.all(swarm.map((d) => d.stop()));
    }
  });
});

function seededIdFor(seed: number): Uint8Array {
  const bytes = new Uint8Array(20);
  seededRandom(seed)(bytes);
  return bytes;
}

async function settle<T>(net: SimulatedNetwork, promise: Promise<T>): Promise<T> {
  let done = false;
  let value: T | undefined;
  void promise.then((v) => {
    value = v;
    done = true;
  });
  expect(await net.runUntil(() => done, { timeoutMs: 120_000 })).toBe(true);
  return value as T;
}
