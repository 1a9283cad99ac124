/**
 * The footprint load against one node process (issue #14 item 7): junk
 * datagrams from many loopback addresses, then valid announces for random
 * infohashes (each after a get_peers for the same infohash gave the token, as
 * a real peer would), while a new client asks the node ping / find_node /
 * get_peers all along and counts the answers. The node's RSS is read from
 * /proc before, at each checkpoint (after a short settle), and every 100 ms
 * for the peak. Bounded in count and time: every phase has a deadline.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { readEnvelope } from '../load.ts';
import { announceTemplate, fill, getPeersTemplate, tokenOf } from '../harvest/krpc.ts';
import { udpSocketDrops } from '../harvest/proc-net-udp.ts';
import { junkDatagram, junkRandom } from './junk.ts';
import { rssBytes, type NodeProcess } from './process.ts';
import { Sources } from './sources.ts';

export interface FootprintPlan {
  /** Source addresses (default 1,000) under `sourcePrefix` (127.a). */
  sources: number;
  sourcePrefix: string;
  /** Junk datagrams, in all (default 200,000), sent open loop at `junkRate` a second. */
  junk: number;
  junkRate: number;
  /** Valid announces (default 50,000), each after its get_peers; RSS is read after each checkpoint count. */
  announces: number;
  checkpoints: number[];
  /** Announce jobs (get_peers then announce_peer) in flight at once. */
  inflight: number;
  /** Per query. */
  timeoutMs: number;
  /** Wait after each phase before reading RSS (the node works through its backlog). */
  settleMs: number;
  /** The new client: its address and how often it asks. */
  proberHost: string;
  probeIntervalMs: number;
  /** Every phase ends by this long at most. */
  phaseDeadlineMs: number;
  seed: number;
}

export const DEFAULT_PLAN: FootprintPlan = {
  sources: 1_000,
  sourcePrefix: '127.77',
  junk: 200_000,
  junkRate: 20_000,
  announces: 50_000,
  checkpoints: [10_000, 50_000],
  inflight: 64,
  timeoutMs: 2_000,
  settleMs: 1_000,
  proberHost: '127.78.0.1',
  probeIntervalMs: 20,
  phaseDeadlineMs: 120_000,
  seed: 14,
};

export interface Checkpoint {
  label: string;
  rss: number;
  growth: number;
}

export interface ProbeCounts {
  sent: number;
  answered: number;
  errors: number;
  lost: number;
}

export interface FootprintResult {
  label: string;
  baseline: number;
  checkpoints: Checkpoint[];
  /** Highest RSS sampled during the load, above the baseline. */
  peakGrowth: number;
  junkSent: number;
  getPeers: { sent: number; tokens: number };
  announce: { sent: number; answered: number; errors: number; lost: number };
  /** The new client's queries during the load. */
  probe: ProbeCounts;
  /** Datagrams the kernel dropped at the node's socket (its receive buffer full), when /proc tells. */
  kernelDrops: number | undefined;
  seconds: number;
}

/** Reads RSS every `everyMs`, keeping the peak. */
class RssWatch {
  peak = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(readonly pid: number, everyMs = 100) {
    this.#timer = setInterval(() => this.read(), everyMs);
  }

  read(): number {
    const rss = rssBytes(this.pid);
    if (rss === undefined) throw new Error(`process ${this.pid} is gone`);
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** The new client: asks ping, find_node, get_peers in turn, one every `everyMs`, and counts what comes back. */
class Prober {
  readonly counts: ProbeCounts = { sent: 0, answered: 0, errors: 0, lost: 0 };
  readonly #socket: Socket;
  readonly #pending = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #id = randomBytes(20);
  #timer: ReturnType<typeof setInterval> | undefined;
  #tid = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      const { tid, y } = readEnvelope(data);
      const timer = this.#pending.get(tid);
      if (timer === undefined) return;
      clearTimeout(timer);
      this.#pending.delete(tid);
      if (y === 0x72 /* r */) this.counts.answered++;
      else this.counts.errors++;
    });
  }

  static async open(host: string, to: { host: string; port: number }): Promise<Prober> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        socket.connect(to.port, to.host, () => resolve());
      });
    });
    return new Prober(socket);
  }

  start(everyMs: number, timeoutMs: number): void {
    const enc = (s: string): Buffer => Buffer.from(s, 'latin1');
    this.#timer = setInterval(() => {
      const tid = (this.#tid = (this.#tid + 1) & 0xffff);
      const t = Buffer.from([tid >> 8, tid & 0xff]);
      const kind = this.counts.sent % 3;
      const args =
        kind === 0 ? Buffer.concat([enc('d2:id20:'), this.#id, enc('e')])
        : kind === 1 ? Buffer.concat([enc('d2:id20:'), this.#id, enc('6:target20:'), randomBytes(20), enc('e')])
        : Buffer.concat([enc('d2:id20:'), this.#id, enc('9:info_hash20:'), randomBytes(20), enc('e')]);
      const method = kind === 0 ? 'ping' : kind === 1 ? 'find_node' : 'get_peers';
      const query = Buffer.concat([enc('d1:a'), args, enc(`1:q${method.length}:${method}1:t2:`), t, enc('1:y1:qe')]);
      this.#pending.set(
        tid,
        setTimeout(() => {
          this.#pending.delete(tid);
          this.counts.lost++;
        }, timeoutMs),
      );
      this.counts.sent++;
      this.#socket.send(query);
    }, everyMs);
  }

  /** Stop asking, wait for the answers still due, close. */
  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.#timer);
    const until = Date.now() + timeoutMs + 100;
    while (this.#pending.size > 0 && Date.now() < until) await sleep(20);
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.counts.lost += this.#pending.size;
    this.#pending.clear();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}

/** Junk, open loop at `rate` a second, in ticks of 10 ms, the sources in turn. */
async function sendJunk(sources: Sources, plan: FootprintPlan, deadline: number): Promise<number> {
  const next = junkRandom(plan.seed);
  const perTick = Math.max(1, Math.round(plan.junkRate / 100));
  const start = performance.now();
  let sent = 0;
  while (sent < plan.junk && Date.now() < deadline) {
    const due = Math.min(plan.junk, Math.floor(((performance.now() - start) / 1000) * plan.junkRate) + perTick);
    for (; sent < due; sent++) sources.send(sent, junkDatagram(next, sent));
    await sleep(10);
  }
  return sent;
}

/**
 * Announces `from`..`to` (exclusive): job j is source j mod N asking get_peers
 * for a random infohash, then announcing it with the token it got.
 */
async function announce(sources: Sources, plan: FootprintPlan, from: number, to: number, deadline: number, out: FootprintResult): Promise<void> {
  const getPeers = Array.from({ length: sources.count }, (_, i) => getPeersTemplate(sources.id(i)));
  const announces = new Map<number, ReturnType<typeof announceTemplate>>();
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to && Date.now() < deadline) {
      const job = next++;
      const source = job % sources.count;
      const infohash = randomBytes(20);
      const tid = sources.tid(source);
      out.getPeers.sent++;
      const answer = await sources.ask(source, tid, fill(getPeers[source]!, tid, infohash), plan.timeoutMs);
      const token = answer ? tokenOf(answer) : undefined;
      if (!token) continue;
      out.getPeers.tokens++;
      let template = announces.get(source);
      if (!template || !template.bytes.includes(Buffer.from(token))) {
        template = announceTemplate(sources.id(source), token, 6881 + (job % 50_000));
        announces.set(source, template);
      }
      const tid2 = sources.tid(source);
      out.announce.sent++;
      const ack = await sources.ask(source, tid2, fill(template, tid2, infohash), plan.timeoutMs);
      if (!ack) out.announce.lost++;
      else if (readEnvelope(ack).y === 0x72 /* r */) out.announce.answered++;
      else out.announce.errors++;
    }
  };
  await Promise.all(Array.from({ length: plan.inflight }, worker));
}

/** Run the whole load against `node`; the node is left running (the caller stops it). */
export async function runFootprint(node: NodeProcess, plan: FootprintPlan = DEFAULT_PLAN, log: (line: string) => void = () => {}): Promise<FootprintResult> {
  const started = performance.now();
  const to = { host: node.host, port: node.port };
  const watch = new RssWatch(node.pid);
  const sources = await Sources.open(plan.sourcePrefix, plan.sources, to);
  const prober = await Prober.open(plan.proberHost, to);
  const result: FootprintResult = {
    label: node.label,
    baseline: 0,
    checkpoints: [],
    peakGrowth: 0,
    junkSent: 0,
    getPeers: { sent: 0, tokens: 0 },
    announce: { sent: 0, answered: 0, errors: 0, lost: 0 },
    probe: prober.counts,
    kernelDrops: undefined,
    seconds: 0,
  };
  const dropsBefore = udpSocketDrops(node.host, node.port);
  try {
    await sleep(plan.settleMs);
    result.baseline = watch.read();
    watch.peak = result.baseline;
    const checkpoint = async (label: string): Promise<void> => {
      await sleep(plan.settleMs);
      const rss = watch.read();
      result.checkpoints.push({ label, rss, growth: rss - result.baseline });
      log(`${node.label}: ${label}: RSS ${mib(rss)} (${signedMib(rss - result.baseline)})`);
    };
    prober.start(plan.probeIntervalMs, plan.timeoutMs);
    result.junkSent = await sendJunk(sources, plan, Date.now() + plan.phaseDeadlineMs);
    await checkpoint(`after ${result.junkSent.toLocaleString('en-US')} junk datagrams`);
    let done = 0;
    for (const count of plan.checkpoints) {
      await announce(sources, plan, done, Math.min(count, plan.announces), Date.now() + plan.phaseDeadlineMs, result);
      done = Math.min(count, plan.announces);
      await checkpoint(`after ${done.toLocaleString('en-US')} announces`);
    }
    await prober.stop(plan.timeoutMs);
  } finally {
    watch.stop();
    await sources.close();
  }
  result.peakGrowth = watch.peak - result.baseline;
  const dropsAfter = udpSocketDrops(node.host, node.port);
  result.kernelDrops = dropsBefore !== undefined && dropsAfter !== undefined ? dropsAfter - dropsBefore : undefined;
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function signedMib(bytes: number): string {
  return `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}`;
}
