/**
 * BEP 32 over real UDP on [::1] (Node's and Deno's own sockets): two IPv6-only
 * nodes find each other and a peer; a dual-stack node binds 127.0.0.1 and ::1
 * on one port and answers on both. Bounded: short timeouts, every wait capped.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { DHT } from '../../src/dht/dht.ts';
import { toHex } from '../../src/util/hex.ts';

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const INFOHASH = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describe.each(backends)('IPv6 over real UDP on [::1] (%s core)', (backend) => {
  it('two IPv6-only nodes find each other and a peer', { timeout: 30_000 }, async () => {
    const core = await loadCore(backend);
    const a = new DHT({ host: '::1', port: 0, bootstrap: [], core, timeoutMs: 500 });
    await a.start();
    const b = new DHT({ host: '::1', port: 0, bootstrap: [`[::1]:${a.address().port}`], core, timeoutMs: 500 });
    try {
      expect(a.addresses()).toEqual([{ host: '::1', port: a.address().port, family: 6 }]);
      const ready = new Promise<void>((resolve) => b.once('ready', () => resolve()));
      await b.start();
      await within(ready, 10_000, 'bootstrap');
      expect(b.nodes().map((n) => `${n.host}|${n.port}`)).toEqual([`::1|${a.address().port}`]);
      expect(await within(b.findNode(a.id), 10_000, 'findNode')).toContainEqual(expect.objectContaining({ host: '::1', port: a.address().port }));
      // a knows b once b answered a ping (b queried a during its bootstrap).
      expect(await within(a.addNode(`[::1]:${b.address().port}`), 5_000, 'addNode')).toBe(true);
      expect(await within(a.announcePeer(INFOHASH, 51413), 10_000, 'announce')).toBeGreaterThanOrEqual(1);
      const peers = await within(b.getPeers(INFOHASH), 10_000, 'getPeers');
      expect(peers).toContainEqual({ host: '::1', port: 51413 });
      expect(a.stats().families).toMatchObject([{ family: 6, nodes: 1 }]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('a dual-stack node on 127.0.0.1 and ::1 answers in both DHTs under one id', { timeout: 30_000 }, async () => {
    const core = await loadCore(backend);
    const dual = new DHT({ host: '127.0.0.1', host6: '::1', port: 0, bootstrap: [], core, timeoutMs: 500 });
    await dual.start();
    const [v4, v6] = dual.addresses();
    const four = new DHT({ host: '127.0.0.1', port: 0, bootstrap: [`127.0.0.1:${v4!.port}`], core, timeoutMs: 500 });
    const six = new DHT({ host: '::1', port: 0, bootstrap: [`[::1]:${v6!.port}`], core, timeoutMs: 500 });
    try {
      expect(v4).toMatchObject({ host: '127.0.0.1', family: 4 });
      expect(v6).toMatchObject({ host: '::1', family: 6 });
      // The same port for both families when it is free (it is, on loopback here).
      expect(v6!.port).toBe(v4!.port);
      await Promise.all([four.start(), six.start()]);
      const viaFour = await within(four.ping(`127.0.0.1:${v4!.port}`), 5_000, 'ping v4');
      const viaSix = await within(six.ping(`[::1]:${v6!.port}`), 5_000, 'ping v6');
      expect(toHex(viaFour.id)).toBe(dual.idHex);
      expect(toHex(viaSix.id)).toBe(dual.idHex);
      // Both reach the dual node's tables of their own family.
      await within(Promise.all([four.findNode(four.id), six.findNode(six.id)]), 10_000, 'lookups');
      expect(dual.stats().families.map((f) => [f.family, f.nodes])).toEqual([
        [4, 1],
        [6, 1],
      ]);
      const r = await within(four.query(`127.0.0.1:${v4!.port}`, 'find_node', { target: dual.id, want: ['n4', 'n6'] }), 5_000, 'want');
      expect(r.r.nodes!.length).toBe(26);
      expect(r.r.nodes6!.length).toBe(38);
    } finally {
      await Promise.all([dual.stop(), four.stop(), six.stop()]);
    }
  });
});
