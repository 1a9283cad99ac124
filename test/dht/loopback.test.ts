/**
 * End to end over real UDP on loopback: 50 nodes, each on its own 127.0.0.x
 * address (port 0), bootstrapping off each other; one announces, another's
 * get_peers finds it. Bounded: short query timeouts, every wait capped.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { DHT } from '../../src/dht/dht.ts';
import { createUdpTransport } from '../../src/transport/detect.ts';

const NODES = 50;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The suite runs under Node and under Deno (npm run test:deno): the nodes below
// use the runtime's own UDP, with nothing configured.
it('picks this runtime\'s UDP transport', async () => {
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  expect((await createUdpTransport()).constructor.name).toBe(isDeno ? 'DenoUdpTransport' : 'NodeUdpTransport');
});

describe.each(backends)('loopback UDP swarm (%s core)', (backend) => {
  it(`${NODES} nodes: an announce is found by another node`, { timeout: 60_000 }, async () => {
    const core = await loadCore(backend);
    const swarm: DHT[] = [];
    const warnings: Error[] = [];
    try {
      const ready: Promise<void>[] = [];
      for (let i = 0; i < NODES; i++) {
        const known = [swarm[0], swarm[swarm.length - 1], swarm[Math.floor(swarm.length / 2)]]
          .filter((d): d is DHT => d !== undefined)
          .map((d) => `${d.address().host}:${d.address().port}`);
        const dht = new DHT({ host: `127.0.0.${i + 10}`, port: 0, bootstrap: [...new Set(known)], core, timeoutMs: 500 });
        dht.on('warning', (w) => warnings.push(w));
        ready.push(new Promise((resolve) => dht.once('ready', () => resolve())));
        await dht.start();
        expect(dht.address()).toMatchObject({ host: `127.0.0.${i + 10}`, family: 4 });
        swarm.push(dht);
      }
      await within(Promise.all(ready), 20_000, 'bootstrap');
      // Let the early nodes meet the late ones (what a bucket refresh would do in time).
      await within(Promise.all(swarm.map((d) => d.findNode(d.id))), 20_000, 'second pass');
      // Under load a node's lookups may all time out (500 ms) and leave it nearly alone; its upkeep would
      // look up its id again on its next tick, a minute away. Those passes here, a bounded number.
      const short = (): DHT[] => swarm.filter((d) => d.stats().nodes < 4);
      for (let pass = 0; pass < 5 && short().length > 0; pass++) {
        await within(Promise.all(short().map((d) => d.findNode(d.id))), 20_000, `pass ${pass + 3}`);
      }
      const sizes = swarm.map((d) => d.stats().nodes);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(4);

      const infohash = core.sha1(new TextEncoder().encode(`loopback ${backend}`));
      const announcer = swarm[13]!;
      const seeker = swarm[41]!;
      const accepted = await within(announcer.announcePeer(infohash, 6999), 20_000, 'announce');
      expect(accepted).toBeGreaterThanOrEqual(3);
      const peers = await within(seeker.getPeers(infohash, { signal: AbortSignal.timeout(15_000) }), 20_000, 'get_peers');
      expect(peers).toContainEqual({ host: announcer.address().host, port: 6999 });
      const stats = seeker.stats();
      expect(stats.queriesOut.get_peers).toBeGreaterThan(0);
      expect(stats.responsesIn.get_peers).toBeGreaterThan(0);
      expect(warnings.filter((w) => !/no node answered/.test(w.message))).toEqual([]);
    } finally {
      await Promise.all(swarm.map((d) => d.stop()));
    }
  });
});
