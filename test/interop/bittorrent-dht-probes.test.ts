/**
 * Probes behind docs/INTEROP.md: single hand-made datagrams sent to a
 * bittorrent-dht 11.0.12 node and to ours, on loopback. Each case pins one
 * observed difference between their behaviour and BEP 5, and what we do
 * instead. Silence is told apart from a dead node by a ping afterwards.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import bencode from 'bencode';
import BtDHT from 'bittorrent-dht';
import { DHT, QueryFailedError, loadCore } from '../../src/index.ts';
import { backends } from '../helpers/backends.ts';
import type { Decoded } from './helpers.ts';
import { RawKrpc, bytes, compactNodes, dict, krpcQuery, startTheirs, stopTheirs, text, waitFor, within } from './helpers.ts';

const SILENCE_MS = 300;
const ID = Buffer.alloc(20, 0x37);

type At = { host: string; port: number };

function errorCode(answer: Decoded | undefined): number | undefined {
  if (text(answer?.['y']) !== 'e') return undefined;
  const e = answer?.['e'];
  return Array.isArray(e) && typeof e[0] === 'number' ? e[0] : undefined;
}

function isResponse(answer: Decoded | undefined): boolean {
  return text(answer?.['y']) === 'r' && dict(answer?.['r']) !== undefined;
}

/** The 6-byte compact peer for host:port. */
function compactPeer(host: string, port: number): string {
  return Buffer.from([...host.split('.').map(Number), port >> 8, port & 0xff]).toString('hex');
}

async function alive(raw: RawKrpc, at: At): Promise<boolean> {
  return isResponse(await raw.ask(krpcQuery('ping', { id: ID }, 'zz'), at, 1_000));
}

describe.each(backends)('bittorrent-dht 11 vs BEP 5, against our node (%s core)', (backend) => {
  let theirs: BtDHT;
  let ours: DHT;
  let raw: RawKrpc;
  /** Same IP as `raw`, another port. */
  let raw2: RawKrpc;
  let them: At;
  let us: At;

  beforeAll(async () => {
    theirs = await startTheirs('127.0.3.1', { bootstrap: false });
    them = { host: '127.0.3.1', port: theirs.address().port };
    // Probes send bursts from one IP: no rate limit here.
    ours = new DHT({ host: '127.0.3.2', port: 0, bootstrap: [], core: await loadCore(backend), timeoutMs: 500, maxQueriesPerIpPerSecond: 0 });
    await ours.start();
    us = { host: '127.0.3.2', port: ours.address().port };
    raw = await RawKrpc.open('127.0.3.3');
    raw2 = await RawKrpc.open('127.0.3.3');
  });

  afterAll(async () => {
    await raw.close();
    await raw2.close();
    await ours.stop();
    await stopTheirs(theirs);
  });

  it('unknown method: they stay silent, we answer 204', async () => {
    const query = krpcQuery('frobnicate', { id: ID });
    expect(await raw.ask(query, them, SILENCE_MS)).toBeUndefined();
    expect(await alive(raw, them)).toBe(true);
    expect(errorCode(await raw.ask(query, us))).toBe(204);
  });

  it('unknown method naming a target: they stay silent, we answer like find_node', async () => {
    const query = krpcQuery('frobnicate', { id: ID, target: Buffer.alloc(20, 1) });
    expect(await raw.ask(query, them, SILENCE_MS)).toBeUndefined();
    const answer = await raw.ask(query, us);
    expect(isResponse(answer)).toBe(true);
    expect(bytes(dict(answer!['r'])!['nodes'])).toBeDefined();
  });

  it('query without `a`: they stay silent, we answer 203', async () => {
    const query = bencode.encode({ t: 'ab', y: 'q', q: 'ping' });
    expect(await raw.ask(query, them, SILENCE_MS)).toBeUndefined();
    expect(await alive(raw, them)).toBe(true);
    expect(errorCode(await raw.ask(query, us))).toBe(203);
  });

  it('unknown message type `y`: they stay silent, we answer 203', async () => {
    const query = bencode.encode({ t: 'ab', y: 'x', a: { id: ID } });
    expect(await raw.ask(query, them, SILENCE_MS)).toBeUndefined();
    expect(errorCode(await raw.ask(query, us))).toBe(203);
  });

  it('query without `t`: they answer with no `t` either, we drop it', async () => {
    const query = bencode.encode({ y: 'q', q: 'ping', a: { id: ID } });
    const answer = await raw.ask(query, them);
    expect(isResponse(answer)).toBe(true);
    expect(answer!['t']).toBeUndefined();
    expect(await raw.ask(query, us, SILENCE_MS)).toBeUndefined();
  });

  it('missing or short `id`: they answer the ping, we answer 203', async () => {
    for (const args of [{}, { id: Buffer.alloc(5) }]) {
      const query = krpcQuery('ping', args);
      expect(isResponse(await raw.ask(query, them))).toBe(true);
      expect(errorCode(await raw.ask(query, us))).toBe(203);
    }
  });

  it('`target` / `info_hash` of the wrong length: they answer, we answer 203', async () => {
    for (const query of [
      krpcQuery('find_node', { id: ID, target: Buffer.alloc(5) }),
      krpcQuery('get_peers', { id: ID, info_hash: Buffer.alloc(5) }),
    ]) {
      expect(isResponse(await raw.ask(query, them))).toBe(true);
      expect(errorCode(await raw.ask(query, us))).toBe(203);
    }
  });

  it('missing arguments: both answer 203 for find_node / get_peers; announce_peer without token gets silence from them', async () => {
    for (const query of [krpcQuery('find_node', { id: ID }), krpcQuery('get_peers', { id: ID })]) {
      expect(errorCode(await raw.ask(query, them))).toBe(203);
      expect(errorCode(await raw.ask(query, us))).toBe(203);
    }
    const noToken = krpcQuery('announce_peer', { id: ID, info_hash: Buffer.alloc(20), port: 6881 });
    expect(await raw.ask(noToken, them, SILENCE_MS)).toBeUndefined();
    expect(errorCode(await raw.ask(noToken, us))).toBe(203);
  });

  it('a datagram that is not bencode: both stay silent (no transaction id to answer)', async () => {
    expect(await raw.ask('not bencode at all', them, SILENCE_MS)).toBeUndefined();
    expect(await raw.ask('not bencode at all', us, SILENCE_MS)).toBeUndefined();
    expect(await alive(raw, them)).toBe(true);
  });

  it('their messages carry no `v` key; ours do', async () => {
    const theirs_ = await raw.ask(krpcQuery('ping', { id: ID }), them);
    expect(isResponse(theirs_)).toBe(true);
    expect(theirs_!['v']).toBeUndefined();
    const ours_ = await raw.ask(krpcQuery('ping', { id: ID }), us);
    expect(bytes(ours_!['v'])?.length).toBe(4);
  });

  it('their transaction ids count up by one; ours are random', async () => {
    const tids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const query = raw.next(them, 1_000, true);
      theirs.addNode({ host: raw.host, port: raw.port }); // no id: they ping it
      const data = await query;
      const message = dict(bencode.decode(data!))!;
      expect(text(message['q'])).toBe('ping');
      expect(message['v']).toBeUndefined();
      tids.push(Buffer.from(bytes(message['t'])!).toString('hex'));
    }
    const numbers = tids.map((t) => parseInt(t, 16));
    expect(numbers[1]).toBe(numbers[0]! + 1);
    expect(numbers[2]).toBe(numbers[1]! + 1);

    const ourTids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const query = raw.next(us, 1_000, true);
      void ours.ping(`${raw.host}:${raw.port}`).catch(() => undefined);
      const message = dict(bencode.decode((await query)!))!;
      ourTids.add(Buffer.from(bytes(message['t'])!).toString('hex'));
    }
    const ourNumbers = [...ourTids].map((t) => parseInt(t, 16));
    // Three random 16-bit ids in a row being consecutive has odds of 2^-32.
    expect(ourNumbers.length === 3 && ourNumbers[1] === ourNumbers[0]! + 1 && ourNumbers[2] === ourNumbers[1]! + 1).toBe(false);
  });

  it('they match an answer by transaction id and IP only (any port); we also check the port', async () => {
    const spoofId = Buffer.alloc(20, 0x5a);
    const node = new Promise<{ id: Buffer; port: number }>((resolve) => {
      const onNode = (n: { id: Buffer; port: number }): void => {
        if (n.id.equals(spoofId)) {
          theirs.off('node', onNode);
          resolve(n);
        }
      };
      theirs.on('node', onNode);
    });
    const query = raw.next(them, 1_000, true);
    theirs.addNode({ host: raw.host, port: raw.port });
    const ping = dict(bencode.decode((await query)!))!;
    // raw2 (same IP, another port) answers the ping sent to raw.
    raw2.send(bencode.encode({ t: ping['t'], y: 'r', r: { id: spoofId } }), them);
    const added = await within(node, 2_000, 'their node event');
    expect(added.port).toBe(raw2.port);

    const ourQuery = raw.next(us, 1_000, true);
    const outcome = ours.ping(`${raw.host}:${raw.port}`);
    const ourPing = dict(bencode.decode((await ourQuery)!))!;
    raw2.send(bencode.encode({ t: ourPing['t'], y: 'r', r: { id: spoofId } }), us);
    await expect(outcome).rejects.toBeInstanceOf(QueryFailedError);
    expect(ours.nodes().some((n) => Buffer.from(n.id).equals(spoofId))).toBe(false);
  });

  it('a node that only queried them enters their table (and their answers) unverified; not ours', async () => {
    const silentId = Buffer.alloc(20, 0x11);
    await raw.ask(krpcQuery('ping', { id: silentId }), them);
    const answer = await raw2.ask(krpcQuery('find_node', { id: ID, target: silentId }), them);
    const listed = compactNodes(bytes(dict(answer!['r'])!['nodes'])!);
    expect(listed.some((n) => n.id.equals(silentId) && n.port === raw.port)).toBe(true);

    await raw.ask(krpcQuery('ping', { id: silentId }), us); // we ping raw back; it never answers
    const ourAnswer = await raw2.ask(krpcQuery('find_node', { id: ID, target: silentId }), us);
    const ourListed = compactNodes(bytes(dict(ourAnswer!['r'])!['nodes'])!);
    expect(ourListed.some((n) => n.id.equals(silentId))).toBe(false);
  });

  it('announce_peer: they ignore a bad port silently, store any info_hash length; we answer 203', async () => {
    const tokenOf = async (at: At): Promise<Buffer> => {
      const answer = await raw.ask(krpcQuery('get_peers', { id: ID, info_hash: Buffer.alloc(20, 2) }), at);
      return Buffer.from(bytes(dict(answer!['r'])!['token'])!);
    };
    for (const port of [0, 70_000]) {
      const bad = (token: Buffer): Uint8Array => krpcQuery('announce_peer', { id: ID, info_hash: Buffer.alloc(20, 2), port, token });
      expect(await raw.ask(bad(await tokenOf(them)), them, SILENCE_MS)).toBeUndefined();
      expect(errorCode(await raw.ask(bad(await tokenOf(us)), us))).toBe(203);
    }
    const short = (token: Buffer): Uint8Array => krpcQuery('announce_peer', { id: ID, info_hash: Buffer.alloc(7, 2), port: 6881, token });
    expect(isResponse(await raw.ask(short(await tokenOf(them)), them))).toBe(true);
    expect(errorCode(await raw.ask(short(await tokenOf(us)), us))).toBe(203);
  });

  it('implied_port: both store the UDP source port and ignore `port`', async () => {
    for (const at of [them, us]) {
      const infohash = Buffer.alloc(20, at === them ? 3 : 4);
      const first = await raw.ask(krpcQuery('get_peers', { id: ID, info_hash: infohash }), at);
      const token = Buffer.from(bytes(dict(first!['r'])!['token'])!);
      const announce = krpcQuery('announce_peer', { id: ID, info_hash: infohash, port: 1234, implied_port: 1, token });
      expect(isResponse(await raw.ask(announce, at))).toBe(true);
      const after = await raw.ask(krpcQuery('get_peers', { id: ID, info_hash: infohash }), at);
      const values = (dict(after!['r'])!['values'] as Uint8Array[]).map((v) => Buffer.from(v).toString('hex'));
      expect(values).toContain(compactPeer(raw.host, raw.port));
      expect(values).not.toContain(compactPeer(raw.host, 1234));
    }
  });

  it('tokens: theirs are 20 bytes, ours 8; both bound to the IP alone (BEP 5)', async () => {
    const infohash = Buffer.alloc(20, 5);
    for (const at of [them, us]) {
      const answer = await raw.ask(krpcQuery('get_peers', { id: ID, info_hash: infohash }), at);
      const token = Buffer.from(bytes(dict(answer!['r'])!['token'])!);
      expect(token.length).toBe(at === them ? 20 : 8);
      // Same IP, another source port.
      const reply = await raw2.ask(krpcQuery('announce_peer', { id: ID, info_hash: infohash, port: 4321, token }), at);
      expect(isResponse(reply)).toBe(true);
    }
  });

  it('get_peers with stored peers: they send every value and no nodes; we cap values and add nodes', async () => {
    const infohash = Buffer.alloc(20, 6);
    const count = 150;
    for (const at of [them, us]) {
      const first = await raw.ask(krpcQuery('get_peers', { id: ID, info_hash: infohash }), at);
      const token = Buffer.from(bytes(dict(first!['r'])!['token'])!);
      for (let i = 0; i < count; i++) {
        raw.send(krpcQuery('announce_peer', { id: ID, info_hash: infohash, port: 10_000 + i, token }, `p${i}`), at);
      }
      await waitFor(() => false, 300); // let the announces land
      const raw_ = await raw.askRaw(krpcQuery('get_peers', { id: ID, info_hash: infohash }, 'gp'), at);
      const r = dict(dict(bencode.decode(raw_!))!['r'])!;
      const values = r['values'] as Uint8Array[];
      if (at === them) {
        expect(values.length).toBe(count);
        expect(r['nodes']).toBeUndefined();
        expect(raw_!.length).toBeGreaterThan(1_200); // past what fits a 1280-byte IPv6 minimum MTU
      } else {
        expect(values.length).toBeLessThanOrEqual(100);
        expect(values.length).toBeGreaterThan(0);
        expect(r['nodes']).toBeDefined();
        expect(raw_!.length).toBeLessThan(1_200);
      }
    }
  });

  it('find_node: they answer with every node of their table, not the K = 8 nearest', async () => {
    for (let i = 0; i < 40; i++) {
      const id = Buffer.alloc(20);
      id.writeUInt32BE(i * 0x0600_0000 + 1, 0); // spread over the id space: buckets split
      theirs.addNode({ id, host: '127.0.3.200', port: 20_000 + i }); // nobody listens there
    }
    const answer = await raw.ask(krpcQuery('find_node', { id: ID, target: Buffer.alloc(20, 0x99) }), them);
    const listed = compactNodes(bytes(dict(answer!['r'])!['nodes'])!);
    expect(listed.length).toBeGreaterThan(20);
    expect(listed.length).toBe(theirs.nodes.count());
  });

  it('IPv4 only: they ignore want n6 and cannot listen on ::1; we can', async () => {
    const want = await raw.ask(krpcQuery('find_node', { id: ID, target: Buffer.alloc(20, 0x42), want: ['n4', 'n6'] }), them);
    expect(bytes(dict(want!['r'])!['nodes'])).toBeDefined();
    expect(dict(want!['r'])!['nodes6']).toBeUndefined();

    const v6 = new BtDHT({ bootstrap: false });
    const warning = new Promise<string | undefined>((resolve) => v6.once('warning', (e: NodeJS.ErrnoException) => resolve(e.code)));
    let listening = false;
    v6.listen(0, '::1', () => (listening = true));
    expect(await within(warning, 2_000, 'their ::1 bind')).toBe('EINVAL');
    expect(listening).toBe(false);
    await stopTheirs(v6);

    const ours6 = new DHT({ host: '::1', port: 0, bootstrap: [], core: await loadCore(backend) });
    await ours6.start();
    try {
      expect(ours6.address().family).toBe(6);
    } finally {
      await ours6.stop();
    }
  });
});

describe('bittorrent-dht 11: token lifetime', () => {
  it('accepts a token for one rotation of its secret (5 min), not two', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let theirs: BtDHT | undefined;
    const raw = await RawKrpc.open('127.0.3.5');
    try {
      theirs = await startTheirs('127.0.3.4', { bootstrap: false });
      const them = { host: '127.0.3.4', port: theirs.address().port };
      const infohash = Buffer.alloc(20, 8);
      const answer = await raw.ask(krpcQuery('get_peers', { id: ID, info_hash: infohash }), them);
      const token = Buffer.from(bytes(dict(answer!['r'])!['token'])!);
      const announce = krpcQuery('announce_peer', { id: ID, info_hash: infohash, port: 6881, token });
      vi.advanceTimersByTime(5 * 60_000 + 1);
      expect(isResponse(await raw.ask(announce, them))).toBe(true);
      vi.advanceTimersByTime(5 * 60_000);
      expect(errorCode(await raw.ask(announce, them))).toBe(203);
    } finally {
      await raw.close();
      if (theirs) await stopTheirs(theirs);
      vi.useRealTimers();
    }
  });
});

describe.each(backends)('bittorrent-dht 11: one datagram ends its process; ours answers 203 (%s core)', (backend) => {
  const fixture = fileURLToPath(new URL('./fixtures/their-node.mjs', import.meta.url));
  let ours: DHT;
  let raw: RawKrpc;

  beforeAll(async () => {
    ours = new DHT({ host: '127.0.3.7', port: 0, bootstrap: [], core: await loadCore(backend), timeoutMs: 500 });
    await ours.start();
    raw = await RawKrpc.open('127.0.3.8');
  });

  afterAll(async () => {
    await raw.close();
    await ours.stop();
  });

  /** Their node in a child process; resolves with its exit code (null: still alive after the probe). */
  async function hitTheirs(datagram: Uint8Array): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [fixture, '127.0.3.6'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const port = await within(new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))), 10_000, 'their child node');
      const at = { host: '127.0.3.6', port };
      expect(await alive(raw, at)).toBe(true);
      raw.send(datagram, at);
      const died = await Promise.race([exit, new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), 1_000))]);
      return { code: died === 'alive' ? null : died, stderr };
    } finally {
      child.stdin.end();
      child.kill();
      await within(exit, 5_000, 'their child exit');
    }
  }

  const cases: [string, Uint8Array, RegExp][] = [
    ['get_peers with an integer info_hash', krpcQuery('get_peers', { id: ID, info_hash: 5 }), /RangeError/],
    ['find_node with an integer target', krpcQuery('find_node', { id: ID, target: 5 }), /TypeError/],
    ['announce_peer with an integer token', krpcQuery('announce_peer', { id: ID, info_hash: Buffer.alloc(20), port: 6881, token: 5 }), /TypeError/],
  ];

  it.each(cases)('%s', async (_name, datagram, thrown) => {
    const { code, stderr } = await hitTheirs(datagram);
    expect(code).not.toBe(null);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(thrown);
    const us = { host: '127.0.3.7', port: ours.address().port };
    expect(errorCode(await raw.ask(datagram, us))).toBe(203);
    expect(await alive(raw, us)).toBe(true);
  });
});
