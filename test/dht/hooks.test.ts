import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { KrpcDecodeFailure, KrpcError, KrpcMessage, KrpcQuery, KrpcResponse } from '../../src/ground/messages.ts';
import { bytesKey } from '../../src/util/bytes.ts';
import type { Answer } from '../../src/dht/hooks.ts';
import type { BencodeDict } from '../../src/ground/bencode.ts';
import { startTestNode, v4, id, flush } from './helpers.ts';
import type { TestNode } from './helpers.ts';

const T = new Uint8Array([1, 2]);
const alice = v4('192.0.2.1', 4000);

describe.each(backends)('hooks (%s core)', (backend) => {
  let core: Core;
  let node: TestNode;

  beforeEach(async () => {
    core = await loadCore(backend);
    node = await startTestNode(core);
  });
  afterEach(async () => {
    await node.dht.stop();
  });

  it('an observing hook sees the query and the default answer still goes out', () => {
    const seen: string[] = [];
    node.dht.onQuery('get_peers', (query, from) => {
      seen.push(`${from.host} ${bytesKey(query.a.info_hash!) === bytesKey(id(9))}`);
    });
    const [answer] = node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: id(9) } }, alice);
    expect(answer?.y).toBe('r');
    expect((answer as KrpcResponse).r.token).toHaveLength(8);
    expect(seen).toEqual(['192.0.2.1 true']);
  });

  it('a hook may answer instead, with extra keys, our id filled in', () => {
    node.dht.onQuery('ping', () => ({ response: { nodes: new Uint8Array(0) }, extra: { custom: 7, note: new TextEncoder().encode('hi') } }));
    const [answer] = node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice);
    const r = answer as KrpcResponse;
    expect(r.r.id).toEqual(node.dht.id);
    const body = core.decode(r.datagram.subarray(r.bodyStart, r.bodyEnd)) as Record<string, unknown>;
    expect(body['custom']).toBe(7);
    expect(body['note']).toEqual(new TextEncoder().encode('hi'));
  });

  it('a hook may answer with an error or drop the query', () => {
    const off = node.dht.onQuery('find_node', () => ({ error: [201, 'go away'] as const }));
    const [answer] = node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1), target: id(2) } }, alice);
    expect((answer as KrpcError).e).toEqual({ code: 201, message: 'go away' });
    off();
    node.dht.onQuery('find_node', () => ({ drop: true }));
    expect(node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1), target: id(2) } }, alice)).toEqual([]);
    expect(node.dht.stats().drops.hook).toBe(1);
  });

  it('the first hook that decides wins; removing a hook restores the default', () => {
    const calls: string[] = [];
    node.dht.onQuery('ping', () => void calls.push('observer'));
    const off = node.dht.onQuery('ping', () => {
      calls.push('answerer');
      return { error: [202, 'busy'] as const };
    });
    node.dht.onQuery('ping', () => {
      calls.push('never');
      return { drop: true };
    });
    expect((node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice)[0] as KrpcError).e.code).toBe(202);
    expect(calls).toEqual(['observer', 'answerer']);
    off();
    expect(node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice)).toEqual([]); // the dropper now decides
  });

  it('a throwing hook gets a 202 answer and a warning, and the node keeps going', () => {
    const warnings: Error[] = [];
    node.dht.on('warning', (w) => warnings.push(w));
    node.dht.onQuery('ping', () => {
      throw new Error('boom');
    });
    expect((node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice)[0] as KrpcError).e.code).toBe(202);
    expect(warnings[0]?.message).toMatch(/boom/);
    expect(node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1), target: id(2) } }, alice)[0]?.y).toBe('r');
  });

  it('arguments are checked before hooks run (203 and the hook never sees it)', () => {
    let called = 0;
    node.dht.onQuery('get_peers', () => void called++);
    expect((node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: id(1).subarray(3) } }, alice)[0] as KrpcError).e.code).toBe(203);
    expect(called).toBe(0);
  });

  it('a hook on an unknown method adds a query type; if no hook answers it is 204', () => {
    let mode: 'answer' | 'observe' = 'answer';
    node.dht.onQuery('x_vote', (query) => {
      if (mode === 'observe') return undefined;
      return { response: { nodes: new Uint8Array(0) }, extra: { num: 0, interval: 60, echo: query.a.target! } };
    });
    const [answer] = node.ask({ y: 'q', t: T, q: 'x_vote', a: { id: id(1), target: id(3) } }, alice);
    const r = answer as KrpcResponse;
    const body = core.decode(r.datagram.subarray(r.bodyStart, r.bodyEnd)) as Record<string, unknown>;
    expect(body['num']).toBe(0);
    expect(body['echo']).toEqual(id(3));
    mode = 'observe';
    expect((node.ask({ y: 'q', t: T, q: 'x_vote', a: { id: id(1), target: id(3) } }, alice)[0] as KrpcError).e.code).toBe(204);
    expect(node.dht.stats().queriesIn['x_vote']).toBe(2);
  });

  it("the 'query' event observes every well-formed query", () => {
    const methods: string[] = [];
    node.dht.on('query', ({ query }) => methods.push(query.q));
    node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice);
    node.ask({ y: 'q', t: T, q: 'whatever', a: { id: id(1) } }, alice);
    node.ask({ y: 'q', t: T, q: 'ping', a: {} }, alice); // 203: not well-formed
    expect(methods).toEqual(['ping', 'whatever']);
  });

  it('onResponse observes answers to our queries; dht.query sends custom queries', async () => {
    const observed: string[] = [];
    node.dht.onResponse('vote', (response, from, query) => observed.push(`${from.host} ${query.q} ${response.r.id?.length}`));
    const pending = node.dht.query(alice, 'vote', { target: id(5) }, { votes: 3 });
    const [sent] = node.transport.take();
    const query = core.decodeKrpc(sent!.data) as KrpcQuery;
    expect(query.q).toBe('vote');
    expect(query.a.id).toEqual(node.dht.id);
    expect(query.t).toHaveLength(2);
    const body = core.decode(query.datagram.subarray(query.bodyStart, query.bodyEnd)) as Record<string, unknown>;
    expect(body['votes']).toBe(3);
    node.transport.deliver(core.encodeKrpc({ y: 'r', t: query.t, r: { id: id(8) } }), alice);
    const response = await pending;
    expect(response.r.id).toEqual(id(8));
    expect(observed).toEqual(['192.0.2.1 vote 20']);
  });

  it('dht.query rejects with the remote error, or on timeout', async () => {
    const failing = node.dht.query(alice, 'vote', {});
    const query = core.decodeKrpc(node.transport.take()[0]!.data) as KrpcQuery;
    node.transport.deliver(core.encodeKrpc({ y: 'e', t: query.t, e: { code: 204, message: 'Method Unknown' } }), alice);
    await expect(failing).rejects.toMatchObject({ name: 'KrpcRemoteError', code: 204 });
    const silent = node.dht.query(alice, 'vote', {});
    const assertion = expect(silent).rejects.toMatchObject({ name: 'QueryFailedError', reason: 'timeout' });
    await node.clock.advance(2_500);
    await assertion;
    expect(node.dht.stats().timeouts.vote).toBe(1);
    await flush();
  });

  it("the node's BEP 44 / 51 answers are entries of the same table: shape checked first (203), then the embedder's hooks observe or take over", () => {
    const get = (target: Uint8Array): (KrpcMessage | KrpcDecodeFailure)[] => node.ask({ y: 'q', t: T, q: 'get', a: { id: id(1), target } }, alice);
    let seen = 0;
    const off = node.dht.onQuery('get', () => void seen++);
    node.dht.onQuery('sample_infohashes', () => void seen++);
    // The declared shapes, as for BEP 5's methods: the hooks never see a malformed query.
    expect((get(id(1).subarray(2))[0] as KrpcError).e.code).toBe(203);
    expect((node.ask({ y: 'q', t: T, q: 'sample_infohashes', a: { id: id(1) } }, alice)[0] as KrpcError).e.code).toBe(203);
    expect(seen).toBe(0);
    // Observed: the node's own answer (a write token and nodes) still goes out.
    const [plain] = get(id(4));
    expect((plain as KrpcResponse).r.token?.length).toBeGreaterThan(0);
    expect(seen).toBe(1);
    off();
    // Taken over: the hook's decision replaces the entry's answer; removing the hook restores it.
    const takeOver = node.dht.onQuery('get', () => ({ error: [201, 'not here'] as const }));
    expect((get(id(4))[0] as KrpcError).e).toEqual({ code: 201, message: 'not here' });
    takeOver();
    expect(get(id(4))[0]?.y).toBe('r');
    expect(node.dht.stats().queriesIn['get']).toBe(4);
  });
  it('answer hooks see the answer each entry made — the table-answered ones too — and may keep, amend or replace it', () => {
    const seen: string[] = [];
    const describe = (answer: Answer): string => ('error' in answer ? `error ${answer.error[0]}` : `response ${Object.keys(answer.response).filter((key) => answer.response[key as keyof typeof answer.response] !== undefined).sort().join(',')}`);
    const offs = [
      // Amended: the same answer with extra keys (our id stays).
      node.dht.onAnswer('ping', (answer, query) => {
        seen.push(`${query.q}: ${describe(answer)}`);
        return 'response' in answer ? { response: answer.response, extra: { motto: 7 } } : undefined;
      }),
      // Kept as it is.
      node.dht.onAnswer('find_node', (answer, query) => void seen.push(`${query.q}: ${describe(answer)}`)),
      // Replaced by an error.
      node.dht.onAnswer('get_peers', (answer, query) => {
        seen.push(`${query.q}: ${describe(answer)}`);
        return { error: [201, 'not today'] as const };
      }),
      // An entry's own error, dropped.
      node.dht.onAnswer('announce_peer', (answer, query) => {
        seen.push(`${query.q}: ${describe(answer)}`);
        return { drop: true };
      }),
      // BEP 44's answerer, and the default for an unknown method naming a target.
      node.dht.onAnswer('get', (answer, query) => void seen.push(`${query.q}: ${describe(answer)}`)),
      node.dht.onAnswer('find_more', (answer, query) => void seen.push(`${query.q}: ${describe(answer)}`)),
    ];
    const [ping] = node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice);
    const pong = ping as KrpcResponse;
    expect(pong.r.id).toEqual(node.dht.id);
    expect((core.decode(pong.datagram.subarray(pong.bodyStart, pong.bodyEnd)) as Record<string, unknown>)['motto']).toBe(7);
    expect(node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1), target: id(2) } }, alice)[0]?.y).toBe('r');
    expect((node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: id(9) } }, alice)[0] as KrpcError).e).toEqual({ code: 201, message: 'not today' });
    expect(node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), token: new Uint8Array([1]), port: 6881 } }, alice)).toEqual([]);
    expect(node.ask({ y: 'q', t: T, q: 'get', a: { id: id(1), target: id(4) } }, alice)[0]?.y).toBe('r');
    expect(node.ask({ y: 'q', t: T, q: 'find_more', a: { id: id(1), target: id(4) } }, alice)[0]?.y).toBe('r');
    // A malformed query never reaches an entry, so no answer hook sees its 203.
    expect((node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1) } }, alice)[0] as KrpcError).e.code).toBe(203);
    expect(seen).toEqual([
      'ping: response id',
      'find_node: response id,nodes',
      'get_peers: response id,nodes,token',
      'announce_peer: error 203',
      'get: response id,nodes,token',
      'find_more: response id,nodes',
    ]);
    expect(node.dht.stats().drops.hook).toBe(1);
    // Removed: the node's own answers again (ping without the extra key), and the hooks see nothing more.
    for (const off of offs) off();
    const [plain] = node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice);
    const body = core.decode((plain as KrpcResponse).datagram.subarray((plain as KrpcResponse).bodyStart, (plain as KrpcResponse).bodyEnd)) as Record<string, unknown>;
    expect(body['motto']).toBeUndefined();
    expect(node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: id(9) } }, alice)[0]?.y).toBe('r');
    expect(seen).toHaveLength(6);
  });

  it('answer hooks run after the query hooks: they see a query hook\'s decision, in order, and a throwing one gets 202', () => {
    const warnings: Error[] = [];
    node.dht.on('warning', (w) => warnings.push(w));
    const seen: string[] = [];
    node.dht.onQuery('ping', () => ({ response: {}, extra: { from: 1 } }));
    node.dht.onAnswer('ping', (answer) => {
      seen.push(`first ${'response' in answer ? JSON.stringify(answer.extra) : 'error'}`);
      return { response: {}, extra: { from: 2 } };
    });
    node.dht.onAnswer('ping', (answer) => void seen.push(`second ${'response' in answer ? JSON.stringify(answer.extra) : 'error'}`));
    const [pong] = node.ask({ y: 'q', t: T, q: 'ping', a: { id: id(1) } }, alice);
    const r = pong as KrpcResponse;
    expect(r.r.id).toEqual(node.dht.id);
    expect((core.decode(r.datagram.subarray(r.bodyStart, r.bodyEnd)) as Record<string, unknown>)['from']).toBe(2);
    expect(seen).toEqual(['first {"from":1}', 'second {"from":2}']);
    node.dht.onAnswer('find_node', () => {
      throw new Error('after boom');
    });
    expect((node.ask({ y: 'q', t: T, q: 'find_node', a: { id: id(1), target: id(2) } }, alice)[0] as KrpcError).e.code).toBe(202);
    expect(warnings[0]?.message).toMatch(/answer hook for 'find_node' threw/);
  });
  it("BEP 33's part of get_peers / announce_peer is declared on their entries: its flags checked with the shape (203), then run under the method's hooks", () => {
    let seen = 0;
    node.dht.onQuery('get_peers', () => void seen++);
    node.dht.onQuery('announce_peer', () => void seen++);
    const getPeers = (extra?: BencodeDict): KrpcMessage | KrpcDecodeFailure | undefined =>
      node.ask({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: id(9) }, ...(extra ? { extra } : {}) }, alice)[0];
    const announce = (token: Uint8Array, extra: BencodeDict): KrpcMessage | KrpcDecodeFailure | undefined =>
      node.ask({ y: 'q', t: T, q: 'announce_peer', a: { id: id(1), info_hash: id(9), token, port: 6881 }, extra }, alice)[0];
    // Flags that are not 0 or 1 are a protocol error, like a bad argument: no hook sees them.
    expect((getPeers({ scrape: 2 }) as KrpcError).e).toEqual({ code: 203, message: "argument 'scrape' must be 0 or 1" });
    expect((getPeers({ noseed: new Uint8Array([1]) }) as KrpcError).e).toEqual({ code: 203, message: "argument 'noseed' must be 0 or 1" });
    const token = (getPeers() as KrpcResponse).r.token!;
    expect((announce(token, { seed: 5 }) as KrpcError).e).toEqual({ code: 203, message: "argument 'seed' must be 0 or 1" });
    expect(seen).toBe(1);
    expect(announce(token, { seed: 1 })?.y).toBe('r');
    expect(seen).toBe(2);
    // A scrape=1 answer (the filters, BEP 33) passes the method's answer hooks like the rest: here they take the filters out.
    const extras: string[] = [];
    const off = node.dht.onAnswer('get_peers', (answer) => {
      if (!('response' in answer)) return undefined;
      extras.push(Object.keys(answer.extra ?? {}).sort().join(','));
      return { response: answer.response };
    });
    const bodyOf = (message: KrpcMessage | KrpcDecodeFailure | undefined): Record<string, unknown> => {
      const r = message as KrpcResponse;
      return core.decode(r.datagram.subarray(r.bodyStart, r.bodyEnd)) as Record<string, unknown>;
    };
    expect(bodyOf(getPeers({ scrape: 1 }))['BFsd']).toBeUndefined();
    expect(extras).toEqual(['BFpe,BFsd']);
    off();
    expect((bodyOf(getPeers({ scrape: 1 }))['BFsd'] as Uint8Array).length).toBe(256);
    expect(seen).toBe(4);
  });
});
