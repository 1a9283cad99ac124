/**
 * Fuzzing a running node over real loopback UDP: 10^5 mutated and random
 * datagrams from a socket on 127.0.7.2 into a node on 127.0.7.1, paced (at
 * most ~100 in flight, waiting for the node to read them) so the kernel's
 * receive buffer does not simply drop them. The sender also answers the
 * node's own queries (its routing pings) with mutated responses carrying their
 * transaction ids. The node's per-IP rate limit is off here, so every datagram
 * reaches the decoder (the flood suite covers the limit).
 *
 * Asserted: what arrived (counted by the node) is nearly all that was sent,
 * nothing escaped (no internal error, no warning), tables within their caps,
 * heap growth under HEAP_BOUND_MB, and a clean ping is answered afterwards.
 */
import { createSocket, type Socket } from 'node:dgram';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { Prng, fuzzSeed, loadCorpus, mutate, withTransaction } from '../helpers/fuzz.ts';
import { heapBytes } from '../helpers/memory.ts';
import { loadCore } from '../../src/core/index.ts';
import { DHT } from '../../src/dht/dht.ts';

const DATAGRAMS = Number(process.env['FUZZ_UDP_DATAGRAMS'] ?? 100_000);
const HEAP_BOUND_MB = 32;
/** Datagrams sent before waiting for the node to catch up. */
const BURST = 64;

function bind(host: string): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve(socket));
  });
}

describe.each(backends)('fuzzing a node over loopback UDP (%s core)', (backend) => {
  it(`${DATAGRAMS} datagrams into a running node: all read, nothing escapes, it still answers`, { timeout: 180_000 }, async () => {
    const seed = fuzzSeed();
    console.log(`[${backend}] UDP fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const prng = new Prng(seed);
    const core = await loadCore(backend);
    const corpus = loadCorpus();
    const valid = corpus.filter((entry) => !entry.name.startsWith('tricky-'));
    const responses = corpus.filter((entry) => entry.name.startsWith('response-'));
    const dht = new DHT({ host: '127.0.7.1', port: 0, bootstrap: [], core, maxQueriesPerIpPerSecond: 0 });
    const warnings: Error[] = [];
    dht.on('warning', (warning) => warnings.push(warning));
    await dht.start();
    const node = dht.address();
    const sender = await bind('127.0.7.2');
    const checker = await bind('127.0.7.3');
    try {
      // The node's queries to the sender (routing pings), to answer with their transaction ids.
      const queries: Uint8Array[] = [];
      let answersSeen = 0;
      sender.on('message', (data) => {
        answersSeen++;
        const message = core.decodeKrpc(data);
        if (message.y === 'q' && queries.length < 256) queries.push(message.t.slice());
      });

      const before = heapBytes();
      let sent = 0;
      while (sent < DATAGRAMS) {
        for (let j = 0; j < BURST && sent < DATAGRAMS; j++, sent++) {
          let data: Uint8Array;
          if (queries.length > 0 && prng.int(8) === 0) {
            const base = withTransaction(prng.pick(responses).bytes, queries.splice(prng.int(queries.length), 1)[0]!)!;
            data = prng.int(2) === 0 ? base : mutate(base, prng.pick(corpus).bytes, prng);
          } else {
            const base = prng.pick(prng.int(4) === 0 ? corpus : valid).bytes;
            data = prng.int(20) === 0 ? base : mutate(base, prng.pick(corpus).bytes, prng);
          }
          sender.send(data, node.port, node.host);
        }
        // Let the node read what is in flight (bounded wait: a lost datagram must not stall the run).
        const deadline = Date.now() + 250;
        while (dht.stats().datagramsIn < sent - BURST / 2 && Date.now() < deadline) await tick();
      }
      const deadline = Date.now() + 2_000;
      while (dht.stats().datagramsIn < sent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      const after = heapBytes();
      const growthMb = (after - before) / 2 ** 20;

      // A clean ping from another socket is answered.
      const pong = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 3_000);
        checker.on('message', (data) => {
          const message = core.decodeKrpc(data);
          if (message.y === 'r' && message.t[0] === 7) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      });
      checker.send(core.encodeKrpc({ y: 'q', t: Uint8Array.of(7, 7), q: 'ping', a: { id: new Uint8Array(20).fill(5) } }), node.port, node.host);
      expect(await pong).toBe(true);

      const stats = dht.stats();
      const arrived = stats.datagramsIn - 1; // without the checker's ping
      console.log(
        `[${backend}] UDP fuzz: ${sent} sent, ${arrived} arrived (${((arrived / sent) * 100).toFixed(2)}%), ` +
          `${answersSeen} datagrams back; queries answered ${stats.queriesIn.total}, responses matched ${stats.responsesIn.total}, ` +
          `203s ${stats.errorsOut['203'] ?? 0}, drops ${stats.drops.total}; heap growth ${growthMb.toFixed(1)} MB (bound ${HEAP_BOUND_MB} MB)`,
      );
      expect(arrived).toBeGreaterThanOrEqual(sent * 0.95);
      expect(arrived).toBeLessThanOrEqual(sent);
      expect(stats.drops['internal'] ?? 0).toBe(0);
      expect(warnings.map((w) => w.message)).toEqual([]);
      expect(stats.queriesIn.total).toBeGreaterThan(0);
      expect(stats.errorsOut['203'] ?? 0).toBeGreaterThan(0);
      for (const [name, table] of Object.entries(stats.tables)) expect(table.size, name).toBeLessThanOrEqual(table.cap);
      expect(growthMb).toBeLessThan(HEAP_BOUND_MB);
    } finally {
      sender.close();
      checker.close();
      await dht.stop();
    }
  });
});
