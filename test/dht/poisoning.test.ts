/**
 * Poisoning attempts against one node (fake transport, manual clock):
 *
 * - announce_peer with a wrong token (random, flipped, another address's, or
 *   expired) is always refused with 203, and nothing is stored;
 * - forged responses (unknown transaction ids, right ids from the wrong
 *   address) are dropped and counted, whatever nodes they list;
 * - nodes learned from a `nodes` list — even one sent by an honest node in
 *   answer to our own query — stay out of the routing table until they answer
 *   us from their own address;
 * - a crowd of unknown ids querying us never enters the table by itself, and
 *   the pings we send to check them stay within their cap.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { Prng } from '../helpers/fuzz.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { KrpcQuery, KrpcResponse } from '../../src/ground/messages.ts';
import { encodeCompactNodes } from '../../src/krpc/compact.ts';
import { bytesKey } from '../../src/util/bytes.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import { flush, id, startTestNode, v4 } from './helpers.ts';
import type { TestNode } from './helpers.ts';

const T = Uint8Array.of(0x70, 0x70);
const MINUTE = 60_000;

describe.each(backends)('poisoning (%s core)', (backend) => {
  let core: Core;
  let node: TestNode;
  const alice = v4('192.0.2.1', 4000);
  const bob = v4('192.0.2.2', 5000);
  const prng = new Prng(0x5eed);

  beforeEach(async () => {
    core = await loadCore(backend);
    node = await startTestNode(core);
  });
  afterEach(async () => {
    await node.dht.stop();
  });

  const tokenFor = (from: Endpoint, infohash: Uint8Array): Uint8Array => {
    const [answer] = node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: infohash } }, from);
    return (answer as KrpcResponse).r.token!;
  };
  const announce = (from: Endpoint, infohash: Uint8Array, token: Uint8Array): number | 'ok' => {
    const [answer] = node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: infohash, port: 6881, token } }, from);
    return answer?.y === 'r' ? 'ok' : answer?.y === 'e' ? answer.e.code : -1;
  };

  it('announce_peer with a wrong or expired token is always refused with 203', async () => {
    const infohash = id(0x42);
    const good = tokenFor(alice, infohash);
    let refused = 0;
    // Random tokens of every length, flipped bits of the real one, Bob's token, all from Alice.
    const bobs = tokenFor(bob, infohash);
    for (let i = 0; i < 2_000; i++) {
      let token: Uint8Array;
      if (i % 3 === 0) token = prng.bytes(1 + prng.int(24));
      else if (i % 3 === 1) {
        token = good.slice();
        const bit = prng.int(64);
        token[bit >> 3] = token[bit >> 3]! ^ (0x80 >> (bit & 7));
      } else token = bobs;
      if (announce(alice, infohash, token) === 203) refused++;
      await node.clock.advance(5); // 200 queries/s: under the per-IP limit, so each one is judged on its token
    }
    expect(refused).toBe(2_000);
    // The good token works (the control), then expires: refused for good 10 minutes on.
    expect(announce(alice, infohash, good)).toBe('ok');
    await node.clock.advance(10 * MINUTE + 1);
    expect(announce(alice, infohash, good)).toBe(203);
    const stats = node.dht.stats();
    expect(stats.peersStored).toBe(1); // only the control
    expect(stats.errorsOut['203']).toBe(2_001);
  });

  it('forged responses with unknown transaction ids are dropped, whatever nodes they list', () => {
    const fakes = Array.from({ length: 8 }, (_, i) => ({ id: prng.bytes(20), host: `203.0.113.${i + 1}`, port: 6881 }));
    const nodes = encodeCompactNodes(fakes, 4);
    for (let i = 0; i < 5_000; i++) {
      const from = v4(`198.51.${prng.int(256)}.${1 + prng.int(254)}`, 1024 + prng.int(60_000));
      node.transport.deliver(core.encodeKrpc({ y: 'r', t: prng.bytes(2), r: { id: prng.bytes(20), nodes } }), from);
    }
    expect(node.transport.take()).toEqual([]); // not even a ping back
    const stats = node.dht.stats();
    expect(stats.drops['unknown-transaction']).toBe(5_000);
    expect(stats.nodes).toBe(0);
  });

  it('nodes from a nodes list stay out of the table until they answer us themselves', async () => {
    // One honest node in the table.
    const honest = v4('198.51.100.1', 6881);
    const honestId = id(0x10);
    node.transport.deliver(core.encodeKrpc({ y: 'q', t: T, q: 'ping', a: { id: honestId } }), honest);
    await flush(); // our ping goes out after our answer
    const ping = node.transport.take().map((s) => core.decodeKrpc(s.data)).find((m): m is KrpcQuery => m.y === 'q')!;
    node.transport.deliver(core.encodeKrpc({ y: 'r', t: ping.t, r: { id: honestId } }), honest);
    await flush();
    expect(node.dht.stats().nodes).toBe(1);

    // A lookup asks it; it answers (right transaction, right address) with 8 made-up nodes.
    const target = id(0x33);
    const fakes = Array.from({ length: 8 }, (_, i) => ({ id: Uint8Array.from({ length: 20 }, (_, j) => (j === 0 ? 0x30 + i : 0x33)), host: `203.0.113.${i + 1}`, port: 6881 }));
    const lookup = node.dht.findNode(target);
    await flush();
    const query = node.transport.take().map((s) => ({ to: s.to, message: core.decodeKrpc(s.data) })).find((s) => s.to.host === honest.host)!;
    expect(query.message.y).toBe('q');
    // A forged copy of the answer from another address first: not matched.
    node.transport.deliver(core.encodeKrpc({ y: 'r', t: (query.message as KrpcQuery).t, r: { id: honestId, nodes: encodeCompactNodes(fakes, 4) } }), bob);
    expect(node.dht.stats().drops['unknown-transaction']).toBe(1);
    node.transport.deliver(core.encodeKrpc({ y: 'r', t: (query.message as KrpcQuery).t, r: { id: honestId, nodes: encodeCompactNodes(fakes, 4) } }), honest);
    await flush();
    // The lookup now asks the made-up nodes; none is in the table.
    const asked = node.transport.take().map((s) => ({ to: s.to, message: core.decodeKrpc(s.data) as KrpcQuery }));
    expect(asked.length).toBeGreaterThan(0);
    const inTable = (): Set<string> => new Set(node.dht.nodes().map((n) => bytesKey(n.id)));
    for (const fake of fakes) expect(inTable().has(bytesKey(fake.id))).toBe(false);
    // One of them really exists and answers from its own address: now it enters.
    const real = asked[0]!;
    const realFake = fakes.find((f) => f.host === real.to.host)!;
    node.transport.deliver(core.encodeKrpc({ y: 'r', t: real.message.t, r: { id: realFake.id } }), real.to);
    await flush();
    expect(inTable().has(bytesKey(realFake.id))).toBe(true);
    // The rest never answer: the lookup ends without them in the table.
    await node.clock.advance(30_000);
    await lookup;
    const table = inTable();
    expect(fakes.filter((f) => table.has(bytesKey(f.id)))).toEqual([realFake]);
  });

  it('a crowd of unknown ids querying us is pinged within the cap and never enters the table unanswered', async () => {
    await node.dht.stop();
    node = await startTestNode(core, { maxPendingPings: 16 });
    for (let i = 0; i < 3_000; i++) {
      const from = v4(`198.18.${i >> 8}.${(i & 0xff) + 1}`, 6881);
      node.transport.deliver(core.encodeKrpc({ y: 'q', t: T, q: 'find_node', a: { id: prng.bytes(20), target: prng.bytes(20) } }), from);
      if (i % 500 === 499) await node.clock.advance(3_000); // pings time out, new ones go out
    }
    const sent = node.transport.take().map((s) => core.decodeKrpc(s.data));
    const pings = sent.filter((m) => m.y === 'q').length;
    const stats = node.dht.stats();
    expect(stats.nodes).toBe(0);
    expect(stats.tables.pendingPings.size).toBeLessThanOrEqual(16);
    expect(pings).toBeLessThanOrEqual(16 * 6); // at most the cap per round of timeouts
    expect(sent.filter((m) => m.y === 'r').length).toBe(3_000); // every query still answered
  });
});
