/**
 * `npm run bench:items`: BEP 44 put / get of immutable and mutable items.
 *
 * 1. Loopback networks of real UDP nodes, ours (200 nodes) and then
 *    bittorrent-dht 11.0.12's (a separate network of 200), one run each: for
 *    every operation, the queries the acting node sent and the wall time until
 *    it ended. A get always runs on a node other than the one that put.
 * 2. The in-memory SimulatedNetwork (virtual clock, our nodes only): the same
 *    four operations, queries sent and virtual time per operation.
 *
 * Every item is fresh (new value, new keypair), so a get never hits a local copy.
 *
 *   npm run bench:items -- [--nodes 200] [--ops 10] [--sim-nodes 1000] [--backend wasm|js] [--only btdht|bittorrent-dht|sim]
 */
import { randomBytes } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import BtDHT from 'bittorrent-dht';
import type { BtItem, BtPutOptions, BtVerify } from 'bittorrent-dht';
import { DHT, loadCore } from '../src/index.ts';
import { median, pick, startOurSwarm, startTheirSwarm, within } from './loopback-swarm.ts';
import type { Core } from '../src/core/types.ts';
import { generateKeypair, signWith } from '../src/dht/items/index.ts';
import { SimulatedNetwork } from '../src/transport/memory.ts';
import { seededRandom } from '../src/ground/random.ts';
import { randomBootstrap } from './sim-bootstrap.ts';

ed.hashes.sha512 ??= (message) => sha512(message);

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const NODES = Number(option('nodes', '200'));
const OPS = Number(option('ops', '10'));
const SIM_NODES = Number(option('sim-nodes', '1000'));
const BACKEND = option('backend', 'wasm') === 'js' ? 'js' : 'wasm';
const ONLY = option('only', '');
const BATCH = 25;
const KINDS = ['immutable put', 'immutable get', 'mutable put', 'mutable get'] as const;
type Kind = (typeof KINDS)[number];

interface Op {
  kind: Kind;
  messages: number;
  ms: number;
  ok: boolean;
}

interface Summary {
  network: string;
  time: 'wall' | 'virtual';
  setupMs: number;
  ops: Op[];
}

const verify: BtVerify = (signature, message, publicKey) => {
  try {
    return ed.verify(signature, message, publicKey);
  } catch {
    return false;
  }
};

function other<T>(list: readonly T[], not: T): T {
  for (;;) {
    const x = pick(list);
    if (x !== not) return x;
  }
}

const text = (value: unknown): string => Buffer.from(value as Uint8Array).toString('latin1');

/** The four operations on our nodes; `now` is wall or virtual time, `run` drives the network if needed. */
async function ourOps(nodes: DHT[], now: () => number, run: <T>(p: Promise<T>) => Promise<T>): Promise<Op[]> {
  const sent = (node: DHT): number => node.stats().queriesOut.total;
  const ops: Op[] = [];
  const measure = async <T>(kind: Kind, node: DHT, work: () => Promise<T>, ok: (result: T) => boolean): Promise<T> => {
    const before = sent(node);
    const t0 = now();
    const result = await run(work());
    ops.push({ kind, messages: sent(node) - before, ms: now() - t0, ok: ok(result) });
    return result;
  };
  for (let i = 0; i < OPS; i++) {
    const value = `bench-${randomBytes(8).toString('hex')}`;
    const writer = pick(nodes);
    const put = await measure('immutable put', writer, () => writer.putImmutable(value), (p) => p.accepted > 0);
    const reader = other(nodes, writer);
    await measure('immutable get', reader, () => reader.get(put.target), (f) => f !== undefined && text(f.value) === value);

    const keypair = generateKeypair();
    const mWriter = pick(nodes);
    await measure('mutable put', mWriter, () => mWriter.putMutable({ keypair, value, salt: 'bench' }), (p) => p.accepted > 0);
    const mReader = other(nodes, mWriter);
    await measure('mutable get', mReader, () => mReader.get({ publicKey: keypair.publicKey, salt: 'bench' }), (f) => f !== undefined && text(f.value) === value);
  }
  return ops;
}

async function oursNetwork(core: Core): Promise<Summary> {
  const nodes: DHT[] = [];
  const start = performance.now();
  try {
    await startOurSwarm(core, NODES, BATCH, 30, nodes);
    const setupMs = performance.now() - start;
    const ops = await ourOps(nodes, () => performance.now(), (p) => within(p, 60_000, 'btdht item operation'));
    return { network: `btdht (${BACKEND} core), UDP loopback`, time: 'wall', setupMs, ops };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

async function theirNetwork(): Promise<Summary> {
  const nodes: BtDHT[] = [];
  const sentBy = new Map<BtDHT, number>();
  const start = performance.now();
  try {
    await startTheirSwarm(NODES, BATCH, 40, nodes, sentBy, { verify });
    const setupMs = performance.now() - start;
    const ops: Op[] = [];
    const put = (node: BtDHT, options: BtPutOptions): Promise<{ target: Buffer; accepted: number }> =>
      within(new Promise((resolve) => node.put(options, (error, target, n) => resolve({ target, accepted: error ? 0 : (n ?? 0) }))), 60_000, 'their put');
    const get = (node: BtDHT, target: Uint8Array, salt?: Uint8Array): Promise<BtItem | null> =>
      within(new Promise((resolve) => node.get(target, { cache: false, ...(salt ? { salt } : {}) }, (error, item) => resolve(error ? null : item))), 60_000, 'their get');
    const measure = async <T>(kind: Kind, node: BtDHT, work: () => Promise<T>, ok: (result: T) => boolean): Promise<T> => {
      const before = sentBy.get(node)!;
      const t0 = performance.now();
      const result = await work();
      ops.push({ kind, messages: sentBy.get(node)! - before, ms: performance.now() - t0, ok: ok(result) });
      return result;
    };
    const salt = Buffer.from('bench');
    for (let i = 0; i < OPS; i++) {
      const value = `bench-${randomBytes(8).toString('hex')}`;
      const writer = pick(nodes);
      const stored = await measure('immutable put', writer, () => put(writer, { v: Buffer.from(value) }), (p) => p.accepted > 0);
      const reader = other(nodes, writer);
      await measure('immutable get', reader, () => get(reader, stored.target), (item) => item !== null && text(item.v) === value);

      const keypair = generateKeypair();
      const mWriter = pick(nodes);
      const sign = (message: Buffer): Uint8Array => signWith(keypair, message);
      const mutable = await measure('mutable put', mWriter, () => put(mWriter, { v: Buffer.from(value), k: Buffer.from(keypair.publicKey), seq: 1, salt, sign }), (p) => p.accepted > 0);
      const mReader = other(nodes, mWriter);
      await measure('mutable get', mReader, () => get(mReader, mutable.target, salt), (item) => item !== null && text(item.v) === value);
    }
    return { network: 'bittorrent-dht 11.0.12, UDP loopback', time: 'wall', setupMs, ops };
  } finally {
    await Promise.all(nodes.map((n) => new Promise<void>((resolve) => n.destroy(() => resolve()))));
  }
}

/** Our nodes on the simulated network, joined in growing batches like test/dht/extension-sim.ts. */
async function simulated(core: Core): Promise<Summary> {
  const net = new SimulatedNetwork({ seed: 44, latencyMs: [10, 80] });
  const random = seededRandom(4444);
  const nodes: DHT[] = [];
  const start = performance.now();
  try {
    for (let from = 0, size = 1; from < SIM_NODES; from += size, size = Math.min(100, size * 2)) {
      let ready = 0;
      const batch: DHT[] = [];
      for (let i = from; i < Math.min(SIM_NODES, from + size); i++) {
        const bootstrap = randomBootstrap(nodes, random);
        const dht = new DHT({ core, transport: net.createTransport(), clock: net.clock, random: seededRandom(44 * 100_003 + i + 1), bootstrap, maintenance: false });
        dht.once('ready', () => ready++);
        batch.push(dht);
      }
      await Promise.all(batch.map((dht) => dht.start()));
      nodes.push(...batch);
      if (!(await net.runUntil(() => ready === batch.length, { timeoutMs: 120_000 }))) throw new Error('simulated join did not finish');
    }
    const setupMs = performance.now() - start;
    const run = async <T>(promise: Promise<T>): Promise<T> => {
      let done = false;
      const tracked = promise.finally(() => (done = true));
      tracked.catch(() => undefined);
      if (!(await net.runUntil(() => done, { timeoutMs: 120_000 }))) throw new Error('simulated operation did not end');
      return tracked;
    };
    const ops = await ourOps(nodes, () => net.clock.now(), run);
    return { network: `btdht (${BACKEND} core), simulated, ${SIM_NODES} nodes`, time: 'virtual', setupMs, ops };
  } finally {
    await Promise.all(nodes.map((dht) => dht.stop()));
  }
}

function rows(s: Summary): string[] {
  return KINDS.map((kind) => {
    const ops = s.ops.filter((o) => o.kind === kind);
    const messages = ops.map((o) => o.messages);
    const ms = ops.map((o) => o.ms);
    const ok = ops.filter((o) => o.ok).length;
    return `| ${s.network} | ${kind} | ${ok}/${ops.length} | ${median(messages)} (${Math.min(...messages)}–${Math.max(...messages)}) | ${median(ms).toFixed(0)} ms ${s.time} (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)}) |`;
  });
}

const core = await loadCore(BACKEND);
const summaries: Summary[] = [];
if (ONLY === '' || ONLY === 'btdht') summaries.push(await oursNetwork(core));
if (ONLY === '' || ONLY === 'bittorrent-dht') summaries.push(await theirNetwork());
if (ONLY === '' || ONLY === 'sim') summaries.push(await simulated(core));
console.log(`UDP networks: ${NODES} nodes each; ${OPS} operations of each kind.\n`);
console.log('| network | operation | succeeded | queries sent by the acting node, median (min–max) | time per operation, median (min–max) |');
console.log('|---|---|---|---|---|');
for (const s of summaries) for (const line of rows(s)) console.log(line);
for (const s of summaries) console.log(`\nsetup of ${s.network}: ${(s.setupMs / 1000).toFixed(1)} s wall`);
