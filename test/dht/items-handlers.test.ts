/**
 * The storing side of BEP 44 on a node (fake transport, manual clock): get and
 * put answers, every error code (203 bad token / malformed, 205, 206, 207, 301,
 * 302), refresh on an equal re-put, expiry, and the put budget.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { BencodeDict } from '../../src/ground/bencode.ts';
import type { KrpcError, KrpcResponse, QueryArgs } from '../../src/ground/messages.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { startTestNode, v4, id } from './helpers.ts';
import type { TestNode } from './helpers.ts';
import { generateKeypair, installItems, mutableTarget, signWith, signatureBuffer } from '../../src/dht/items/index.ts';
import type { Items, Keypair, MutableItem } from '../../src/dht/items/index.ts';
import { putExtra } from '../../src/dht/items/item.ts';
import { ITEM_EXPIRY_MS } from '../../src/dht/items/constants.ts';

const T = new Uint8Array([1, 2]);
const alice = v4('192.0.2.1', 4000);
const bob = v4('192.0.2.2', 4000);

describe.each(backends)('BEP 44 get/put handlers (%s core)', (backend) => {
  let core: Core;
  let node: TestNode;
  let items: Items;
  let keypair: Keypair;

  beforeEach(async () => {
    core = await loadCore(backend);
    node = await startTestNode(core);
    items = installItems(node.dht, { core, clock: node.clock, random: seededRandom(11), maxPutsPerSecond: 50, republish: false });
    keypair = generateKeypair(seededRandom(5));
  });
  afterEach(async () => {
    items.close();
    await node.dht.stop();
  });

  const ask = (q: string, a: QueryArgs, extra?: BencodeDict, from = alice): KrpcResponse | KrpcError => {
    const answers = node.ask({ y: 'q', t: T, q, a: { id: id(1), ...a }, ...(extra ? { extra } : {}) }, from);
    expect(answers).toHaveLength(1);
    return answers[0] as KrpcResponse | KrpcError;
  };
  const body = (answer: KrpcResponse | KrpcError): BencodeDict => {
    expect(answer.y).toBe('r');
    return core.decode(answer.datagram.subarray(answer.bodyStart, answer.bodyEnd)) as BencodeDict;
  };
  const errorOf = (answer: KrpcResponse | KrpcError): number => {
    expect(answer.y).toBe('e');
    return (answer as KrpcError).e.code;
  };
  const tokenFor = (target: Uint8Array, from = alice): Uint8Array => {
    const r = ask('get', { target }, undefined, from) as KrpcResponse;
    expect(r.r.token).toHaveLength(8);
    return r.r.token!;
  };
  const mutable = (seq: bigint, value: string, salt = new Uint8Array(0), signer = keypair): MutableItem => {
    const encoded = core.encode(value);
    return {
      kind: 'mutable',
      target: mutableTarget(signer.publicKey, salt),
      value: core.decode(encoded),
      encoded,
      publicKey: signer.publicKey,
      salt,
      seq,
      signature: signWith(signer, signatureBuffer(seq, encoded, salt)),
    };
  };
  const put = (item: MutableItem, cas?: bigint, from = alice): KrpcResponse | KrpcError => ask('put', { token: tokenFor(item.target, from) }, putExtra(item, cas), from);

  it('get of an unknown target: a token and nodes, no value; a bad target is 203', () => {
    const answer = ask('get', { target: id(7) }) as KrpcResponse;
    expect(answer.r.token).toHaveLength(8);
    expect(answer.r.nodes).toBeInstanceOf(Uint8Array);
    expect(body(answer)['v']).toBeUndefined();
    expect(errorOf(ask('get', { target: id(7).subarray(0, 19) }))).toBe(203);
    expect(errorOf(ask('get', {}))).toBe(203);
  });

  it('immutable put then get: the value comes back; the token is bound to the asker', () => {
    const v = core.encode({ hello: 'world', n: 3 });
    const target = core.sha1(v);
    const token = tokenFor(target);
    expect(body(ask('put', { token }, { v: core.decode(v) }))).toHaveProperty('id');
    expect(core.encode(body(ask('get', { target }))['v']!)).toEqual(v);
    // Bob may not use Alice's token.
    expect(errorOf(ask('put', { token }, { v: core.decode(v) }, bob))).toBe(203);
    expect(errorOf(ask('put', { token: new Uint8Array(8) }, { v: 1 }))).toBe(203);
    expect(errorOf(ask('put', {}, { v: 1 }))).toBe(203);
    expect(errorOf(ask('put', { token }, {}))).toBe(203);
  });

  it('205: a value over 1000 bytes bencoded is refused; 1000 is accepted', () => {
    const token = tokenFor(id(3));
    const big = new Uint8Array(996); // '996:' + 996 bytes = 1000 bytes bencoded
    expect(core.encode(big).length).toBe(1000);
    expect(ask('put', { token }, { v: big }).y).toBe('r');
    expect(errorOf(ask('put', { token }, { v: new Uint8Array(997) }))).toBe(205);
  });

  it('mutable put then get: k, seq, sig and v come back; an asker with that seq gets only seq', () => {
    const item = mutable(4n, 'Hello World!');
    expect(put(item).y).toBe('r');
    const r = body(ask('get', { target: item.target }));
    expect(r['k']).toEqual(keypair.publicKey);
    expect(r['seq']).toBe(4);
    expect(r['sig']).toEqual(item.signature);
    expect(r['v']).toEqual(new TextEncoder().encode('Hello World!'));
    const current = body(ask('get', { target: item.target }, { seq: 4 }));
    expect(current['seq']).toBe(4);
    expect(current['v']).toBeUndefined();
    expect(current['sig']).toBeUndefined();
    expect(body(ask('get', { target: item.target }, { seq: 3 }))['v']).toBeDefined();
  });

  it('206: a signature that does not verify (tampered value, other key, other seq)', () => {
    const item = mutable(1n, 'Hello World!');
    expect(errorOf(put({ ...item, value: core.decode(core.encode('Hello World?')), encoded: core.encode('Hello World?') }))).toBe(206);
    const other = generateKeypair(seededRandom(6));
    expect(errorOf(put({ ...item, publicKey: other.publicKey, target: mutableTarget(other.publicKey) }))).toBe(206);
    expect(errorOf(put({ ...item, seq: 2n }))).toBe(206);
    expect(items.store.size).toBe(0);
  });

  it('207: a salt over 64 bytes; 64 is fine and signed in', () => {
    expect(put(mutable(1n, 'x', new Uint8Array(64).fill(1))).y).toBe('r');
    expect(errorOf(put(mutable(1n, 'x', new Uint8Array(65).fill(1))))).toBe(207);
    // A salted item's signature does not hold without its salt.
    const salted = mutable(1n, 'y', new Uint8Array([1, 2, 3]));
    expect(errorOf(put({ ...salted, salt: new Uint8Array(0), target: mutableTarget(keypair.publicKey) }))).toBe(206);
  });

  it('302: a lower seq, or the same seq with another value; the same item refreshes', async () => {
    expect(put(mutable(5n, 'five')).y).toBe('r');
    expect(errorOf(put(mutable(4n, 'four')))).toBe(302);
    expect(errorOf(put(mutable(5n, 'not five')))).toBe(302);
    await node.clock.advance(ITEM_EXPIRY_MS - 60_000);
    expect(put(mutable(5n, 'five')).y).toBe('r'); // refresh: a new life
    await node.clock.advance(ITEM_EXPIRY_MS - 60_000);
    expect(body(ask('get', { target: mutableTarget(keypair.publicKey) }))['seq']).toBe(5);
    expect(put(mutable(6n, 'six')).y).toBe('r');
    expect(body(ask('get', { target: mutableTarget(keypair.publicKey) }))['v']).toEqual(new TextEncoder().encode('six'));
  });

  it('301: cas must match the stored seq; with nothing stored it is ignored', () => {
    expect(put(mutable(1n, 'one'), 9n).y).toBe('r');
    expect(errorOf(put(mutable(2n, 'two'), 0n))).toBe(301);
    expect(put(mutable(2n, 'two'), 1n).y).toBe('r');
    expect(errorOf(put(mutable(3n, 'three'), 1n))).toBe(301);
  });

  it('203: malformed mutable fields', () => {
    const item = mutable(1n, 'x');
    const token = tokenFor(item.target);
    const extra = putExtra(item);
    expect(errorOf(ask('put', { token }, { ...extra, k: new Uint8Array(31) }))).toBe(203);
    expect(errorOf(ask('put', { token }, { ...extra, sig: new Uint8Array(63) }))).toBe(203);
    expect(errorOf(ask('put', { token }, { ...extra, seq: -1 }))).toBe(203);
    expect(errorOf(ask('put', { token }, { ...extra, seq: new Uint8Array(1) }))).toBe(203);
    expect(errorOf(ask('put', { token }, { ...extra, salt: 5 }))).toBe(203);
    expect(errorOf(ask('put', { token }, { ...extra, cas: new Uint8Array(1) }))).toBe(203);
  });

  it('an item expires 2 hours after its last put', async () => {
    const v = core.encode('short-lived');
    const target = core.sha1(v);
    expect(ask('put', { token: tokenFor(target) }, { v: core.decode(v) }).y).toBe('r');
    await node.clock.advance(ITEM_EXPIRY_MS - 1);
    expect(body(ask('get', { target }))['v']).toBeDefined();
    await node.clock.advance(1);
    expect(body(ask('get', { target }))['v']).toBeUndefined();
  });

  it('puts beyond the node-wide budget are dropped, counted by the node', () => {
    const token = tokenFor(id(3));
    let answered = 0;
    for (let i = 0; i < 80; i++) if (node.ask({ y: 'q', t: T, q: 'put', a: { id: id(1), token }, extra: { v: i } }, alice).length > 0) answered++;
    expect(answered).toBe(50);
    expect(node.dht.stats().drops['hook']).toBe(30);
  });
});
