/**
 * Bytes in, bytes out on a node (dht/table-answers.ts): ping, find_node and
 * get_peers (with the peers stored for its infohash) are answered by the core without decodeKrpc,
 * (nor the message of its scan), with the very bytes the dispatcher writes; a hook or a 'query' listener for
 * the method sees the query (the dispatcher's way), and so do queries the
 * table alone cannot answer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { TableAnswerer } from '../../src/core/answer-types.ts';
import type { KrpcResponse, OutgoingQuery } from '../../src/ground/messages.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import { toHex } from '../../src/util/hex.ts';
import { DHT } from '../../src/dht/dht.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { FakeTransport, ManualClock, flush, id, startTestNode, v4 } from './helpers.ts';
import type { TestNode } from './helpers.ts';

const alice = v4('192.0.2.1', 4000);
const bob = v4('192.0.2.2', 4001);

const QUERIES: readonly OutgoingQuery[] = [
  { y: 'q', t: new Uint8Array([1, 2]), q: 'ping', a: { id: id(1) } },
  { y: 'q', t: new Uint8Array([3]), q: 'find_node', a: { id: id(1), target: id(0x5a) } },
  { y: 'q', t: new Uint8Array([4, 5, 6]), q: 'get_peers', a: { id: id(1), info_hash: id(0xc3) } },
  { y: 'q', t: new Uint8Array([7, 8]), q: 'find_node', a: { id: id(1), target: id(0xaa) }, ro: 1 },
];

describe.each(backends)('table answers on a node (%s core)', (backend) => {
  let core: Core;
  let node: TestNode;
  let decodes = 0;
  let answered = 0;

  beforeEach(async () => {
    const loaded = await loadCore(backend);
    const inner = loaded.answers;
    const answers: TableAnswerer = {
      scan: (datagram) => inner.scan(datagram),
      get readOnly() {
        return inner.readOnly;
      },
      senderId: () => inner.senderId(),
      target: () => inner.target(),
      senderIdInto: (out) => inner.senderIdInto(out),
      targetInto: (out) => inner.targetInto(out),
      message: () => {
        decodes++;
        return inner.message();
      },
      answer: (table, k, parts) => {
        answered++;
        return inner.answer(table, k, parts);
      },
      answerScratch: (table, k, parts) => {
        answered++;
        return inner.answerScratch(table, k, parts);
      },
      kept: () => inner.kept(),
    };
    let table: ReturnType<Core['createRoutingTable']> | undefined;
    core = {
      ...loaded,
      createRoutingTable: (options) => (table = loaded.createRoutingTable(options)),
      decodeKrpc: (datagram) => {
        decodes++;
        return loaded.decodeKrpc(datagram);
      },
      answers,
    };
    decodes = 0;
    answered = 0;
    node = await startTestNode(core);
    // A table to answer from: nodes put straight in.
    if (!table) throw new Error('no routing table');
    for (let i = 0; i < 40; i++) table.add(id(i * 6 + 2).map((b, j) => (j === 19 ? i : b)), new Uint8Array([10, 0, 0, i, 0x1a, 0xe1]), node.clock.now(), true);
  });
  afterEach(async () => {
    await node.dht.stop();
  });

  /** The answers `from` gets to `query` (bytes), and how many decodes (decodeKrpc or the message of a scan) and table answers the node ran for it. */
  function send(query: OutgoingQuery, from: Endpoint): { answers: Uint8Array[]; decodes: number; answered: number } {
    const bytes = core.encodeKrpc(query);
    const d0 = decodes;
    const a0 = answered;
    node.transport.deliver(bytes, from);
    const ran = { decodes: decodes - d0, answered: answered - a0 };
    const answers = node.transport
      .take()
      .filter((sent) => sent.to.host === from.host && sent.to.port === from.port)
      .map((sent) => sent.data)
      .filter((data) => core.decodeKrpc(data).y !== 'q');
    return { answers, ...ran };
  }

  it('answers ping, find_node and get_peers from the table without decodeKrpc, byte for byte as the dispatcher does', () => {
    const fast = QUERIES.map((query) => send(query, alice));
    for (const [i, result] of fast.entries()) {
      expect(result.answers, QUERIES[i]!.q).toHaveLength(1);
      expect(result.decodes, QUERIES[i]!.q).toBe(0);
      expect(result.answered, QUERIES[i]!.q).toBe(1);
    }
    const findNode = core.decodeKrpc(fast[1]!.answers[0]!) as KrpcResponse;
    expect(findNode.r.nodes).toHaveLength(8 * 26);
    expect((core.decodeKrpc(fast[2]!.answers[0]!) as KrpcResponse).r.token).toHaveLength(8);
    // The same queries through the dispatcher (an observing hook per method sends them there).
    const seen: string[] = [];
    const offs = ['ping', 'find_node', 'get_peers'].map((method) => node.dht.onQuery(method, (query) => void seen.push(query.q)));
    const slow = QUERIES.map((query) => send(query, alice));
    expect(seen).toEqual(['ping', 'find_node', 'get_peers', 'find_node']);
    for (const [i, result] of slow.entries()) {
      expect(result.answered, QUERIES[i]!.q).toBe(0);
      expect(result.decodes, QUERIES[i]!.q).toBe(1);
      expect(result.answers.map(toHex), QUERIES[i]!.q).toEqual(fast[i]!.answers.map(toHex));
    }
    // Hooks gone: the core answers again.
    for (const off of offs) off();
    expect(send(QUERIES[0]!, alice).answered).toBe(1);
    expect(node.dht.stats().queriesIn).toMatchObject({ ping: 3, find_node: 4, get_peers: 2 });
  });

  it('a hook for one method sees that method only; the others stay on the fast path', () => {
    const seen: string[] = [];
    node.dht.onQuery('find_node', (query, from) => void seen.push(`${query.q} ${toHex(query.a.target!)} ${from.host}`));
    const ping = send(QUERIES[0]!, alice);
    const findNode = send(QUERIES[1]!, alice);
    expect(ping).toMatchObject({ answered: 1, decodes: 0 });
    expect(findNode).toMatchObject({ answered: 0, decodes: 1 });
    expect(findNode.answers).toHaveLength(1);
    expect(seen).toEqual([`find_node ${toHex(id(0x5a))} ${alice.host}`]);
  });

  it("a 'query' listener sees every query", () => {
    const seen: string[] = [];
    node.dht.on('query', ({ query }) => seen.push(query.q));
    for (const query of QUERIES) expect(send(query, alice)).toMatchObject({ answered: 0, decodes: 1 });
    expect(seen).toEqual(['ping', 'find_node', 'get_peers', 'find_node']);
  });

  it('get_peers with stored peers: the core answers it too, with the peers of that infohash only, byte for byte as the dispatcher does', () => {
    const first = core.decodeKrpc(send(QUERIES[2]!, bob).answers[0]!) as KrpcResponse;
    for (let port = 6881; port < 6881 + 3; port++) {
      const announce: OutgoingQuery = { y: 'q', t: new Uint8Array([9]), q: 'announce_peer', a: { id: id(2), info_hash: id(0xc3), port, token: first.r.token! } };
      expect(core.decodeKrpc(send(announce, bob).answers[0]!).y).toBe('r');
    }
    const other: OutgoingQuery = { y: 'q', t: new Uint8Array([4]), q: 'get_peers', a: { id: id(1), info_hash: id(0x3c) } };
    const fast = [send(QUERIES[2]!, alice), send(other, alice)];
    for (const result of fast) expect(result).toMatchObject({ answered: 1, decodes: 0 });
    const stored = core.decodeKrpc(fast[0]!.answers[0]!) as KrpcResponse;
    expect(stored.r.values!.toArray().map(toHex)).toEqual([6881, 6882, 6883].map((port) => toHex(Uint8Array.of(192, 0, 2, 2, port >> 8, port & 255))));
    expect(stored.r.nodes).toHaveLength(8 * 26);
    expect((core.decodeKrpc(fast[1]!.answers[0]!) as KrpcResponse).r.values).toBeUndefined();
    // The dispatcher's answers to the same queries (an observing hook sends them there).
    const off = node.dht.onQuery('get_peers', () => undefined);
    const slow = [send(QUERIES[2]!, alice), send(other, alice)];
    off();
    for (const [i, result] of slow.entries()) {
      expect(result).toMatchObject({ answered: 0, decodes: 1 });
      expect(result.answers.map(toHex)).toEqual(fast[i]!.answers.map(toHex));
    }
  });

  it('queries the table alone cannot answer take the dispatcher: want, extra arguments, malformed ids', () => {
    const others: OutgoingQuery[] = [
      { y: 'q', t: new Uint8Array([1]), q: 'find_node', a: { id: id(1), target: id(3), want: ['n4'] } },
      { y: 'q', t: new Uint8Array([1]), q: 'ping', a: { id: id(1), port: 5 } },
      { y: 'q', t: new Uint8Array([1]), q: 'ping', a: { id: id(1) }, extra: { zzz: 5 } },
      { y: 'q', t: new Uint8Array([1]), q: 'ping', a: { id: new Uint8Array(19) } },
    ];
    for (const query of others) {
      const result = send(query, alice);
      expect(result).toMatchObject({ answered: 0, decodes: 1 });
      expect(result.answers).toHaveLength(1);
    }
    // The short id got the dispatcher's 203.
    expect(core.decodeKrpc(send(others[3]!, alice).answers[0]!)).toMatchObject({ y: 'e', e: { code: 203 } });
  });
});

/** A FakeTransport that sends from the node's scratch memory and keeps every third datagram (a send queued by the OS layer). */
class ScratchTransport extends FakeTransport {
  /** Every datagram handed to sendScratch, uncopied, with a copy made at the send and whether it was kept. */
  readonly scratch: Array<{ data: Uint8Array; copy: Uint8Array; kept: boolean }> = [];

  sendScratch(data: Uint8Array, to: Endpoint): boolean {
    const kept = this.scratch.length % 3 === 2;
    this.scratch.push({ data, copy: data.slice(), kept });
    this.send(data, to);
    return !kept;
  }
}

describe.each(backends)('table answers sent from scratch memory (%s core)', (backend) => {
  it('answers as fresh arrays would, and never writes again where the transport kept a datagram', async () => {
    const core = await loadCore(backend);
    const transport = new ScratchTransport();
    const dht = new DHT({ core, transport, clock: new ManualClock(), random: seededRandom(7), bootstrap: [], maintenance: false, id: 'aa'.repeat(20) });
    await dht.start();
    await flush();
    try {
      const queries: OutgoingQuery[] = [];
      for (let i = 0; i < 30; i++) {
        const t = Uint8Array.of(i, i + 1);
        const a = { id: id(1 + (i % 5)) };
        queries.push(i % 3 === 0 ? { y: 'q', t, q: 'ping', a } : i % 3 === 1 ? { y: 'q', t, q: 'find_node', a: { ...a, target: id(i) } } : { y: 'q', t, q: 'get_peers', a: { ...a, info_hash: id(i) } });
      }
      transport.take();
      for (const query of queries) transport.deliver(core.encodeKrpc(query), alice);
      const fast = transport.take().filter((sent) => sent.to.port === alice.port && core.decodeKrpc(sent.data).y === 'r');
      expect(fast).toHaveLength(queries.length);
      expect(transport.scratch).toHaveLength(queries.length);
      // What the transport kept still holds the answer it was given.
      const kept = transport.scratch.filter((s) => s.kept);
      expect(kept.length).toBe(10);
      for (const s of kept) expect(toHex(s.data)).toBe(toHex(s.copy));
      // The same answers through the dispatcher (hooks send the methods there), as fresh arrays.
      const offs = ['ping', 'find_node', 'get_peers'].map((method) => dht.onQuery(method, () => undefined));
      for (const query of queries) transport.deliver(core.encodeKrpc(query), alice);
      for (const off of offs) off();
      const slow = transport.take().filter((sent) => sent.to.port === alice.port && core.decodeKrpc(sent.data).y === 'r');
      expect(transport.scratch).toHaveLength(queries.length);
      expect(slow.map((sent) => toHex(sent.data))).toEqual(fast.map((sent) => toHex(sent.data)));
    } finally {
      await dht.stop();
    }
  });
});
