/**
 * `npm run bench:sim`: our node at scale on the in-memory SimulatedNetwork
 * (virtual clock, one process): memory per node and get_peers lookups per
 * second of wall time, at 10,000 and 100,000 nodes. Each size runs in its own
 * child process (`node --max-old-space-size=… --expose-gc`), so memory is
 * measured from a clean baseline.
 *
 * Joining 100,000 nodes one lookup at a time would take most of the run, so
 * by default (`--join converged`) every node starts alone and its routing
 * table is then filled as a converged network's would be: for each bucket,
 * up to k random nodes of the population whose ids fall in that bucket's
 * range (the table itself decides what it keeps). `--join organic` instead
 * bootstraps every node through real lookups, in growing batches.
 *
 *   npm run bench:sim -- [--sizes 10000,100000] [--lookups 1000] [--backend wasm|js] [--join converged|organic]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadCore } from '../src/core/index.ts';
import type { Core } from '../src/core/types.ts';
import type { RoutingTable } from '../src/core/routing-types.ts';
import { SimulatedNetwork } from '../src/transport/memory.ts';
import { DHT } from '../src/dht/dht.ts';
import { encodeCompactAddress } from '../src/krpc/compact.ts';
import { randomInt, seededRandom } from '../src/ground/random.ts';
import { randomBootstrap } from './sim-bootstrap.ts';
import { randomId } from '../src/util/id.ts';
import { bucketRange, compareIds, prefixRange } from './harvest/keyspace.ts';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const SIZES = option('sizes', '10000,100000').split(',').map(Number);
const LOOKUPS = Number(option('lookups', '1000'));
const BACKEND = option('backend', 'wasm') === 'js' ? 'js' : 'wasm';
const JOIN = option('join', 'converged') === 'organic' ? 'organic' : 'converged';
/** Lookups started at once, from random nodes. */
const WAVE = 100;
const K = 8;

interface Result {
  nodes: number;
  backend: string;
  join: string;
  setupSeconds: number;
  tableSizeMean: number;
  /** Bytes per node: (heap used + external) after GC, over the baseline. */
  heapPerNode: number;
  rssPerNode: number;
  rssTotalMB: number;
  lookups: number;
  lookupsPerSecond: number;
  datagramsPerLookup: number;
  virtualMsPerLookup: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function memory(): { heap: number; rss: number } {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

async function child(size: number): Promise<Result> {
  const loaded = await loadCore(BACKEND);
  const random = seededRandom(size);
  const net = new SimulatedNetwork({ seed: 7, latencyMs: [10, 80], loss: 0 });
  const before = memory();
  const start = performance.now();
  const tables = new Map<DHT, RoutingTable>();
  let lastTable: RoutingTable | undefined;
  // The node builds its table through the core: keep a handle on it to fill it.
  const core: Core = { ...loaded, createRoutingTable: (options) => (lastTable = loaded.createRoutingTable(options)) };
  const swarm: DHT[] = [];

  if (JOIN === 'converged') {
    let ready = 0;
    for (let i = 0; i < size; i++) {
      const dht = new DHT({ core, transport: net.createTransport(), clock: net.clock, random: seededRandom(i + 1), bootstrap: [] });
      dht.once('ready', () => ready++);
      await dht.start();
      tables.set(dht, lastTable!);
      swarm.push(dht);
    }
    // Bootstrap with nobody to ask ends at once; only then fill (no sparse-bucket refresh runs on an empty table).
    await net.runUntil(() => ready === size, { timeoutMs: 60_000 });
    const ids = swarm.map((d) => d.id);
    const order = ids.map((_, i) => i).sort((a, b) => compareIds(ids[a]!, ids[b]!));
    const sorted = order.map((i) => ids[i]!);
    const compact = swarm.map((d) => encodeCompactAddress(d.address().host, d.address().port)!);
    const now = net.clock.now();
    for (let n = 0; n < size; n++) {
      const table = tables.get(swarm[n]!)!;
      const id = ids[n]!;
      // Farthest bucket first: the table splits its own bucket as nearer nodes arrive.
      for (let bits = 0; bits < 160; bits++) {
        const [lo, hi] = bucketRange(sorted, id, bits);
        const count = hi - lo;
        for (let j = 0; j < Math.min(K, count); j++) {
          const at = order[lo + (count <= K ? j : randomInt(random, count))]!;
          table.add(ids[at]!, compact[at]!, now, true);
        }
        const [nearLo, nearHi] = prefixRange(sorted, id, bits + 1);
        if (nearHi - nearLo <= 1) break; // nobody else shares more of our id
      }
    }
  } else {
    // Grow in batches 1, 2, 4, … 500; each newcomer bootstraps off three random earlier nodes.
    for (let from = 0, batchSize = 1; from < size; from += batchSize, batchSize = Math.min(500, batchSize * 2)) {
      let ready = 0;
      const batch: DHT[] = [];
      for (let i = from; i < Math.min(size, from + batchSize); i++) {
        const bootstrap = randomBootstrap(swarm, random);
        const dht = new DHT({ core, transport: net.createTransport(), clock: net.clock, random: seededRandom(i + 1), bootstrap });
        dht.once('ready', () => ready++);
        batch.push(dht);
      }
      for (const dht of batch) await dht.start();
      swarm.push(...batch);
      await net.runUntil(() => ready === batch.length, { timeoutMs: 600_000 });
    }
    await net.run({ until: net.clock.now() + 30_000 });
  }
  const setupSeconds = (performance.now() - start) / 1000;
  const tableSizeMean = swarm.reduce((sum, d) => sum + d.stats().nodes, 0) / size;
  const after = memory();

  // Lookups: waves of WAVE concurrent get_peers for random infohashes, from random nodes.
  const sentBefore = net.stats.sent;
  let virtualTotal = 0;
  const t0 = performance.now();
  for (let done = 0; done < LOOKUPS; done += WAVE) {
    let finished = 0;
    const wave = Math.min(WAVE, LOOKUPS - done);
    for (let j = 0; j < wave; j++) {
      const from = swarm[randomInt(random, size)]!;
      const began = net.clock.now();
      void from.getPeers(randomId(random)).then(() => {
        virtualTotal += net.clock.now() - began;
        finished++;
      });
    }
    if (!(await net.runUntil(() => finished === wave, { timeoutMs: 120_000 }))) throw new Error('a wave of lookups did not end');
  }
  const wall = (performance.now() - t0) / 1000;
  const result: Result = {
    nodes: size,
    backend: BACKEND,
    join: JOIN,
    setupSeconds,
    tableSizeMean,
    heapPerNode: (after.heap - before.heap) / size,
    rssPerNode: (after.rss - before.rss) / size,
    rssTotalMB: after.rss / 2 ** 20,
    lookups: LOOKUPS,
    lookupsPerSecond: LOOKUPS / wall,
    datagramsPerLookup: (net.stats.sent - sentBefore) / LOOKUPS,
    virtualMsPerLookup: virtualTotal / LOOKUPS,
  };
  for (const dht of swarm) await dht.stop();
  return result;
}

function row(r: Result): string {
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
  return `| ${r.nodes.toLocaleString('en')} | ${r.backend} | ${r.join} | ${r.tableSizeMean.toFixed(1)} | ${kb(r.heapPerNode)} | ${kb(r.rssPerNode)} | ${(r.rssTotalMB / 1024).toFixed(2)} GB | ${r.lookupsPerSecond.toFixed(0)} | ${r.datagramsPerLookup.toFixed(1)} | ${r.virtualMsPerLookup.toFixed(0)} ms | ${r.setupSeconds.toFixed(0)} s |`;
}

const childSize = option('child', '');
if (childSize) {
  const result = await child(Number(childSize));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  const self = fileURLToPath(import.meta.url);
  const results: Result[] = [];
  for (const size of SIZES) {
    // Headroom for the JS heap: ~1 GB per 25,000 nodes, at least 2 GB.
    const heapMB = Math.max(2048, Math.ceil(size / 25_000) * 1024 + 1024);
    const args = ['--max-old-space-size=' + heapMB, '--expose-gc', '--import', 'tsx', self, '--child', String(size), '--lookups', String(LOOKUPS), '--backend', BACKEND, '--join', JOIN];
    console.error(`# ${size} nodes: node ${args.slice(0, 2).join(' ')} …`);
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      p.stdout.on('data', (d: Buffer) => (text += d.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`the ${size}-node run exited with ${code}`))));
    });
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`no result from the ${size}-node run`);
    results.push(JSON.parse(line.slice(7)) as Result);
    console.error(`# ${row(results.at(-1)!)}`);
  }
  console.log('| nodes | core | tables | mean table size | heap + external per node | RSS per node | RSS total | get_peers lookups / s (wall) | datagrams per lookup | virtual time per lookup | setup |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) console.log(row(r));
}
