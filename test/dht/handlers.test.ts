import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { KrpcError, KrpcMessage, KrpcDecodeFailure, KrpcResponse, KrpcQuery } from '../../src/ground/messages.ts';
import { decodeCompactNodes, decodeCompactPeers } from '../../src/krpc/compact.ts';
import { startTestNode, v4, id, bytes, flush } from './helpers.ts';
import type { TestNode } from './helpers.ts';

const T = new Uint8Array([0x61, 0x61]);

function response(messages: (KrpcMessage | KrpcDecodeFailure)[]): KrpcResponse {
  expect(messages).toHaveLength(1);
  const message = messages[0]!;
  expect(message.y).toBe('r');
  return message as KrpcResponse;
}

function error(messages: (KrpcMessage | KrpcDecodeFailure)[], code: number): KrpcError {
  expect(messages).toHaveLength(1);
  const message = messages[0]!;
  expect(message.y).toBe('e');
  expect((message as KrpcError).e.code).toBe(code);
  return message as KrpcError;
}

/** Make `nodeId`@`host` known: it queries us, we ping it first, it answers. */
async function introduce(node: TestNode, nodeId: Uint8Array, host: string): Promise<void> {
  const from = v4(host);
  node.transport.deliver(node.core.encodeKrpc({ y: 'q', t: T, q: 'ping', a: { id: nodeId } }), from);
  await flush(); // our ping goes out after our answer
  const ping = node.transport.take().map((s) => node.core.decodeKrpc(s.data)).find((m): m is KrpcQuery => m.y === 'q');
  expect(ping?.q).toBe('ping');
  node.transport.deliver(node.core.encodeKrpc({ y: 'r', t: ping!.t, r: { id: nodeId } }), from);
  await flush();
  node.transport.take();
}

describe.each(backends)('query handlers (%s core)', (backend) => {
  let core: Core;
  let node: TestNode;
  const alice = v4('192.0.2.1', 4000);
  const bob = v4('192.0.2.2', 5000);

  beforeEach(async () => {
    core = await loadCore(backend);
    node = await startTestNode(core);
  });
  afterEach(async () => {
    await node.dht.stop();
  });

  it('answers ping with our id, the transaction id and our client version', () => {
    const r = response(node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice));
    expect(r.t).toEqual(T);
    expect(r.r.id).toEqual(node.dht.id);
    expect(Array.from(r.v!)).toEqual([0x42, 0x44, 0x00, 0x01]);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8])('echoes a %i-byte transaction id', (length) => {
    const t = new Uint8Array(length).map((_, i) => 200 + i);
    expect(response(node.ask({ y: 'q', t, q: 'ping', a: { id: id(1) } }, alice)).t).toEqual(t);
    expect(error(node.ask({ y: 'q', t, q: 'nope', a: { id: id(1) } }, alice), 204).t).toEqual(t);
  });

  it.each([
    ['ping', {}],
    ['find_node', { target: id(3) }],
    ['get_peers', { info_hash: id(3) }],
  ])('%s: 203 for a missing or wrong-size id', (q, args) => {
    expect(error(node.ask({ y: 'q', t: T, q, a: args }, alice), 203).e.message).toMatch(/id/);
    for (const size of [0, 19, 21]) {
      expect(error(node.ask({ y: 'q', t: T, q, a: { ...args, id: new Uint8Array(size) } }, alice), 203).e.message).toMatch(/'id'/);
    }
  });

  it('find_node: 203 for a missing or wrong-size target, else the nearest nodes', async () => {
    expect(error(node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1) } }, alice), 203).e.message).toMatch(/target/);
    expect(error(node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1), target: id(2).subarray(1) } }, alice), 203).e.message).toMatch(/target/);
    for (let i = 1; i <= 12; i++) await introduce(node, id(i * 16), `198.51.100.${i}`);
    const r = response(node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1), target: id(0x30) } }, alice));
    const nodes = decodeCompactNodes(r.r.nodes!, 4);
    expect(nodes).toHaveLength(8);
    // The target itself is known, so it comes first.
    expect(nodes[0]!.id).toEqual(id(0x30));
    expect(nodes[0]!.host).toBe('198.51.100.3');
  });

  it('get_peers: 203 for a bad info_hash; a token and nodes otherwise', () => {
    expect(error(node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1) } }, alice), 203).e.message).toMatch(/info_hash/);
    expect(error(node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: new Uint8Array(40) } }, alice), 203).e.message).toMatch(/info_hash/);
    const r = response(node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: id(9) } }, alice));
    expect(r.r.token).toHaveLength(8);
    expect(r.r.values).toBeUndefined();
    expect(r.r.nodes).toBeInstanceOf(Uint8Array);
  });

  function tokenFor(from: typeof alice, infohash = id(9)): Uint8Array {
    return response(node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: infohash } }, from)).r.token!;
  }

  function peersOf(infohash: Uint8Array): string[] {
    const r = response(node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(2), info_hash: infohash } }, bob));
    return decodeCompactPeers(r.r.values ?? []).map((p) => `${p.host}:${p.port}`);
  }

  it('announce_peer with a good token stores the peer; get_peers returns it', () => {
    const token = tokenFor(alice);
    const r = response(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), port: 6999, token } }, alice));
    expect(r.r.id).toEqual(node.dht.id);
    expect(peersOf(id(9))).toEqual(['192.0.2.1:6999']);
    expect(node.dht.stats().peersStored).toBe(1);
  });

  it('announce_peer: the token binds the IP only, so a NAT that changes the source port is not refused (BEP 5)', () => {
    const token = tokenFor(alice);
    const moved = v4('192.0.2.1', 4001);
    response(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), port: 1, implied_port: 1, token } }, moved));
    expect(peersOf(id(9))).toEqual(['192.0.2.1:4001']);
  });

  it('announce_peer: implied_port takes the UDP source port', () => {
    const token = tokenFor(alice);
    response(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), port: 1, implied_port: 1, token } }, alice));
    expect(peersOf(id(9))).toEqual(['192.0.2.1:4000']);
  });

  it('announce_peer: 203 for a bad, foreign or missing token, and nothing stored', () => {
    const token = tokenFor(alice);
    const bad = token.slice();
    bad[0]! ^= 1;
    expect(error(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), port: 6999, token: bad } }, alice), 203).e.message).toMatch(/token/);
    // Alice's token presented by Bob (another IP).
    expect(error(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(2), info_hash: id(9), port: 6999, token } }, bob), 203).e.message).toMatch(/token/);
    expect(error(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), port: 6999 } }, alice), 203).e.message).toMatch(/token/);
    expect(peersOf(id(9))).toEqual([]);
    expect(node.dht.stats().peersStored).toBe(0);
  });

  it.each([
    ['missing', {}],
    ['zero', { port: 0 }],
    ['too big', { port: 65536 }],
    ['negative', { port: -1 }],
    ['zero with implied_port 0', { port: 0, implied_port: 0 }],
  ])('announce_peer: 203 for a %s port', (_, portArgs) => {
    const token = tokenFor(alice);
    expect(error(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), token, ...portArgs } }, alice), 203).e.message).toMatch(/port/);
    expect(peersOf(id(9))).toEqual([]);
  });

  it('announce_peer: 203 for a wrong-size info_hash', () => {
    const token = tokenFor(alice);
    expect(error(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9).subarray(2), port: 1, token } }, alice), 203).e.message).toMatch(/info_hash/);
  });

  it('tokens: accepted for 5–10 minutes across a secret rotation, not after', async () => {
    const early = tokenFor(alice);
    await node.clock.advance(6 * 60_000); // one rotation: the previous secret still works
    response(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), port: 7000, token: early } }, alice));
    const later = tokenFor(alice);
    await node.clock.advance(5 * 60_000); // two rotations since `early`
    error(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), port: 7000, token: early } }, alice), 203);
    response(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), port: 7000, token: later } }, alice));
  });

  it('204 for an unknown method; one naming a target or info_hash is answered like find_node', () => {
    expect(error(node.ask({ y: 'q', t: T, q: 'frobnicate', a: { id: id(1) } }, alice), 204).e.message).toMatch(/unknown/);
    expect(response(node.ask({ y: 'q', t: T, q: 'future_query', a: { id: id(1), target: id(5) } }, alice)).r.nodes).toBeInstanceOf(Uint8Array);
    expect(response(node.ask({ y: 'q', t: T, q: 'future_query', a: { id: id(1), info_hash: id(5) } }, alice)).r.nodes).toBeInstanceOf(Uint8Array);
    // A wrong-size target does not qualify.
    error(node.ask({ y: 'q', t: T, q: 'future_query', a: { id: id(1), target: id(5).subarray(1) } }, alice), 204);
    expect(node.dht.stats().queriesIn['(other)']).toBe(4);
  });

  it('203 for an undecodable query with a recovered transaction id; silence and a counted drop otherwise', () => {
    // `a` is a string: wrong type, t recovered.
    const wrongType = bytes('d1:a3:abc1:q4:ping1:t2:xy1:y1:qe');
    const e = error(node.ask(wrongType, alice), 203);
    expect(e.t).toEqual(bytes('xy'));
    expect(node.ask(bytes('not bencode at all'), alice)).toEqual([]);
    expect(node.ask(bytes('i42e'), alice)).toEqual([]);
    const drops = node.dht.stats().drops;
    expect(drops['decode:wrong-type']).toBe(1);
    expect(drops['decode:not-a-dict']).toBe(1);
    expect(drops.total).toBe(3);
  });

  it('never throws out of the receive path, whatever the bytes', () => {
    let seed = 1;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    const seeds = [bytes('d1:ad2:id20:'), bytes('d1:rd2:id20:aaaaaaaaaaaaaaaaaaaae1:t2:aa1:y1:re'), bytes('d1:eli201e')];
    for (let i = 0; i < 2000; i++) {
      const base = seeds[i % seeds.length]!;
      const data = base.slice();
      data[rand() % data.length] = rand();
      const extra = new Uint8Array(rand() % 8).map(rand);
      const joined = new Uint8Array(data.length + extra.length);
      joined.set(data);
      joined.set(extra, data.length);
      expect(() => node.transport.deliver(joined, alice)).not.toThrow();
    }
  });

  it('responses with an unknown transaction are counted drops', () => {
    expect(node.ask({ y: 'r', t: T, r: { id: id(1) } }, alice)).toEqual([]);
    expect(node.dht.stats().drops['unknown-transaction']).toBe(1);
  });

  it('rate-limits queries per source IP', async () => {
    await node.dht.stop();
    node = await startTestNode(core, { maxQueriesPerIpPerSecond: 5 });
    let answers = 0;
    for (let i = 0; i < 8; i++) answers += node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice).length;
    expect(answers).toBe(5);
    expect(node.dht.stats().drops.rate).toBe(3);
    expect(node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(2) } }, bob)).toHaveLength(1);
    await node.clock.advance(1000);
    expect(node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice)).toHaveLength(1);
  });

  it('counts queries by method', () => {
    node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice);
    node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice);
    node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1), target: id(2) } }, alice);
    const stats = node.dht.stats();
    expect(stats.queriesIn.ping).toBe(2);
    expect(stats.queriesIn.find_node).toBe(1);
    expect(stats.queriesIn.total).toBe(3);
  });

  it('pings an unknown node that queried us, and adds it only once it answers', async () => {
    const sent: string[] = [];
    node.dht.on('node', (n) => sent.push(n.host));
    node.transport.deliver(core.encodeKrpc({ y: 'q', t: T, q: 'ping', a: { id: id(4) } }, ), alice);
    await flush();
    const out = node.transport.take().map((s) => core.decodeKrpc(s.data));
    // Our answer first, then our ping: a node walking the DHT knows us by then and does not ping back.
    expect(out.map((m) => m.y)).toEqual(['r', 'q']);
    expect(node.dht.stats().nodes).toBe(0);
    const ping = out.find((m): m is KrpcQuery => m.y === 'q')!;
    node.transport.deliver(core.encodeKrpc({ y: 'r', t: ping.t, r: { id: id(4) } }), alice);
    expect(node.dht.stats().nodes).toBe(1);
    expect(sent).toEqual(['192.0.2.1']);
    // The response from another address does not match the transaction.
    node.transport.deliver(core.encodeKrpc({ y: 'r', t: ping.t, r: { id: id(4) } }), bob);
    expect(node.dht.stats().drops['unknown-transaction']).toBe(1);
  });
});
