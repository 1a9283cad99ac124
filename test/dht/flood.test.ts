/**
 * A flood from 10,000 source addresses over loopback UDP. Client sockets are
 * bound across 127.1.0.0/16 (127.1.x.y), 250 at a time, closed after each
 * batch, so file descriptors stay bounded. Among the sources:
 *
 * - 8,980 ordinary ones send ping, find_node and get_peers, then announce_peer
 *   with the token they were given (the peer store fills past its caps);
 * - 1,000 flooders send 60 queries at once, three times their burst;
 * - 20 heavy flooders send 400 at once and must end up blocked.
 *
 * The node under test has small caps so they are reached: 20 queries/s per IP,
 * 2,000 tracked IPs, 500 peers (50 per infohash). Meanwhile an honest client
 * that knows only this node looks up peers announced in a small honest swarm
 * behind it. Sending is paced (≤ ~100 datagrams in flight) so what the kernel
 * delivers is what the node sees and counts.
 */
import { createSocket, type Socket } from 'node:dgram';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { QueryArgs } from '../../src/ground/messages.ts';
import { seededRandom } from '../../src/ground/random.ts';

const SOURCES = 10_000;
const BATCH = 250;
const RATE = 20;
const TRACKED_IPS = 2_000;
const MAX_PEERS = 500;
const MAX_PER_INFOHASH = 50;
const FLOOD = 60;
const HEAVY = 400;
const INFOHASHES = 100;

function bind(host: string): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve(socket));
  });
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The source's role by its index: heavy flooder, flooder, or ordinary. */
function role(index: number): 'heavy' | 'flood' | 'ordinary' {
  if (index % 500 === 7) return 'heavy';
  if (index % 10 === 3) return 'flood';
  return 'ordinary';
}

describe.each(backends)('a flood from 10,000 addresses (%s core)', (backend) => {
  it('stays within its caps, drops and blocks the flooders, and still serves an honest lookup', { timeout: 180_000 }, async () => {
    const core = await loadCore(backend);
    const target = new DHT({
      host: '127.0.8.1',
      port: 0,
      bootstrap: [],
      core,
      timeoutMs: 500,
      maxQueriesPerIpPerSecond: RATE,
      rateLimitTrackedIps: TRACKED_IPS,
      maxPeers: MAX_PEERS,
      maxPeersPerInfohash: MAX_PER_INFOHASH,
    });
    const honest: DHT[] = [];
    const sockets = new Set<Socket>();
    try {
      await target.start();
      const at = target.address();
      const targetAddress = `${at.host}:${at.port}`;
      // The honest swarm behind the target, and one announce in it.
      for (let i = 0; i < 12; i++) {
        const known = [targetAddress, ...honest.slice(-3).map((d) => `${d.address().host}:${d.address().port}`)];
        const dht = new DHT({ host: `127.0.8.${10 + i}`, port: 0, bootstrap: known, core, timeoutMs: 500 });
        const ready = new Promise<void>((resolve) => dht.once('ready', () => resolve()));
        await dht.start();
        await within(ready, 10_000, 'honest bootstrap');
        honest.push(dht);
      }
      await within(Promise.all(honest.map((d) => d.findNode(d.id))), 15_000, 'honest second pass');
      const wanted = core.sha1(new TextEncoder().encode(`flood ${backend}`));
      const announcer = honest[5]!;
      expect(await within(announcer.announcePeer(wanted, 7777), 15_000, 'honest announce')).toBeGreaterThan(0);
      const client = new DHT({ host: '127.0.8.50', port: 0, bootstrap: [targetAddress], core, timeoutMs: 500 });
      honest.push(client);
      const clientReady = new Promise<void>((resolve) => client.once('ready', () => resolve()));
      await client.start();
      await within(clientReady, 10_000, 'client bootstrap');

      const infohashes = Array.from({ length: INFOHASHES }, (_, i) => core.sha1(new TextEncoder().encode(`infohash ${i}`)));
      const random = seededRandom(99);
      const idOf = (index: number): Uint8Array => {
        const id = new Uint8Array(20);
        random(id);
        id[0] = index >> 8;
        id[1] = index & 0xff;
        return id;
      };
      let sent = 0;
      const answered = { ordinary: 0, expected: 0 };
      const pace = async (): Promise<void> => {
        const deadline = Date.now() + 250;
        while (target.stats().datagramsIn < sent - 48 && Date.now() < deadline) await tick();
      };
      const send = async (socket: Socket, t: number, q: string, a: QueryArgs): Promise<void> => {
        socket.send(core.encodeKrpc({ y: 'q', t: Uint8Array.of(t >> 8, t & 0xff), q, a }), at.port, at.host);
        if (++sent % 64 === 0) await pace();
      };

      let honestLookup: Promise<unknown> | undefined;
      for (let start = 0; start < SOURCES; start += BATCH) {
        const batch: Socket[] = [];
        const before = { ordinary: answered.ordinary, expected: answered.expected };
        for (let index = start; index < start + BATCH; index++) {
          const socket = await bind(`127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`);
          sockets.add(socket);
          batch.push(socket);
          const id = idOf(index);
          const kind = role(index);
          socket.on('message', (data) => {
            const message = core.decodeKrpc(data);
            if (message.y !== 'r' || kind !== 'ordinary') return;
            answered.ordinary++;
            // The answer to our get_peers (t = 2) carries a token: announce with it.
            if (message.t[1] === 2 && message.r.token) {
              const infohash = infohashes[index % 3 === 0 ? 0 : index % INFOHASHES]!;
              socket.send(
                core.encodeKrpc({ y: 'q', t: Uint8Array.of(0, 3), q: 'announce_peer', a: { id, info_hash: infohash, port: 1000 + (index % 60_000), token: message.r.token.slice() } }),
                at.port,
                at.host,
              );
              sent++;
            }
          });
        }
        for (let i = 0; i < batch.length; i++) {
          const index = start + i;
          const socket = batch[i]!;
          const id = idOf(index);
          const kind = role(index);
          if (kind === 'ordinary') {
            answered.expected += 4;
            await send(socket, 0, 'ping', { id });
            await send(socket, 1, 'find_node', { id, target: idOf(index + 1) });
            await send(socket, 2, 'get_peers', { id, info_hash: infohashes[index % INFOHASHES]! });
          } else {
            for (let n = 0; n < (kind === 'heavy' ? HEAVY : FLOOD); n++) await send(socket, 100 + n, 'find_node', { id, target: id });
          }
        }
        await pace();
        // Let the answers (and the announces they trigger) come back, then close the batch: wait for this
        // batch's answers (bounded), not a fixed time — under load a fixed 40 ms closed sockets before answers
        // the node had sent were read, and those were counted as not served.
        const settled = Date.now() + 1_000;
        do {
          await new Promise((resolve) => setTimeout(resolve, 10));
          await pace();
        } while (answered.ordinary - before.ordinary < answered.expected - before.expected && Date.now() < settled);
        for (const socket of batch) {
          socket.close();
          sockets.delete(socket);
        }
        // Mid-flood, the honest client looks up the announced peer through the target.
        if (start === 10 * BATCH) honestLookup = client.getPeers(wanted, { signal: AbortSignal.timeout(20_000) });
      }
      const found = (await within(honestLookup!, 25_000, 'honest lookup during the flood')) as { host: string; port: number }[];
      const after = await within(client.getPeers(wanted, { signal: AbortSignal.timeout(15_000) }), 20_000, 'honest lookup after the flood');

      const stats = target.stats();
      const flooders = Array.from({ length: SOURCES }, (_, i) => role(i)).filter((r) => r === 'flood').length;
      const heavy = Array.from({ length: SOURCES }, (_, i) => role(i)).filter((r) => r === 'heavy').length;
      console.log(
        `[${backend}] flood: ${sent} datagrams from ${SOURCES} addresses, ${stats.datagramsIn} read; ` +
          `drops rate ${stats.drops['rate'] ?? 0}, blocked ${stats.drops['blocked'] ?? 0}; ${stats.blocks} sources blocked; ` +
          `ordinary sources answered ${answered.ordinary}/${answered.expected}; tables ${JSON.stringify(stats.tables)}; ` +
          `honest lookup found ${found.length} peer(s) during, ${after.length} after`,
      );
      // Memory: every table within its cap; the capped ones reached it.
      for (const [name, table] of Object.entries(stats.tables)) expect(table.size, name).toBeLessThanOrEqual(table.cap);
      expect(stats.tables.rateLimitedIps).toEqual({ size: TRACKED_IPS, cap: TRACKED_IPS });
      expect(stats.tables.peers).toEqual({ size: MAX_PEERS, cap: MAX_PEERS });
      expect(stats.peersStored).toBe(MAX_PEERS);
      // The popular infohash holds at most its per-infohash cap.
      const asker = await bind('127.0.8.60');
      sockets.add(asker);
      const values = await within(
        new Promise<number>((resolve) => {
          asker.on('message', (data) => {
            const message = core.decodeKrpc(data);
            if (message.y === 'r') resolve(message.r.values?.length ?? 0);
          });
          asker.send(core.encodeKrpc({ y: 'q', t: Uint8Array.of(1, 1), q: 'get_peers', a: { id: idOf(77_777), info_hash: infohashes[0]! } }), at.port, at.host);
        }),
        3_000,
        'get_peers of the popular infohash',
      );
      expect(values).toBeGreaterThan(0);
      expect(values).toBeLessThanOrEqual(MAX_PER_INFOHASH);
      // Over-limit sources were dropped and counted; every heavy flooder was blocked; ordinary ones were served.
      expect(stats.drops['rate'] ?? 0).toBeGreaterThanOrEqual(0.9 * (flooders * (FLOOD - RATE) + heavy * RATE * 5));
      expect(stats.blocks).toBeGreaterThanOrEqual(heavy);
      expect(stats.drops['blocked'] ?? 0).toBeGreaterThan(0);
      expect(answered.ordinary).toBeGreaterThanOrEqual(0.98 * answered.expected);
      // The honest client's lookups through the flooded node succeeded.
      const expected = { host: announcer.address().host, port: 7777 };
      expect(found).toContainEqual(expected);
      expect(after).toContainEqual(expected);
    } finally {
      for (const socket of sockets) socket.close();
      await Promise.all([target, ...honest].map((d) => d.stop()));
    }
  });
});
