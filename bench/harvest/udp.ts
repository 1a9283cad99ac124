/**
 * Part 2: infohashes handled per CPU-second over loopback UDP.
 *
 * The harvesting node (a DHT on a real UDP socket, `ids` passed through, a
 * Harvester attached) runs in this process; the load generator
 * (udp-load.ts) in a child process sends get_peers and announce_peer with a
 * valid token for random infohashes at a fixed rate, open loop. Two windows
 * of load: the first while the harvester's seen-set fills (below its cap),
 * the second once it is full (every new infohash evicts the least recently
 * seen into the bloom filter: a long crawl's steady state); between them the
 * set is filled to its cap with other infohashes through the harvester's own
 * hook, outside any window.
 *
 * Per window, this process's CPU (process.cpuUsage: every thread; the node's
 * receive path, its answers and the harvester together) from just before the
 * load starts until the node has worked through what is queued for it (plus
 * the generator's short grace for the last answers).
 * Drops are counted where each happens: the kernel (the node's socket
 * buffer, /proc/net/udp), the node (stats().drops), the harvester (batches
 * shed), and the queries the generator got no answer to. A third window runs
 * the same load with the harvester stopped: the node alone, so the
 * harvester's share of the process is the difference per query.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomFillSync } from 'node:crypto';
import type { DHTStats } from '../../src/dht/dht.ts';
import { Harvester } from '../../src/crawl/harvest/index.ts';
import type { HarvestStats } from '../../src/crawl/harvest/index.ts';
import type { Backend } from '../../src/core/types.ts';
import { cpuSecondsSince, threadTimes, threadTimesSince } from './meter.ts';
import type { ThreadTimes } from './meter.ts';
import { udpSocket, udpSocketDrops } from './proc-net-udp.ts';
import type { DHT } from '../../src/dht/dht.ts';
import { TappedDHT } from './tap.ts';
import { getPeersQuery } from './replay.ts';
import type { ControlMessage, LoadMessage, LoadPlan, LoadReport } from './udp-load.ts';

export interface UdpOptions {
  /** Queries per second. */
  rate: number;
  /** Seconds per window. */
  seconds: number;
  announceShare: number;
  ids: number;
  backend: Backend;
}

type Pair = { get_peers: number; announce_peer: number };

export interface UdpWindow {
  label: string;
  sent: Pair;
  answers: Pair;
  errors: Pair;
  cpuSeconds: number;
  wallSeconds: number;
  sendSeconds: number;
  thread: ThreadTimes | undefined;
  /** Harvester sightings in the window, by source, and what its seen-set held after. */
  seen: Pair;
  unique: Pair;
  trackedAfter: number;
  evictedAfter: number;
  batchesDropped: number;
  node: { datagramsIn: number; drops: Record<string, number>; errorsOut: Record<string, number> };
  kernelDrops: number | undefined;
  generatorDrops: number | undefined;
}

export interface UdpResult {
  options: UdpOptions;
  cap: number;
  windows: UdpWindow[];
  pingsAnswered: number;
}

export async function runUdp(o: UdpOptions): Promise<UdpResult> {
  // One address sends all the load: the per-IP rate limit is off, as in bench:node.
  const dht = new TappedDHT({ host: '127.0.0.1', port: 0, bootstrap: [], backend: o.backend, ids: o.ids, maxQueriesPerIpPerSecond: 0 });
  dht.timing = false; // the hooks are kept only to fill the seen-set between windows
  const harvester = new Harvester(dht, { onBatch: () => undefined });
  await dht.start();
  dht.capture(() => harvester.start({ walk: false }));
  const local = dht.address();
  const child = fork(fileURLToPath(new URL('./udp-load.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let failure: Error | undefined;
  child.on('exit', (code) => {
    if (code !== 0) failure ??= new Error(`load generator exited with ${code}`);
  });
  const next = <T extends LoadMessage['type']>(type: T, timeoutMs: number): Promise<Extract<LoadMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(failure ?? new Error(`load generator: no '${type}' in ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (m: LoadMessage): void => {
        if (m.type !== type && m.type !== 'error') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        if (m.type === 'error') reject(new Error(`load generator: ${m.message}`));
        else resolve(m as Extract<LoadMessage, { type: T }>);
      };
      child.on('message', onMessage);
    });
  const send = (m: ControlMessage): void => void child.send(m);
  const cap = harvester.stats().dedup.cap;
  try {
    const plan: LoadPlan = { host: local.host, port: local.port, rate: o.rate, seconds: o.seconds, announceShare: o.announceShare };
    send({ type: 'plan', plan });
    await next('ready', 30_000);
    let last: LoadReport | undefined;
    const windows: UdpWindow[] = [];
    const window = async (label: string): Promise<UdpWindow> => {
      await harvester.flush();
      const before = { stats: dht.stats(), harvest: harvester.stats(), drops: udpSocketDrops(local.host, local.port) };
      const cpuStart = process.cpuUsage();
      const threadStart = threadTimes();
      const wallStart = performance.now();
      send({ type: 'go' });
      await next('sent', (o.seconds + 60) * 1000);
      await drained(dht, local);
      send({ type: 'report' });
      const { report } = await next('done', 10_000);
      await harvester.flush();
      const cpuSeconds = cpuSecondsSince(cpuStart);
      const thread = threadTimesSince(threadStart);
      const wallSeconds = (performance.now() - wallStart) / 1000;
      const after = { stats: dht.stats(), harvest: harvester.stats(), drops: udpSocketDrops(local.host, local.port) };
      const prior = last;
      last = report;
      const delta = (now: Pair, then: Pair | undefined): Pair => ({ get_peers: now.get_peers - (then?.get_peers ?? 0), announce_peer: now.announce_peer - (then?.announce_peer ?? 0) });
      return {
        label,
        sent: delta(report.sent, prior?.sent),
        answers: delta(report.answers, prior?.answers),
        errors: delta(report.errors, prior?.errors),
        cpuSeconds,
        wallSeconds,
        sendSeconds: report.sendSeconds,
        thread,
        seen: delta(after.harvest.seen, before.harvest.seen),
        unique: delta(after.harvest.unique, before.harvest.unique),
        trackedAfter: after.harvest.dedup.tracked,
        evictedAfter: after.harvest.dedup.evicted,
        batchesDropped: after.harvest.batches.dropped - before.harvest.batches.dropped,
        node: {
          datagramsIn: after.stats.datagramsIn - before.stats.datagramsIn,
          drops: diffCounts(after.stats.drops, before.stats.drops),
          errorsOut: diffCounts(after.stats.errorsOut, before.stats.errorsOut),
        },
        kernelDrops: after.drops !== undefined && before.drops !== undefined ? after.drops - before.drops : undefined,
        generatorDrops: report.ownDrops !== undefined ? report.ownDrops - (prior?.ownDrops ?? 0) : undefined,
      };
    };
    const filling = await window('seen-set filling (below its cap)');
    // Too much load for one window below the cap (rate × seconds > cap): say so rather than mislabel it.
    if (filling.evictedAfter > 0) filling.label = `seen-set filling, crossing its cap (${filling.evictedAfter.toLocaleString('en')} evicted by the end)`;
    windows.push(filling);
    fillToCap(dht, harvester);
    windows.push(await window('seen-set full (each new infohash evicts one)'));
    // The node alone, same load: what the harvester adds is the difference.
    await harvester.stop();
    windows.push(await window('no harvester (the node alone)'));
    send({ type: 'stop' });
    return { options: o, cap, windows, pingsAnswered: last?.pingsAnswered ?? 0 };
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill(), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await harvester.stop();
    await dht.stop();
  }
}

/**
 * Wait (at most 10 s) until the node has read everything queued for it: its
 * socket's receive queue empty (per /proc/net/udp) and no datagram read for
 * 50 ms. An overloaded node otherwise carries a backlog into the next window.
 */
async function drained(dht: DHT, local: { host: string; port: number }): Promise<void> {
  const deadline = performance.now() + 10_000;
  let last = -1;
  while (performance.now() < deadline) {
    const read = dht.stats().datagramsIn;
    const queued = udpSocket(local.host, local.port)?.rxQueue ?? 0;
    if (read === last && queued === 0) return;
    last = read;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sight fresh random infohashes through the harvester's own hook until its seen-set is full. */
function fillToCap(dht: TappedDHT, harvester: Harvester): void {
  const hook = dht.getPeersHooks[0];
  if (!hook) throw new Error('the harvester registered no get_peers hook');
  const from = { host: '127.0.0.3', port: 6881, family: 4 as const };
  const infohash = new Uint8Array(20);
  for (let { tracked, cap } = harvester.stats().dedup; tracked < cap; tracked++) {
    randomFillSync(infohash);
    hook(getPeersQuery(infohash), from);
  }
}

function diffCounts(after: DHTStats['drops'], before: DHTStats['drops']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0 && key !== 'total') out[key] = delta;
  }
  return out;
}
