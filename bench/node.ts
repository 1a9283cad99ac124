/**
 * `npm run bench:node`: server CPU per answered query, node against node.
 *
 * One client (this process) keeps 256 KRPC queries in flight over loopback at
 * one server process at a time; each server reports its own CPU time
 * (process.cpuUsage(): every thread, as the OS accounts it) over IPC before
 * and after a round, and the difference is divided by the answers received.
 * Servers, each a child process: a bare node:dgram echo (the floor),
 * bittorrent-dht 11.0.12, and our node on the wasm and on the js core, the
 * last three with 1,000 nodes in their routing table. Rounds are interleaved
 * (every server and query kind once per round, each round's queries in
 * `--slices` turns, the servers alternating); medians are printed.
 *
 *   npm run bench:node -- [--queries 50000] [--rounds 3] [--slices 10] [--inflight 256]
 *                         [--only echo,bittorrent-dht,wasm,js] [--kinds ping,find_node,get_peers,get_peers-values]
 *                         [--profile wasm] [--syscalls]
 *
 * `--profile NAME` runs that server under `node --cpu-prof` and prints the
 * top self-time functions of its profile at the end. Its times are wall time
 * (V8 samples on a wall-clock timer): a send that wakes the client and is
 * preempted there shows up as time in `doSend` (see BENCHMARKS.md).
 * `--syscalls` (Linux, `perf` on PATH, root or perf_event_paranoid ≤ 1)
 * counts each server's syscalls and context switches over the measured rounds
 * with `perf stat` and prints them per answer: CPU time, not wall time.
 * BENCH_SERVER_ARGS (environment): extra node flags for the servers, e.g.
 * `--trace-gc` (NODE_OPTIONS refuses it).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import bencode from 'bencode';
import { LoadClient, queryMaker, randomTargets, type QueryMaker, type RoundResult, type Target } from './load.ts';
import type { ClientMessage, ServerMessage } from './servers/protocol.ts';
import { busyMs, formatByFile, formatTop, selfTimeByFile, topSelfTime } from './profile.ts';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const QUERIES = Number(option('queries', '50000'));
const ROUNDS = Number(option('rounds', '3'));
const INFLIGHT = Number(option('inflight', '256'));
const WARMUP = Math.min(QUERIES, 5_000);
const PROFILE = option('profile', '');
/** Comma-separated: ping, find_node, get_peers, get_peers-values (default: all). */
const KINDS = option('kinds', '');
/** Issue #13 item 5: ping and find_node ≤ 1.10× the echo, get_peers with 50 stored peers ≤ 1.25× (get_peers from the table: the issue states none, 1.25× kept). */
const goalFor = (kind: string): number => (kind === 'ping' || kind === 'find_node' ? 1.1 : 1.25);
const STORED_PEERS = 50;
/** Each round's queries per server and kind are sent in this many slices, the servers taking turns. */
const SLICES = Math.max(1, Number(option('slices', '10')));
const SYSCALLS = process.argv.includes('--syscalls');
/** What `--syscalls` counts: the send/receive syscalls, the event loop's waits and watch changes (a send queued in libuv adds epoll_ctl), wakeups between threads. */
const PERF_EVENTS = [
  'task-clock',
  'context-switches',
  'syscalls:sys_enter_sendmsg',
  'syscalls:sys_enter_sendmmsg',
  'syscalls:sys_enter_recvmsg',
  'syscalls:sys_enter_recvmmsg',
  'syscalls:sys_enter_epoll_wait',
  'syscalls:sys_enter_epoll_pwait',
  'syscalls:sys_enter_epoll_ctl',
  'syscalls:sys_enter_futex',
  'syscalls:sys_enter_write',
];

interface ServerSpec {
  name: string;
  label: string;
  file: string;
  args: string[];
  echo: boolean;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const ALL: ServerSpec[] = [
  { name: 'echo', label: 'echo (node:dgram)', file: here('./servers/echo.ts'), args: [], echo: true },
  { name: 'bittorrent-dht', label: 'bittorrent-dht 11.0.12', file: here('./servers/bittorrent-dht.ts'), args: ['1000'], echo: false },
  { name: 'wasm', label: 'btdht (wasm)', file: here('./servers/btdht.ts'), args: ['wasm', '1000'], echo: false },
  { name: 'js', label: 'btdht (js)', file: here('./servers/btdht.ts'), args: ['js', '1000'], echo: false },
];
const only = option('only', '');
const SPECS = only ? ALL.filter((s) => only.split(',').includes(s.name)) : ALL;

/** A server child process and its control channel. */
class Server {
  readonly target: Target;
  readonly detail: string;
  #waiting: ((m: ServerMessage) => void) | undefined;

  private constructor(
    readonly spec: ServerSpec,
    readonly child: ChildProcess,
    ready: Extract<ServerMessage, { type: 'ready' }>,
  ) {
    this.target = { host: ready.host, port: ready.port, echo: spec.echo };
    this.detail = ready.detail;
    child.on('message', (m: ServerMessage) => this.#waiting?.(m));
  }

  static async start(spec: ServerSpec, profileDir: string | undefined): Promise<Server> {
    const execArgv = ['--import', 'tsx', ...(process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean)];
    if (profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
    const child = fork(spec.file, spec.args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<Extract<ServerMessage, { type: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${spec.name}: not ready in 30 s`)), 30_000);
      child.once('message', (m: ServerMessage) => {
        clearTimeout(timer);
        if (m.type === 'ready') resolve(m);
        else reject(new Error(`${spec.name}: ${m.type === 'error' ? m.message : 'unexpected message'}`));
      });
      child.once('exit', (code) => reject(new Error(`${spec.name}: exited with ${code} during setup`)));
    });
    return new Server(spec, child, ready);
  }

  /** CPU time used by the server process so far, in µs. */
  cpu(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.spec.name}: no CPU reading`)), 5_000);
      this.#waiting = (m) => {
        if (m.type !== 'cpu') return;
        clearTimeout(timer);
        this.#waiting = undefined;
        resolve(m.user + m.system);
      };
      this.child.send({ type: 'cpu' } satisfies ClientMessage);
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' } satisfies ClientMessage);
    const timer = setTimeout(() => this.child.kill(), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

interface QueryKind {
  name: string;
  make: QueryMaker;
}

interface Sample {
  usPerAnswer: number;
  round: RoundResult;
}

/** Busy CPU time of the whole machine so far in µs (Linux /proc/stat), or undefined elsewhere. */
function machineBusy(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return ((user + nice + system + irq + softirq + steal) * 1e6) / 100; // USER_HZ = 100 on Linux
  } catch {
    return undefined;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Store STORED_PEERS peers for `infohash` on a server: get_peers for a token, then announce_peer with as many ports. */
async function storePeers(client: LoadClient, clientId: Buffer, server: Server, infohash: Buffer): Promise<number> {
  if (server.target.echo) return 0;
  const ask = (q: string, a: Record<string, unknown>, t: number): Promise<Buffer | undefined> =>
    client.ask(server.target, Buffer.from(bencode.encode({ t: Buffer.from([t >> 8, t & 0xff]), y: 'q', q, a: { id: clientId, ...a } })));
  const first = await ask('get_peers', { info_hash: infohash }, 0xfff0);
  const r = first && (bencode.decode(first) as { r?: { token?: Uint8Array } }).r;
  if (!r?.token) throw new Error(`${server.spec.name}: no token in its get_peers answer`);
  let stored = 0;
  for (let i = 0; i < STORED_PEERS; i++) {
    const answer = await ask('announce_peer', { info_hash: infohash, port: 20_000 + i, token: r.token }, 0xff00 + i);
    if (answer && (bencode.decode(answer) as { y?: Uint8Array }).y?.[0] === 0x72) stored++;
  }
  return stored;
}

async function main(): Promise<void> {
  const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'btdht-prof-')) : undefined;
  const clientId = randomBytes(20);
  const client = new LoadClient(clientId);
  const servers: Server[] = [];
  try {
    for (const spec of SPECS) servers.push(await Server.start(spec, spec.name === PROFILE ? profileDir : undefined));
    for (const s of servers) console.error(`# ${s.spec.name}: ${s.detail}, udp ${s.target.host}:${s.target.port}`);

    const storedInfohash = randomBytes(20);
    for (const s of servers) {
      const stored = await storePeers(client, clientId, s, storedInfohash);
      if (!s.target.echo) console.error(`# ${s.spec.name}: ${stored} peers stored for the 'get_peers (values)' kind`);
    }
    const allKinds: QueryKind[] = [
      { name: 'ping', make: queryMaker(clientId, 'ping') },
      { name: 'find_node', make: queryMaker(clientId, 'find_node', randomTargets(4096)) },
      { name: 'get_peers', make: queryMaker(clientId, 'get_peers', randomTargets(4096)) },
      { name: 'get_peers (values)', make: queryMaker(clientId, 'get_peers', [storedInfohash]) },
    ];
    const kinds = KINDS ? allKinds.filter((k) => KINDS.split(',').includes(k.name.replace(' (values)', '-values'))) : allKinds;

    // Warm up every server on every kind (JIT, caches, our client id into their tables).
    for (const kind of kinds) for (const s of servers) await client.run(s.target, kind.make, WARMUP, INFLIGHT);
    const counters = SYSCALLS ? await Promise.all(servers.map((s) => PerfStat.start(s.child.pid!))) : [];

    const samples = new Map<string, Sample[]>();
    const backgrounds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of kinds) {
        // Rotate the order each round so no server always runs first.
        const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
        // A round's queries go in slices, the servers taking turns slice by slice: a neighbour's burst of a
        // second or two then falls on every server alike instead of on whichever had the whole round then.
        const totals = new Map<Server, { used: number; client: number; other: number; result: RoundResult }>();
        for (let slice = 0; slice < SLICES; slice++) {
          const count = Math.floor(QUERIES / SLICES) + (slice < QUERIES % SLICES ? 1 : 0);
          for (const s of order) {
            const before = await s.cpu();
            const clientBefore = process.cpuUsage();
            const busyBefore = machineBusy();
            const part = await client.run(s.target, kind.make, count, INFLIGHT);
            const busyAfter = machineBusy();
            const clientUsage = process.cpuUsage(clientBefore);
            const used = (await s.cpu()) - before;
            const clientUs = clientUsage.user + clientUsage.system;
            // What other processes took meanwhile (µs of CPU): a noisy neighbour shows here.
            const other = busyBefore === undefined || busyAfter === undefined ? Number.NaN : Math.max(0, busyAfter - busyBefore - used - clientUs);
            const sum = totals.get(s) ?? { used: 0, client: 0, other: 0, result: { sent: 0, answers: 0, errors: 0, lost: 0, wallMs: 0 } };
            sum.used += used;
            sum.client += clientUs;
            sum.other += other;
            for (const field of ['sent', 'answers', 'errors', 'lost', 'wallMs'] as const) sum.result[field] += part[field];
            totals.set(s, sum);
          }
        }
        for (const s of order) {
          const { used, client: clientUs, other, result } = totals.get(s)!;
          const background = other / (result.wallMs * 1000 * cpus().length);
          backgrounds.push(background);
          const key = `${s.spec.name}|${kind.name}`;
          const list = samples.get(key) ?? [];
          list.push({ usPerAnswer: result.answers > 0 ? used / result.answers : Number.NaN, round: result });
          samples.set(key, list);
          console.error(
            `# round ${round + 1} ${kind.name.padEnd(18)} ${s.spec.name.padEnd(15)} ${(used / result.answers).toFixed(2).padStart(8)} µs/answer  ` +
              `${result.answers} answers, ${result.errors} errors, ${result.lost} lost, ${Math.round((result.answers / result.wallMs) * 1000)} answers/s, ` +
              `client ${(clientUs / result.answers).toFixed(1)} µs/answer, other processes ${(background * 100).toFixed(0)}% of the machine`,
          );
        }
      }
    }
    console.log(report(servers, kinds, samples));
    if (SYSCALLS) {
      const answered = servers.map((s) => [...samples.entries()].filter(([key]) => key.startsWith(`${s.spec.name}|`)).reduce((sum, [, list]) => sum + list.reduce((n, x) => n + x.round.answers, 0), 0));
      const counts = await Promise.all(counters.map((c) => c?.stop()));
      console.log(syscallReport(servers, counts, answered));
    }
    const load = backgrounds.filter((b) => !Number.isNaN(b));
    if (load.length > 0) {
      console.log(`Other processes used ${(median(load) * 100).toFixed(0)}% of the machine's CPU during a median round (max ${(Math.max(...load) * 100).toFixed(0)}%): above ~5% the figures are noisy.`);
    }
  } finally {
    for (const s of servers) await s.stop();
    await client.close();
  }
  if (profileDir) {
    // One profile per thread (tsx's loader runs in a worker): the busiest one is the server's main thread.
    const files = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profileDir, f))
      .sort((a, b) => busyMs(b) - busyMs(a));
    if (files[0]) {
      console.log(`\nCPU profile of the '${PROFILE}' server's main thread (${files[0]}), top 10 functions by self time:\n`);
      console.log(formatTop(topSelfTime(files[0], 10)));
      console.log(`\nBy file:\n\n${formatByFile(selfTimeByFile(files[0]))}`);
    }
  }
}

/** `perf stat` attached to one process until stopped; undefined when perf cannot run here. */
class PerfStat {
  private constructor(
    private readonly child: ChildProcess,
    private readonly output: Promise<string>,
  ) {}

  static async start(pid: number): Promise<PerfStat | undefined> {
    const child = spawn('perf', ['stat', '-x', ',', '-e', PERF_EVENTS.join(','), '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const output = new Promise<string>((resolve) => {
      child.once('error', () => resolve(''));
      child.once('exit', () => resolve(text));
    });
    // perf reports a failure to attach at once: give it a moment before the rounds start.
    const early = await Promise.race([output.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 500))]);
    if (early) {
      console.error(`# --syscalls: perf stat could not run here (${text.trim().split('\n')[0] ?? 'not found'})`);
      return undefined;
    }
    return new PerfStat(child, output);
  }

  /** Stop counting: event name → count. */
  async stop(): Promise<Map<string, number>> {
    this.child.kill('SIGINT');
    const text = await this.output;
    const counts = new Map<string, number>();
    for (const line of text.split('\n')) {
      const [value, , event] = line.split(',');
      if (event && value !== undefined && !Number.isNaN(Number(value))) counts.set(event, Number(value));
    }
    return counts;
  }
}

function syscallReport(servers: Server[], counts: (Map<string, number> | undefined)[], answered: number[]): string {
  const per = (c: Map<string, number>, event: string, n: number, scale = 1): string => {
    const v = c.get(event);
    return v === undefined ? '–' : ((v * scale) / n).toFixed(scale === 1 ? 3 : 2);
  };
  const lines = [
    '',
    `Per answer over the measured rounds (perf stat -p on each server: ${PERF_EVENTS.length} events):`,
    '',
    '| server | task-clock µs | sendmsg | recvmsg | epoll_(p)wait | epoll_ctl | futex | write | context switches |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  servers.forEach((s, i) => {
    const c = counts[i];
    const n = answered[i]!;
    if (!c || n === 0) return;
    const waits = (c.get('syscalls:sys_enter_epoll_wait') ?? 0) + (c.get('syscalls:sys_enter_epoll_pwait') ?? 0);
    lines.push(
      `| ${s.spec.name} | ${per(c, 'task-clock', n, 1000)} | ${per(c, 'syscalls:sys_enter_sendmsg', n)} | ${per(c, 'syscalls:sys_enter_recvmsg', n)} | ${(waits / n).toFixed(3)} | ` +
        `${per(c, 'syscalls:sys_enter_epoll_ctl', n)} | ${per(c, 'syscalls:sys_enter_futex', n)} | ${per(c, 'syscalls:sys_enter_write', n)} | ${per(c, 'context-switches', n)} |`,
    );
  });
  return lines.join('\n');
}

function report(servers: Server[], kinds: QueryKind[], samples: Map<string, Sample[]>): string {
  const med = (server: string, kind: string): number | undefined => {
    const list = samples.get(`${server}|${kind}`);
    return list ? median(list.map((s) => s.usPerAnswer)) : undefined;
  };
  /** Median over rounds of a / b measured in the same round: pairs each server with its neighbours in time. */
  const pairedRatio = (a: string, b: string, kind: string): number | undefined => {
    const as = samples.get(`${a}|${kind}`);
    const bs = samples.get(`${b}|${kind}`);
    if (!as || !bs) return undefined;
    return median(as.map((s, i) => s.usPerAnswer / bs[i]!.usPerAnswer));
  };
  const fmt = (us: number | undefined): string => (us === undefined || Number.isNaN(us) ? '–' : `${us.toFixed(1)} µs`);
  const ratio = (r: number | undefined): string => (r === undefined ? '–' : `${r.toFixed(2)}×`);
  const names = servers.map((s) => s.spec.name);
  const ours = names.filter((n) => n === 'wasm' || n === 'js');
  const header = [
    'query',
    ...servers.map((s) => s.spec.label),
    ...ours.map((n) => `btdht (${n}) / echo`),
    ...(names.includes('bittorrent-dht') ? ours.map((n) => `bittorrent-dht / btdht (${n})`) : []),
    ...(names.includes('echo') ? ours.map((n) => `goal (${n})`) : []),
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const kind of kinds) {
    const k = kind.name;
    const hasEcho = names.includes('echo');
    const hasBt = names.includes('bittorrent-dht');
    const cells = [
      k,
      ...names.map((n) => (n !== 'echo' && hasEcho ? `${fmt(med(n, k))} (${ratio(pairedRatio(n, 'echo', k))})` : fmt(med(n, k)))),
      ...ours.map((n) => ratio(pairedRatio(n, 'echo', k))),
      ...(hasBt ? ours.map((n) => ratio(pairedRatio('bittorrent-dht', n, k))) : []),
      ...(hasEcho
        ? ours.map((n) => {
            const r = pairedRatio(n, 'echo', k)!;
            const goal = goalFor(k);
            return `≤ ${goal.toFixed(2)}×: ${r <= goal ? 'met' : `not met (${((r / goal - 1) * 100).toFixed(0)}% over)`}`;
          })
        : []),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const lost = [...samples.values()].flat().reduce((sum, s) => sum + s.round.lost, 0);
  const errors = [...samples.values()].flat().reduce((sum, s) => sum + s.round.errors, 0);
  lines.push(
    '',
    `Server CPU µs per answer (user + system, all threads), median of ${ROUNDS} interleaved rounds of ${QUERIES} queries (in ${SLICES} slices, the servers taking turns), ${INFLIGHT} in flight; ` +
      `ratios are medians of the per-round ratios (both servers measured in the same round); ${lost} queries lost, ${errors} error answers in all rounds.`,
  );
  return lines.join('\n');
}

await main();
