/**
 * Fuzzing the whole receive path in-process: 10^6 datagrams per backend —
 * mutations of the committed seed corpus (test/fuzz-corpus/) and random bytes —
 * through transport → size check → rate limit → decode → dispatch → handlers →
 * encode → transport, on a running node whose clock moves (timeouts, upkeep
 * ticks, refresh lookups all happen). One datagram in six answers one of the
 * node's own outstanding queries (its transaction id, from the address it was
 * sent to), so responses reach transactions, lookups and BEP 42 voting too.
 *
 * Asserted: nothing escapes the socket handler, nothing is caught as an
 * internal error, no warning, every table within its cap, heap growth under
 * HEAP_BOUND_MB, and the node still answers a ping.
 *
 * Seeded: the seed is printed; FUZZ_SEED=<n> replays a run. FUZZ_DATAGRAMS
 * shrinks it while developing.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { Prng, fuzzSeed, loadCorpus, mutate, withTransaction } from '../helpers/fuzz.ts';
import { heapBytes } from '../helpers/memory.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { DatagramHandler, Transport } from '../../src/transport/types.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { ManualClock } from './helpers.ts';

const DATAGRAMS = Number(process.env['FUZZ_DATAGRAMS'] ?? 1_000_000);
/** Heap (JS heap + external, wasm memory included) the node may grow by over the run, whatever it was sent. */
const HEAP_BOUND_MB = 32;

/** A transport that counts what the node sends and remembers its latest queries (to answer them). */
class SinkTransport implements Transport {
  sent = 0;
  /** The node's latest queries: transaction id and destination (a ring of 64). */
  readonly queries: { t: Uint8Array; to: Endpoint }[] = [];
  #ring = 0;
  /** Answers to `watch` are kept here. */
  watch: Endpoint | undefined;
  watched: Uint8Array[] = [];
  #handler: DatagramHandler | undefined;
  onError?: (error: Error) => void;

  constructor(
    private readonly core: Core,
    readonly local: Endpoint,
  ) {}

  listen(handler: DatagramHandler): Promise<Endpoint> {
    this.#handler = handler;
    return Promise.resolve(this.local);
  }

  send(data: Uint8Array, to: Endpoint): void {
    this.sent++;
    if (this.watch && to.host === this.watch.host && to.port === this.watch.port) this.watched.push(data.slice());
    // Our queries end with "1:y1:qe" (keys are sorted, y is last).
    const n = data.length;
    if (n > 7 && data[n - 1] === 0x65 && data[n - 2] === 0x71 && data[n - 3] === 0x3a && data[n - 4] === 0x31 && data[n - 5] === 0x79) {
      const message = this.core.decodeKrpc(data);
      if (message.y === 'q') {
        const entry = { t: message.t.slice(), to };
        if (this.queries.length < 64) this.queries.push(entry);
        else this.queries[this.#ring++ % 64] = entry;
      }
    }
  }

  deliver(data: Uint8Array, from: Endpoint): void {
    this.#handler!(data, from);
  }

  close(): Promise<void> {
    this.#handler = undefined;
    return Promise.resolve();
  }
}

/** Source addresses: public ones (BEP 42 applies) and local ones (exempt), a few ports each. */
function sources(prng: Prng, count: number): Endpoint[] {
  const out: Endpoint[] = [];
  for (let i = 0; i < count; i++) {
    const host = i % 4 === 0 ? `10.${prng.int(256)}.${prng.int(256)}.${1 + prng.int(254)}` : `${1 + prng.int(223)}.${prng.int(256)}.${prng.int(256)}.${1 + prng.int(254)}`;
    out.push({ host, port: 1024 + prng.int(64_000), family: 4 });
  }
  return out;
}

describe.each(backends)('fuzzing the receive path in-process (%s core)', (backend) => {
  it(`${DATAGRAMS} random and mutated datagrams: nothing escapes, the node still answers, memory stays bounded`, { timeout: 300_000 }, async () => {
    const seed = fuzzSeed();
    console.log(`[${backend}] in-process fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const prng = new Prng(seed);
    const core = await loadCore(backend);
    const corpus = loadCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    const responses = corpus.filter((entry) => entry.name.startsWith('response-'));
    // Mutants of valid datagrams reach the handlers more often than mutants of tricky ones: 3 in 4 start valid.
    const valid = corpus.filter((entry) => !entry.name.startsWith('tricky-'));
    const tricky = corpus.filter((entry) => entry.name.startsWith('tricky-'));
    const clock = new ManualClock();
    const transport = new SinkTransport(core, { host: '203.0.113.50', port: 6881, family: 4 });
    const dht = new DHT({ core, transport, clock, random: seededRandom(seed), bootstrap: [] });
    const warnings: Error[] = [];
    dht.on('warning', (warning) => warnings.push(warning));
    let idChanges = 0;
    dht.on('id', () => idChanges++);
    await dht.start();
    await clock.advance(1);
    const pool = sources(prng, 2_000);

    const before = heapBytes();
    let escaped = 0;
    let answers = 0;
    for (let i = 0; i < DATAGRAMS; i++) {
      let data: Uint8Array | undefined;
      let from: Endpoint;
      if (prng.int(6) === 0 && transport.queries.length > 0) {
        // Answer one of the node's queries, maybe garbled.
        const query = prng.pick(transport.queries);
        const base = withTransaction(prng.pick(responses).bytes, query.t)!;
        data = prng.int(2) === 0 ? base : mutate(base, prng.pick(corpus).bytes, prng);
        from = query.to;
        answers++;
      } else {
        const base = prng.pick(prng.int(4) === 0 ? tricky : valid).bytes;
        data = prng.int(20) === 0 ? base : mutate(base, prng.pick(corpus).bytes, prng);
        from = prng.pick(pool);
      }
      try {
        transport.deliver(data, from);
      } catch {
        escaped++;
      }
      // 50 ms of virtual time per 100 datagrams: timeouts fire, upkeep ticks, lookups run.
      if (i % 100 === 99) await clock.advance(50);
    }
    await clock.advance(10_000);
    const after = heapBytes();
    const growthMb = (after - before) / 2 ** 20;

    // Still answering: a clean ping from a fresh address.
    const probe: Endpoint = { host: '192.0.2.200', port: 4242, family: 4 };
    transport.watch = probe;
    transport.deliver(core.encodeKrpc({ y: 'q', t: Uint8Array.of(9, 9), q: 'ping', a: { id: new Uint8Array(20).fill(3) } }), probe);
    const pong = transport.watched.map((bytes) => core.decodeKrpc(bytes)).find((message) => message.y === 'r');

    const stats = dht.stats();
    console.log(
      `[${backend}] ${DATAGRAMS} datagrams (${answers} aimed at our ${stats.queriesOut.total} queries), ` +
        `${stats.datagramsOut} sent back; queries in ${stats.queriesIn.total}, responses matched ${stats.responsesIn.total}, ` +
        `errors out ${stats.errorsOut.total}, drops ${JSON.stringify(stats.drops)}; table ${stats.nodes} nodes, ` +
        `id changes ${idChanges}; heap growth ${growthMb.toFixed(1)} MB (bound ${HEAP_BOUND_MB} MB)`,
    );
    expect(escaped).toBe(0);
    expect(stats.drops['internal'] ?? 0).toBe(0);
    expect(warnings.map((w) => w.message)).toEqual([]);
    expect(stats.datagramsIn).toBe(DATAGRAMS + 1); // and the probe
    // The run reached every layer: answers, 203s, matched responses, decode drops.
    expect(stats.queriesIn.total).toBeGreaterThan(DATAGRAMS / 25);
    expect(stats.errorsOut['203'] ?? 0).toBeGreaterThan(0);
    expect(stats.responsesIn.total).toBeGreaterThan(0);
    for (const [name, table] of Object.entries(stats.tables)) {
      expect(table.size, name).toBeLessThanOrEqual(table.cap);
    }
    expect(pong?.y).toBe('r');
    expect(growthMb).toBeLessThan(HEAP_BOUND_MB);
    await dht.stop();
  });
});
