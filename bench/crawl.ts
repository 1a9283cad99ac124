/**
 * End-to-end crawl benchmark (issue #15 item 6). Three processes:
 *  - the world (bench/crawl/world-child.ts): N btdht nodes on real UDP, one
 *    127.<net>.x.y address each, tables filled as if converged; T torrents
 *    seeded over real TCP and announced into the DHT — some by honest seeders,
 *    some only by seeders that never answer, refuse ut_metadata or send wrong
 *    metadata (see bench/crawl/world.ts for the mix);
 *  - the crawler: a real `btdht crawl` (dist/, through bin/btdht.js) into a
 *    fresh SQLite file, bootstrapped off three world nodes, for --duration s,
 *    with bench/crawl/probe.mjs loaded to report its own process.cpuUsage()
 *    and RSS every second;
 *  - this one, which reads the probe and the database and prints the figures.
 *
 * Fetched share = stored torrents with at least one honest seeder / torrents
 * with at least one honest seeder; a torrent whose seeders are all hostile
 * must never be stored. CPU per verified torrent = the crawler process's CPU
 * (harvest + fetch + store + its start) up to the sample where the last
 * torrent was stored, over the torrents stored (also shown: over the whole run,
 * and without the process's fixed cost, measured beside by the same command
 * with nobody to crawl). RSS is flat when its peak after the first minute is
 * within 10% of its peak in the first minute.
 *
 *   npm run bench:crawl [-- --nodes 2000 --torrents 500 --duration 180 --cpu-prof DIR]
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { fetchable, type WorldTorrent } from './crawl/world.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '2000' },
    torrents: { type: 'string', default: '500' },
    duration: { type: 'string', default: '180' },
    net: { type: 'string', default: '61' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
    ids: { type: 'string', default: '16' },
    'print-every': { type: 'string', default: '5' },
    'cpu-prof': { type: 'string' },
    datagrams: { type: 'boolean', default: false },
  },
});
const nodes = Number(values.nodes);
const torrentCount = Number(values.torrents);
const duration = Number(values.duration);
const net = Number(values.net);
const seed = Number(values.seed);
const printEvery = Number(values['print-every']);
if (![nodes, torrentCount, duration, net, seed, printEvery].every((n) => Number.isInteger(n) && n > 0) || net > 254 || duration < 10) {
  throw new Error('--nodes, --torrents, --duration (≥ 10 s), --net (1-254), --seed and --print-every take positive integers');
}
if (values.backend !== 'wasm' && values.backend !== 'js') throw new Error('--backend is wasm or js');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/btdht.js');
if (!existsSync(join(ROOT, 'dist/bin/btdht.cjs'))) throw new Error('dist/ is missing: run `npm run build:ts` first (npm run bench:crawl does)');
const PROBE = join(ROOT, 'bench/crawl/probe.mjs');
const DATAGRAMS = join(ROOT, 'bench/crawl/datagrams.mjs');
const CRAWLER_HOST = `127.${net}.200.1`;

interface Sample {
  t: number;
  cpuMs: number;
  /** Of it, in the kernel (system time). */
  systemMs: number;
  rss: number;
  stored: number;
}

const MiB = 1024 * 1024;
const BASELINE_S = 3;

interface CrawlerRun {
  child: ChildProcess;
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** `btdht crawl` from dist/ with the probe loaded; its report comes on fd 3. */
function startCrawler(db: string, bootstrap: string, seconds: number, cpuProf?: string, datagrams = false): CrawlerRun {
  const args = [
    ...(cpuProf !== undefined ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : []),
    '--import', PROBE,
    ...(datagrams ? ['--import', DATAGRAMS] : []),
    BIN, 'crawl',
    '--db', db,
    '--bootstrap', bootstrap,
    '--host', CRAWLER_HOST,
    '--port', '0',
    '--no-ipv6',
    '--backend', values.backend!,
    '--ids', values.ids!,
    '--duration', String(seconds),
    '--json',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], env: { ...process.env, BTDHT_PROBE_MS: '1000' } });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => out, stderr: () => err };
}

/** The probe's last report (at exit) of a run left to finish. */
async function lastProbe(run: CrawlerRun): Promise<{ cpuMs: number; rss: number }> {
  let last = { cpuMs: NaN, rss: NaN };
  const lines = createInterface({ input: run.child.stdio[3] as NodeJS.ReadableStream });
  lines.on('line', (line) => (last = JSON.parse(line) as { cpuMs: number; rss: number }));
  const code = await run.exited;
  await new Promise((resolve) => setTimeout(resolve, 200));
  if (code !== 0) throw new Error(`idle btdht crawl exited ${code}: ${run.stderr().slice(-2000)}`);
  return last;
}
interface DatagramReport {
  sent: Record<string, number>;
  received: Record<string, number>;
  sentById: Record<string, Record<string, number>>;
  destinations: Record<string, { destinations: number; askedAgain: number; underSeveralIds: number; mostToOne: number }>;
  ids: number;
}

/** The crawler's datagrams over the whole run (--datagrams), by kind, per torrent stored. */
function sayDatagrams(report: DatagramReport, stored: number): void {
  const per = (n: number): string => (n / Math.max(1, stored)).toFixed(2);
  const total = (table: Record<string, number>): number => Object.values(table).reduce((a, b) => a + b, 0);
  say(`datagrams over the whole run (${stored} torrents stored): sent ${total(report.sent)} (${per(total(report.sent))} per torrent), received ${total(report.received)} (${per(total(report.received))}); ${report.ids} ids of ours seen in what was sent`);
  say('  kind                          sent  per torrent   received  per torrent   ids used');
  for (const kind of [...new Set([...Object.keys(report.sent), ...Object.keys(report.received)])].sort()) {
    const s = report.sent[kind] ?? 0;
    const r = report.received[kind] ?? 0;
    const idsUsed = Object.keys(report.sentById[kind] ?? {}).length;
    say(`  ${kind.padEnd(26)} ${String(s).padStart(7)} ${per(s).padStart(12)} ${String(r).padStart(10)} ${per(r).padStart(12)} ${String(idsUsed).padStart(10)}`);
  }
  for (const [method, d] of Object.entries(report.destinations)) {
    say(`  q:${method}: ${d.destinations} destinations, ${d.askedAgain} asked more than once (most ${d.mostToOne} times), ${d.underSeveralIds} under more than one of our ids`);
  }
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const say = (line: string): void => void process.stdout.write(`${line}\n`);

// 1. The world, in its own process.
const worldStarted = Date.now();
const world: ChildProcess = fork(join(ROOT, 'bench/crawl/world-child.ts'), [JSON.stringify({ nodes, torrents: torrentCount, net, seed, backend: values.backend })], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const worldExited = new Promise<void>((resolve) => world.once('exit', () => resolve()));
function ask<T>(type: string, send?: string, ms = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`world: no '${type}' within ${ms / 1000} s`)), ms);
    const on = (message: { type: string; message?: string }): void => {
      if (message.type === type) {
        clearTimeout(timer);
        world.off('message', on);
        resolve(message as T);
      } else if (message.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`world: ${message.message}`));
      }
    };
    world.on('message', on);
    world.once('exit', (code) => reject(new Error(`world exited (${code})`)));
    if (send !== undefined) world.send(send);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'btdht-bench-crawl-'));
let crawler: ChildProcess | undefined;
try {
  // The fixed cost of the process (start, open the database, bind, stop), measured while the world builds:
  // the same command with nobody to crawl, for a few seconds.
  const idle = startCrawler(join(dir, 'idle.sqlite'), '', BASELINE_S);
  const idleLast = await lastProbe(idle);
  const { torrents, bootstrap } = await ask<{ torrents: WorldTorrent[]; bootstrap: string[] }>('ready');
  say(`world ready in ${((Date.now() - worldStarted) / 1000).toFixed(1)} s: ${nodes} nodes, ${torrents.length} torrents`);

  // 2. The crawler: a real `btdht crawl`, the probe reporting on fd 3.
  const db = join(dir, 'crawl.sqlite');
  const crawlStarted = Date.now();
  const run = startCrawler(db, bootstrap.join(','), duration, values['cpu-prof'], values.datagrams);
  crawler = run.child;
  let datagramLine = '';
  if (values.datagrams) createInterface({ input: run.child.stdio[4] as NodeJS.ReadableStream }).on('line', (line) => (datagramLine = line));
  const exited = run.exited;
  // 3. Samples: the probe's CPU and RSS, beside the torrents in the database at that moment.
  const samples: Sample[] = [];
  const storedNow = (): number => {
    if (!existsSync(db)) return 0;
    try {
      const reader = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return (reader.prepare('SELECT count(*) AS n FROM torrents').get() as { n: number }).n;
      } finally {
        reader.close();
      }
    } catch {
      return samples.at(-1)?.stored ?? 0; // not created yet, or busy for a moment
    }
  };
  const probe = createInterface({ input: run.child.stdio[3] as NodeJS.ReadableStream });
  probe.on('line', (line) => {
    const s = JSON.parse(line) as { t: number; cpuMs: number; systemMs: number; rss: number; final: boolean };
    samples.push({ t: s.t, cpuMs: s.cpuMs, systemMs: s.systemMs, rss: s.rss, stored: s.final ? -1 : storedNow() });
  });
  const killer = setTimeout(() => crawler?.kill('SIGKILL'), (duration + 60) * 1000);
  const code = await exited;
  const { stdout, stderr } = run;
  clearTimeout(killer);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the probe's last line
  const hostile = (await ask<{ connections: Record<string, number> }>('hostile', 'hostile', 10_000)).connections;
  if (code !== 0) throw new Error(`btdht crawl exited ${code}: ${stderr().slice(-2000)}`);
  const summaryLine = stdout().trim().split('\n').filter((l) => l.startsWith('{')).pop();
  const summary = summaryLine !== undefined ? (JSON.parse(summaryLine) as { metadata: { fetched: number; failed: number; failures: Record<string, number>; lookups?: number; lookupPeers?: number; holderAsks?: number; holderPeers?: number }; infohashes: { unique: number; uniqueBySource: Record<string, number> } }) : undefined;

  // 4. What was stored, checked against what the world seeded.
  const reader = new Database(db, { readonly: true });
  const rows = reader.prepare('SELECT infohash, name, size FROM torrents').all() as Array<{ infohash: string; name: string; size: number }>;
  reader.close();
  const byHash = new Map(torrents.map((t) => [t.infohash, t]));
  const stored = new Set(rows.map((r) => r.infohash));
  const wrongRows = rows.filter((r) => byHash.get(r.infohash)?.name !== r.name || byHash.get(r.infohash)?.size !== r.size).length;
  // A torrent no node took an announce for cannot be found by anyone: left out, and said so.
  const announced = torrents.filter((t) => t.announcedTo > 0);
  const reachable = announced.filter((t) => fetchable(t.kind));
  const hostileOnly = announced.filter((t) => !fetchable(t.kind));
  const fetched = reachable.filter((t) => stored.has(t.infohash)).length;
  const hostileStored = hostileOnly.filter((t) => stored.has(t.infohash)).length;
  const share = fetched / reachable.length;
  const byKind = (kind: string): string => {
    const list = torrents.filter((t) => t.kind === kind);
    return `${kind} ${list.filter((t) => stored.has(t.infohash)).length}/${list.length}`;
  };

  const live = samples.filter((s) => s.stored >= 0);
  const last = samples.at(-1)!;
  const finalStored = rows.length;
  const done = live.find((s) => s.stored >= finalStored) ?? last; // first sample with everything stored
  const firstFetch = live.find((s) => s.stored > 0);
  const cpuToDone = done.cpuMs;
  const cpuPerTorrent = cpuToDone / Math.max(1, finalStored);
  const cpuPerTorrentRun = last.cpuMs / Math.max(1, finalStored);
  const perCoreHour = finalStored / (cpuToDone / 3_600_000);
  const wallS = firstFetch !== undefined && done.t > firstFetch.t ? (done.t - firstFetch.t) / 1000 : NaN;
  // Flat: the peak after the first minute against the peak within it (a single sample may sit in a GC trough).
  const firstMinute = live.filter((s) => s.t < 60_000);
  const after60 = live.filter((s) => s.t >= 60_000);
  const peakFirst = Math.max(...firstMinute.map((s) => s.rss));
  const peakAfter = Math.max(...after60.map((s) => s.rss));
  const rssGrowth = peakAfter / peakFirst - 1;

  say('');
  say(`crawler process (${values.backend} core, ${values.ids} ids, --duration ${duration}): RSS / CPU / torrents stored, every ${printEvery} s`);
  say('    t s   RSS MiB   CPU ms   stored');
  for (const s of live.filter((_, i) => i % printEvery === 0 || _ === done)) {
    say(`${(s.t / 1000).toFixed(0).padStart(7)} ${(s.rss / MiB).toFixed(1).padStart(9)} ${s.cpuMs.toFixed(0).padStart(8)} ${String(s.stored).padStart(8)}`);
  }
  say(`  exit  ${(last.rss / MiB).toFixed(1).padStart(9)} ${last.cpuMs.toFixed(0).padStart(8)}`);
  say('');
  say(`harvested ${summary?.infohashes.unique ?? '?'} infohashes (${JSON.stringify(summary?.infohashes.uniqueBySource ?? {})}); fetch failures ${JSON.stringify(summary?.metadata.failures ?? {})}`);
  const m = summary?.metadata;
  say(`peers found by: ${m?.holderAsks ?? '?'} get_peers straight to a sampling node (${m?.holderPeers ?? '?'} peers), ${m?.lookups ?? '?'} get_peers lookups (${m?.lookupPeers ?? '?'} peers)`);
  if (announced.length < torrents.length) say(`left out: ${torrents.length - announced.length} torrents whose announces reached no node`);
  say(`stored by kind: ${['honest', 'mixed', 'silent', 'refusing', 'lying'].map(byKind).join(', ')}; rows not matching the seeded torrent: ${wrongRows}`);
  say(`hostile seeders' connections accepted: ${JSON.stringify(hostile)}`);
  if (datagramLine !== '') sayDatagrams(JSON.parse(datagramLine) as DatagramReport, finalStored);
  const cpuPerTorrentNet = (cpuToDone - idleLast.cpuMs) / Math.max(1, finalStored);
  say(`process fixed cost (same command, nobody to crawl, ${BASELINE_S} s): ${idleLast.cpuMs.toFixed(0)} ms CPU, ${(idleLast.rss / MiB).toFixed(1)} MiB RSS at exit; without it: ${cpuPerTorrentNet.toFixed(2)} ms CPU per verified torrent`);
  say(`CPU: ${cpuToDone.toFixed(0)} ms to the last torrent stored (t ${(done.t / 1000).toFixed(0)} s), of it ${live[0]?.cpuMs.toFixed(0)} ms by the first sample (process start) and ${done.systemMs.toFixed(0)} ms in the kernel (system time); ${last.cpuMs.toFixed(0)} ms over the whole run`);
  say(`throughput: ${perCoreHour.toFixed(0)} torrents per CPU-hour (per core); wall: ${finalStored} in ${wallS.toFixed(0)} s from the first stored (${((finalStored / wallS) * 3600).toFixed(0)}/h)`);
  say(`load (uptime) at the end: ${load()} on ${cpus().length} cores; crawl ${((Date.now() - crawlStarted) / 1000).toFixed(0)} s`);
  say('');
  const line = (ok: boolean, text: string): void => say(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  line(share >= 0.95, `fetched ${fetched} of ${reachable.length} torrents with an honest seeder = ${(share * 100).toFixed(1)}% (goal ≥ 95%)`);
  line(hostileStored === 0 && wrongRows === 0, `stored ${hostileStored} of ${hostileOnly.length} torrents whose seeders are all hostile, ${wrongRows} wrong rows (goal 0)`);
  line(cpuPerTorrent <= 5, `CPU per verified torrent ${cpuPerTorrent.toFixed(2)} ms to the last one stored, ${cpuPerTorrentRun.toFixed(2)} ms over the whole run (goal ≤ 5 ms)`);
  if (after60.length === 0) say(`----  RSS flat after the first minute: not judged (the run ended before 60 s; use --duration 120 or more)`);
  else line(rssGrowth <= 0.1, `RSS flat after the first minute: peak ${(peakAfter / MiB).toFixed(1)} MiB after 60 s vs ${(peakFirst / MiB).toFixed(1)} MiB within it (${rssGrowth >= 0 ? '+' : ''}${(rssGrowth * 100).toFixed(1)}%; goal ≤ +10%)`);
} finally {
  if (crawler && crawler.exitCode === null) crawler.kill('SIGKILL');
  if (world.connected) world.send('stop');
  await Promise.race([worldExited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (world.exitCode === null) world.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
