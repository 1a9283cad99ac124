/** The DHT class on a small simulated network: lifecycle, public methods, bootstrap, saved state. */
import { describe, expect, it, afterEach } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { toHex } from '../../src/util/hex.ts';
import { parseState, serializeState } from '../../src/dht/state.ts';

interface Swarm {
  net: SimulatedNetwork;
  nodes: DHT[];
  add(options?: DHTOptions, host?: string): Promise<DHT>;
  until(predicate: () => boolean, ms?: number): Promise<boolean>;
  settle<T>(promise: Promise<T>, ms?: number): Promise<T>;
}

const live: DHT[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((d) => d.stop()));
});

function swarm(core: Core, loss = 0): Swarm {
  const net = new SimulatedNetwork({ seed: 3, loss, latencyMs: [5, 20] });
  let seed = 100;
  const s: Swarm = {
    net,
    nodes: [],
    async add(options = {}, host) {
      const bootstrap = s.nodes.slice(0, 3).map((d) => `${d.address().host}:${d.address().port}`);
      const dht = new DHT({ core, transport: net.createTransport(host), clock: net.clock, random: seededRandom(seed++), bootstrap, ...options });
      live.push(dht);
      let ready = false;
      dht.once('ready', () => (ready = true));
      await dht.start();
      await net.runUntil(() => ready, { timeoutMs: 60_000 });
      s.nodes.push(dht);
      return dht;
    },
    until: (predicate, ms = 60_000) => net.runUntil(predicate, { timeoutMs: ms }),
    async settle(promise, ms = 60_000) {
      let done = false;
      let value: unknown;
      let failure: unknown;
      promise.then(
        (v) => ((value = v), (done = true)),
        (e: unknown) => ((failure = e), (done = true)),
      );
      await net.runUntil(() => done, { timeoutMs: ms });
      if (!done) throw new Error('did not settle');
      if (failure !== undefined) throw failure;
      return value as Awaited<typeof promise>;
    },
  };
  return s;
}

async function grow(s: Swarm, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await s.add();
  await s.settle(Promise.all(s.nodes.map((d) => d.findNode(d.id))));
}

describe.each(backends)('DHT node (%s core)', (backend) => {
  it('a standalone node is ready at once; methods need start(); stop is idempotent', async () => {
    const core = await loadCore(backend);
    const s = swarm(core);
    const dht = new DHT({ core, transport: s.net.createTransport(), clock: s.net.clock, bootstrap: [] });
    expect(() => dht.address()).toThrow(/start/);
    await expect(dht.ping('127.0.0.1:1')).rejects.toThrow(/start/);
    let ready = false;
    dht.on('ready', () => (ready = true));
    await dht.start();
    await expect(dht.start()).rejects.toThrow(/once/);
    expect(await s.until(() => ready, 1000)).toBe(true);
    expect(dht.idHex).toBe(toHex(dht.id));
    await dht.stop();
    await dht.stop();
    expect(dht.stats().nodes).toBe(0);
  });

  it('announcePeer / getPeers / peers(): an announce is found, limits and iteration work', async () => {
    const core = await loadCore(backend);
    const s = swarm(core);
    await grow(s, 30);
    const infohash = core.sha1(new TextEncoder().encode('node test'));
    const [a, b, c] = [s.nodes[3]!, s.nodes[17]!, s.nodes[25]!];
    const found: string[] = [];
    c.on('peer', ({ peer }) => found.push(`${peer.host}:${peer.port}`));
    expect(await s.settle(a.announcePeer(infohash, 7001))).toBeGreaterThanOrEqual(4);
    expect(await s.settle(b.announcePeer(toHex(infohash)))).toBeGreaterThanOrEqual(4); // implied port: its DHT port
    const peers = await s.settle(c.getPeers(infohash));
    expect(peers).toEqual(expect.arrayContaining([
      { host: a.address().host, port: 7001 },
      { host: b.address().host, port: b.address().port },
    ]));
    expect(new Set(found).size).toBe(peers.length);
    expect(await s.settle(c.getPeers(infohash, { limit: 1 }))).toHaveLength(1);
    const streamed: string[] = [];
    await s.settle((async () => {
      for await (const peer of c.peers(infohash)) streamed.push(`${peer.host}:${peer.port}`);
    })());
    expect(streamed.sort()).toEqual(peers.map((p) => `${p.host}:${p.port}`).sort());
    // Breaking out stops the lookup.
    await s.settle((async () => {
      for await (const _ of c.peers(infohash)) break;
    })());
    const aborted = await s.settle(c.getPeers(infohash, { signal: AbortSignal.abort() }));
    expect(aborted).toEqual([]);
    expect(c.stats().infohashesStored + a.stats().infohashesStored).toBeGreaterThanOrEqual(0);
  });

  it('ping, addNode, findNode and query', async () => {
    const core = await loadCore(backend);
    const s = swarm(core);
    await grow(s, 12);
    const [a, b] = [s.nodes[0]!, s.nodes[11]!];
    const pong = await s.settle(a.ping(`${b.address().host}:${b.address().port}`));
    expect(pong.id).toEqual(b.id);
    expect(pong.rtt).toBeGreaterThan(0);
    await expect(s.settle(a.ping('127.9.9.9:6881'))).rejects.toMatchObject({ name: 'QueryFailedError', reason: 'timeout' });
    await expect(a.ping('localhost:1')).rejects.toThrow(/numeric/);
    const fresh = await s.add({ bootstrap: [] });
    expect(fresh.stats().nodes).toBe(0);
    expect(await s.settle(fresh.addNode(a.address()))).toBe(true);
    expect(fresh.stats().nodes).toBe(1);
    const nearest = await s.settle(fresh.findNode(b.id));
    expect(nearest[0]?.id).toEqual(b.id);
    expect(nearest.length).toBeLessThanOrEqual(8);
    await expect(s.settle(a.query(b.address(), 'no_such_method', {}))).rejects.toMatchObject({ name: 'KrpcRemoteError', code: 204 });
  });

  it('bootstrap: named routers go through the resolver and stay out of the table; failures only warn', async () => {
    const core = await loadCore(backend);
    const s = swarm(core);
    await grow(s, 10);
    const router = s.nodes[0]!;
    const asked: string[] = [];
    const warnings: string[] = [];
    const dht = new DHT({
      core,
      transport: s.net.createTransport(),
      clock: s.net.clock,
      bootstrap: ['router.test:6881', 'nowhere.test:6881'],
      resolve: async (host) => {
        asked.push(host);
        if (host === 'nowhere.test') throw new Error('NXDOMAIN');
        return [router.address().host, '::1'];
      },
    });
    live.push(dht);
    dht.on('warning', (w) => warnings.push(w.message));
    let ready = false;
    dht.once('ready', () => (ready = true));
    const routerPort = router.address().port;
    expect(routerPort).toBe(6881);
    await dht.start();
    expect(await s.until(() => ready)).toBe(true);
    expect(asked.sort()).toEqual(['nowhere.test', 'router.test']);
    expect(warnings.some((w) => /nowhere\.test.*NXDOMAIN/.test(w))).toBe(true);
    expect(dht.stats().nodes).toBeGreaterThanOrEqual(5);
    expect(dht.nodes().some((n) => n.host === router.address().host)).toBe(false);
  });

  it('a node whose bootstrap got no answer keeps trying on the maintenance tick', async () => {
    const core = await loadCore(backend);
    const s = swarm(core);
    const warnings: string[] = [];
    const lonely = new DHT({ core, transport: s.net.createTransport('127.5.0.1'), clock: s.net.clock, bootstrap: ['127.5.0.2:6881'] });
    live.push(lonely);
    lonely.on('warning', (w) => warnings.push(w.message));
    let ready = false;
    lonely.once('ready', () => (ready = true));
    await lonely.start();
    expect(await s.until(() => ready)).toBe(true);
    expect(warnings.some((w) => /no node answered/.test(w))).toBe(true);
    expect(lonely.stats().nodes).toBe(0);
    await s.add({ bootstrap: [] }, '127.5.0.2');
    expect(await s.until(() => lonely.stats().nodes > 0, 3 * 60_000)).toBe(true);
  });

  it('saves and restores its id and routing table (atomic write)', async () => {
    const core = await loadCore(backend);
    const dir = await mkdtemp(join(tmpdir(), 'btdht-state-'));
    try {
      const file = join(dir, 'dht.json');
      const s = swarm(core);
      await grow(s, 12);
      const first = await s.add({ stateFile: file });
      const size = first.stats().nodes;
      expect(size).toBeGreaterThan(5);
      await first.stop();
      expect(await readdir(dir)).toEqual(['dht.json']); // no temp file left behind
      const saved = JSON.parse(await readFile(file, 'utf8')) as { version: number; id: string; nodes: { id: string; address: string }[] };
      expect(saved.version).toBe(1);
      expect(saved.id).toBe(first.idHex);
      expect(saved.nodes).toHaveLength(size);
      expect(saved.nodes[0]!.address).toMatch(/^127\.\d+\.\d+\.\d+:\d+$/);

      // A new node with no bootstrap list rejoins through the saved nodes, under the saved id.
      const second = await s.add({ stateFile: file, bootstrap: [] });
      expect(second.idHex).toBe(first.idHex);
      expect(second.stats().nodes).toBeGreaterThan(5);
      await second.saveState();
      expect(parseState(await readFile(file, 'utf8')).id).toEqual(first.id);

      await second.stop();

      // A damaged state of ours is moved aside (never deleted) with a warning, and the node starts fresh.
      const damaged = '{"version": 1, "id": "zz"';
      await writeFile(file, damaged);
      const warnings: string[] = [];
      const third = new DHT({ core, transport: s.net.createTransport(), clock: s.net.clock, stateFile: file, bootstrap: [] });
      third.on('warning', (w) => warnings.push(w.message));
      await third.start();
      expect(warnings.some((w) => /state file .* moved aside to .*dht\.json\.corrupt-\d{8}T\d{6}Z/.test(w))).toBe(true);
      const aside = (await readdir(dir)).filter((name) => name.startsWith('dht.json.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(await readFile(join(dir, aside[0]!), 'utf8')).toBe(damaged);
      expect(third.idHex).not.toBe(first.idHex);
      await third.stop();
      expect(parseState(await readFile(file, 'utf8')).id).toEqual(third.id);

      // A file that is not ours is refused before binding, and left as it was.
      const foreign = JSON.stringify({ name: 'not-a-state', version: '0.1.0' });
      await writeFile(file, foreign);
      const fourth = new DHT({ core, transport: s.net.createTransport(), clock: s.net.clock, stateFile: file, bootstrap: [] });
      await expect(fourth.start()).rejects.toThrow(/is not a btdht state file/);
      expect(await readFile(file, 'utf8')).toBe(foreign);

      // A folder that does not exist is refused before binding.
      const nowhere = new DHT({ core, transport: s.net.createTransport(), clock: s.net.clock, stateFile: join(dir, 'none', 's.json'), bootstrap: [] });
      await expect(nowhere.start()).rejects.toThrow(/folder .*none does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('state JSON round-trips IPv4 and IPv6 nodes and skips bad entries', () => {
    const id = new Uint8Array(20).fill(7);
    const state = {
      id,
      nodes: [
        { id: new Uint8Array(20).fill(1), endpoint: { host: '10.0.0.1', port: 6881, family: 4 as const } },
        { id: new Uint8Array(20).fill(2), endpoint: { host: '2001:db8::1', port: 6882, family: 6 as const } },
      ],
    };
    const text = serializeState(state);
    expect(text).toContain('"[2001:db8::1]:6882"');
    expect(parseState(text)).toEqual(state);
    const json = JSON.parse(text) as { nodes: unknown[] };
    json.nodes.push({ id: 'nope', address: '1.2.3.4:5' }, { id: '11'.repeat(20), address: 'name:5' }, null);
    expect(parseState(JSON.stringify(json)).nodes).toHaveLength(2);
    expect(() => parseState('{"version": 2, "id": "00"}')).toThrow(/version/);
  });
});
