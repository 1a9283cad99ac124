/**
 * `npm run bench:harvest`: the harvest layer's costs (issue 8, "Benchmarks").
 *
 *  1. sim    — infohashes handled per CPU-second in the simulator: a converged
 *              swarm whose nodes look up and announce distinct infohashes
 *              through the harvesting node (bench/harvest/sim.ts says how
 *              its share of the one thread is measured);
 *  2. udp    — the same over loopback UDP: the harvesting node in one
 *              process, a load generator in another (bench/harvest/udp.ts);
 *  3. memory — bytes per million infohashes kept: tracked in the seen-set
 *              vs remembered by the bloom filter (bench/harvest/memory.ts).
 *
 * Each part runs in its own child process (`node --expose-gc`), so memory
 * starts from a clean heap and one part's JIT or GC state does not colour
 * the next. The figures are printed side by side at the end; nothing is
 * asserted about speed.
 *
 *   npm run bench:harvest -- [--parts sim,udp,memory] [--backend wasm|js] [--ids 1]
 *     [--nodes 2000] [--infohashes 10000] [--announce-share 0.25] [--wave 100] [--no-baseline] [--replay-rounds 5]
 *     [--rate 20000] [--seconds 4]
 *     [--memory-count 1000000]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { median, cpuShare } from './harvest/meter.ts';
import { observationsOf, runSim } from './harvest/sim.ts';
import type { SimResult } from './harvest/sim.ts';
import { runUdp } from './harvest/udp.ts';
import type { UdpResult, UdpWindow } from './harvest/udp.ts';
import { runMemory } from './harvest/memory.ts';
import type { MemoryResult } from './harvest/memory.ts';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
function count(name: string, fallback: number, min = 1): number {
  const value = Number(option(name, String(fallback)));
  if (!Number.isFinite(value) || value < min) throw new RangeError(`--${name} must be a number ≥ ${min}`);
  return value;
}

const BACKEND = option('backend', 'wasm') === 'js' ? 'js' : 'wasm';
const IDS = count('ids', 1);
const ANNOUNCE_SHARE = count('announce-share', 0.25, 0);

type Part = 'sim' | 'udp' | 'memory';
type PartResult = { part: 'sim'; result: SimResult } | { part: 'udp'; result: UdpResult } | { part: 'memory'; result: MemoryResult };

async function runPart(part: Part): Promise<PartResult> {
  switch (part) {
    case 'sim':
      return {
        part,
        result: await runSim({
          nodes: count('nodes', 2000, 16),
          infohashes: count('infohashes', 10_000),
          announceShare: ANNOUNCE_SHARE,
          wave: count('wave', 100),
          ids: IDS,
          backend: BACKEND,
          seed: 5,
          baseline: !flag('no-baseline'),
          replayRounds: count('replay-rounds', 5),
        }),
      };
    case 'udp':
      return { part, result: await runUdp({ rate: count('rate', 20_000), seconds: count('seconds', 4), announceShare: ANNOUNCE_SHARE, ids: IDS, backend: BACKEND }) };
    case 'memory':
      return { part, result: await runMemory(count('memory-count', 1_000_000, 1_000)) };
  }
}

/** Run one part in a child process; its result comes back as one `RESULT <json>` line. */
function inChild(part: Part): Promise<PartResult> {
  const self = fileURLToPath(import.meta.url);
  const args = ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', self, ...process.argv.slice(2).filter((a, i, all) => a !== '--parts' && all[i - 1] !== '--parts'), '--part', part];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.on('exit', (code) => {
      const line = text.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as PartResult);
      else reject(new Error(`the ${part} part exited with ${code}${line ? '' : ' and no result'}`));
    });
  });
}

// ---- formatting ----

const int = (n: number): string => Math.round(n).toLocaleString('en');
const us = (seconds: number, per: number): string => ((seconds / per) * 1e6).toFixed(2);
const perCpuSecond = (observations: number, seconds: number): string => int(observations / seconds);
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
const pct = (part: number, whole: number): string => `${((part / whole) * 100).toFixed(1)}%`;

interface Figure {
  figure: string;
  value: string;
}

function simReport(r: SimResult, summary: Figure[]): string {
  const o = r.options;
  const w = r.withHarvester;
  const stats = w.stats!;
  const observations = observationsOf(stats);
  const distinct = stats.unique.get_peers + stats.unique.announce_peer;
  const share = cpuShare(w.thread);
  const inPlace = w.harvestSeconds * share;
  const lines = [
    `## 1. Simulator: ${int(o.nodes)} nodes (${o.backend} core), harvesting node with ids = ${o.ids}`,
    '',
    `Traffic: ${int(o.infohashes)} distinct infohashes, each sharing its first ${w.targetBits} bits with one of the harvesting node's ${o.ids === 1 ? 'id' : `${o.ids} ids in turn`} (so it is among the k nearest), each looked up once from a random node, ${pct(o.announceShare, 1)} of them also announced by another; ${o.wave} operations at a time.`,
    `Network: ${int(w.datagramsInNetwork)} datagrams in ${w.virtualSeconds.toFixed(0)} s virtual, ${w.wallSeconds.toFixed(1)} s wall, process CPU ${w.processCpuSeconds.toFixed(1)} s (all nodes)${w.thread ? `; the main thread ran ${(w.thread.cpuNs / 1e9).toFixed(1)} s and waited ${(w.thread.waitNs / 1e9).toFixed(1)} s for a CPU (other processes)` : ''}.`,
    `Harvesting node: ${int(w.datagramsToHarvesting)} datagrams received; the harvester saw ${int(stats.seen.get_peers)} get_peers + ${int(stats.seen.announce_peer)} announce_peer = ${int(observations)} observations of ${int(distinct)} distinct infohashes (${pct(distinct, o.infohashes)} of those looked up reached it).`,
    '',
    '| method | what is timed | harvester CPU per observation | observations per harvester CPU-second |',
    '|---|---|---|---|',
    `| in place | time inside the harvester's hook, listener and timers (${int(w.harvestCalls)} calls) × the main thread's CPU share (${share.toFixed(2)}) | ${us(inPlace, observations)} µs (median call ${(w.harvestMedianNs / 1000).toFixed(2)} µs) | ${perCpuSecond(observations, inPlace)} |`,
  ];
  summary.push({ figure: `sim, harvester in place (${int(o.nodes)} nodes)`, value: `${perCpuSecond(observations, inPlace)} observations per CPU-second (${us(inPlace, observations)} µs each)` });
  const b = r.withoutHarvester;
  if (b) {
    const withNode = w.receiveSeconds * share;
    const withoutNode = b.receiveSeconds * cpuShare(b.thread);
    const difference = withNode - withoutNode;
    const same = b.datagramsToHarvesting === w.datagramsToHarvesting;
    lines.push(
      `| difference | the harvesting node's receive path with the harvester (${withNode.toFixed(3)} s) minus a second run without it (${withoutNode.toFixed(3)} s)${same ? ', same datagrams' : `; NOT the same datagrams (${int(w.datagramsToHarvesting)} vs ${int(b.datagramsToHarvesting)})`} | ${us(difference, observations)} µs | ${difference > 0 ? perCpuSecond(observations, difference) : '(below the noise)'} |`,
    );
    summary.push({ figure: 'sim, harvester by difference of runs', value: difference > 0 ? `${perCpuSecond(observations, difference)} observations per CPU-second (${us(difference, observations)} µs each)` : 'below the noise' });
  }
  const rp = r.replay;
  const fill = rp.filling;
  const m = median(fill.rounds);
  const times = (n: number): string => (n > rp.recorded ? ` (played ${Math.ceil(n / rp.recorded)} times, each time as new infohashes: ${int(n)})` : '');
  lines.push(
    `| replay, seen-set filling | process.cpuUsage around a fresh harvester taking the ${int(rp.recorded)} recorded sightings${times(fill.observations)}, then flush; median of ${fill.rounds.length} rounds (min–max) | ${us(m, fill.observations)} µs (${us(Math.min(...fill.rounds), fill.observations)}–${us(Math.max(...fill.rounds), fill.observations)}) | ${perCpuSecond(fill.observations, m)} |`,
  );
  summary.push({ figure: 'sim, harvester replayed, seen-set filling', value: `${perCpuSecond(fill.observations, m)} observations per CPU-second (${us(m, fill.observations)} µs each)` });
  const full = rp.full;
  const chunkUs = full.chunks.map((c) => (c / full.chunk) * 1e6);
  lines.push(
    `| replay, seen-set full | one round into a seen-set first filled to its cap (100,000) with other infohashes${times(full.observations)}: ${int(full.evicted)} evictions into the bloom filter; per ${int(full.chunk)} sightings (min–max) | ${us(full.cpuSeconds, full.observations)} µs (${Math.min(...chunkUs).toFixed(2)}–${Math.max(...chunkUs).toFixed(2)}) | ${perCpuSecond(full.observations, full.cpuSeconds)} |`,
    '',
    `Seen-set full, µs per sighting by chunk of ${int(full.chunk)}, in order: ${chunkUs.map((c) => c.toFixed(1)).join(', ')}.`,
  );
  summary.push({ figure: 'sim, harvester replayed, seen-set full', value: `${perCpuSecond(full.observations, full.cpuSeconds)} observations per CPU-second (${us(full.cpuSeconds, full.observations)} µs each)` });
  const node = w.receiveSeconds * share;
  lines.push(
    '',
    `The harvesting node as a whole (its receive path: decode, hooks and harvester, answer, send; in place): ${us(node, w.datagramsToHarvesting)} µs per datagram (median ${(w.receiveMedianNs / 1000).toFixed(2)} µs), ${perCpuSecond(observations, node)} observations per CPU-second of the node.`,
  );
  summary.push({ figure: 'sim, harvesting node as a whole (receive path)', value: `${perCpuSecond(observations, node)} observations per CPU-second` });
  return lines.join('\n');
}

function udpReport(r: UdpResult, summary: Figure[]): string {
  const o = r.options;
  const lines = [
    `## 2. Loopback UDP: harvesting node (${o.backend} core, ids = ${o.ids}) in one process, load generator in another`,
    '',
    `Load: ${int(o.rate)} queries/s for ${o.seconds} s per window, open loop, random infohashes, ${pct(o.announceShare, 1)} announce_peer (with the token the node gave the generator's address), the rest get_peers. Seen-set cap ${int(r.cap)}. CPU: process.cpuUsage of the harvesting process (every thread) from just before the load until the node has read everything queued for it, plus 0.2 s.`,
    '',
    '| window | sent (get_peers + announce_peer) | answered | errors | observations harvested | harvesting process CPU | observations per CPU-second | CPU per observation | dropped by the kernel (node socket) | dropped by the node | harvester batches shed | unanswered | main thread waited for a CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const alone = r.windows.find((w) => w.seen.get_peers + w.seen.announce_peer === 0);
  const cpuPerAnswer = (w: UdpWindow): number => w.cpuSeconds / Math.max(1, w.answers.get_peers + w.answers.announce_peer);
  for (const w of r.windows) {
    const sent = w.sent.get_peers + w.sent.announce_peer;
    const answered = w.answers.get_peers + w.answers.announce_peer;
    const errors = w.errors.get_peers + w.errors.announce_peer;
    const observations = w.seen.get_peers + w.seen.announce_peer;
    const nodeDrops = Object.entries(w.node.drops).map(([k, v]) => `${k} ${int(v)}`).join(', ') || '0';
    const harvested = observations > 0;
    lines.push(
      `| ${w.label} | ${int(w.sent.get_peers)} + ${int(w.sent.announce_peer)} | ${int(answered)} | ${int(errors)} | ${int(observations)} | ${w.cpuSeconds.toFixed(2)} s | ${harvested ? perCpuSecond(observations, w.cpuSeconds) : `(${perCpuSecond(answered, w.cpuSeconds)} answers)`} | ${harvested ? `${us(w.cpuSeconds, observations)} µs` : `(${us(w.cpuSeconds, answered)} µs per answer)`} | ${w.kernelDrops === undefined ? 'n/a' : `${int(w.kernelDrops)} (${pct(w.kernelDrops, sent)})`} | ${nodeDrops} | ${int(w.batchesDropped)} | ${int(sent - answered - errors)} | ${w.thread ? `${(w.thread.waitNs / 1e9).toFixed(2)} s (ran ${(w.thread.cpuNs / 1e9).toFixed(2)} s)` : 'n/a'} |`,
    );
    if (!harvested) {
      summary.push({ figure: `UDP, ${w.label}`, value: `${perCpuSecond(answered, w.cpuSeconds)} answered queries per CPU-second (${us(w.cpuSeconds, answered)} µs each)` });
      continue;
    }
    summary.push({
      figure: `UDP, ${w.label}`,
      value: `${perCpuSecond(observations, w.cpuSeconds)} observations per CPU-second of the harvesting process; ${int(observations)} of ${int(sent)} queries harvested, ${w.kernelDrops === undefined ? 'kernel drops n/a' : `${int(w.kernelDrops)} dropped by the kernel`}`,
    });
  }
  if (alone) {
    lines.push('', 'The harvester\'s share, by difference with the node alone (CPU per answered query, each answered query being one observation):', '');
    for (const w of r.windows) {
      if (w === alone) continue;
      const extra = cpuPerAnswer(w) - cpuPerAnswer(alone);
      lines.push(`- ${w.label}: ${(cpuPerAnswer(w) * 1e6).toFixed(2)} − ${(cpuPerAnswer(alone) * 1e6).toFixed(2)} = ${(extra * 1e6).toFixed(2)} µs per observation${extra > 0 ? ` (${int(1 / extra)} observations per harvester CPU-second)` : ' (below the noise)'}`);
      summary.push({ figure: `UDP, harvester by difference, ${w.label}`, value: extra > 0 ? `${int(1 / extra)} observations per CPU-second (${(extra * 1e6).toFixed(2)} µs each)` : 'below the noise' });
    }
  }
  const generatorDrops = r.windows.reduce((n, w) => n + (w.generatorDrops ?? 0), 0);
  lines.push(
    '',
    `Every query that reached the node was harvested and answered unless the table says otherwise; "unanswered" counts the generator's queries with no answer (dropped on the way in, or the answer dropped at the generator: ${int(generatorDrops)} answers dropped by the kernel at the generator's socket). The node's pings to the generator (a new contact): ${r.pingsAnswered}.`,
  );
  return lines.join('\n');
}

function memoryReport(r: MemoryResult, summary: Figure[]): string {
  const lines = [
    `## 3. Memory per million infohashes kept (measured: heap used + external after full GCs, ${int(r.count)} infohashes each)`,
    '',
    '| structure | bytes measured | per infohash | per million |',
    '|---|---|---|---|',
  ];
  for (const t of r.tracked) lines.push(`| tracked: ${t.what} | ${int(t.bytes)} | ${t.bytesPerInfohash.toFixed(1)} B | ${mb(t.bytesPerInfohash * 1e6)} MB |`);
  for (const b of r.bloom) {
    lines.push(
      `| evicted: bloom filter sized for ${int(b.capacity)} at ${b.falsePositiveRate * 100}% (${b.probes} probes; measured false positives ${(b.measuredFalsePositiveRate * 100).toFixed(3)}% of ${int(r.count)} never-added) | ${int(b.bytes)} | ${(b.bytes / b.capacity).toFixed(2)} B | ${mb(b.bytesPerMillion)} MB |`,
    );
  }
  const record = r.tracked.find((t) => t.what.includes('get_peers'))!;
  const bloom1 = r.bloom.find((b) => b.falsePositiveRate === 0.01)!;
  lines.push('', `A tracked infohash (harvester record, no peer) costs ${(record.bytesPerInfohash / (bloom1.bytesPerMillion / 1e6)).toFixed(0)}× what the bloom filter spends on an evicted one at 1%.`);
  for (const t of r.tracked) summary.push({ figure: `memory, tracked: ${t.what}`, value: `${mb(t.bytesPerInfohash * 1e6)} MB per million` });
  for (const b of r.bloom) summary.push({ figure: `memory, evicted: bloom at ${b.falsePositiveRate * 100}%`, value: `${mb(b.bytesPerMillion)} MB per million (measured false positives ${(b.measuredFalsePositiveRate * 100).toFixed(3)}%)` });
  summary.push({ figure: 'memory, tracked record / bloom at 1%', value: `${(record.bytesPerInfohash / (bloom1.bytesPerMillion / 1e6)).toFixed(0)}×` });
  return lines.join('\n');
}

// ---- main ----

const part = option('part', '');
if (part) {
  const result = await runPart(part as Part);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  const parts = option('parts', 'sim,udp,memory').split(',') as Part[];
  console.log(`# bench:harvest — node ${process.version}, ${cpus().length} CPUs; parts: ${parts.join(', ')}`);
  const summary: Figure[] = [];
  const started = performance.now();
  for (const p of parts) {
    const t0 = performance.now();
    console.error(`# running the ${p} part…`);
    const { part: which, result } = await inChild(p);
    const text = which === 'sim' ? simReport(result, summary) : which === 'udp' ? udpReport(result, summary) : memoryReport(result, summary);
    console.log(`\n${text}\n\n(${p}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  console.log('\n## Side by side\n\n| figure | value |\n|---|---|');
  for (const f of summary) console.log(`| ${f.figure} | ${f.value} |`);
  console.log(`\n(total ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
