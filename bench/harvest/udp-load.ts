/**
 * The load generator of the loopback harvest benchmark, a child process (so
 * its CPU is not the harvesting process's): one connected UDP socket sending
 * get_peers and announce_peer (with the token the node gave this address)
 * for random infohashes at a fixed rate, open loop — it does not wait for
 * answers, so a node that cannot keep up drops queries rather than slowing
 * the load down. Answers are counted by kind; the node's pings (checking a
 * new contact) are answered so that it takes us into its table once.
 *
 * Control over IPC (see LoadMessage): a 'plan', then one window of load per
 * 'go' ('sent' when the last query is out; the parent then waits for the node
 * to work through its backlog and asks for a 'report', answered by 'done'
 * with the counts so far), until 'stop'. The load itself is UDP on loopback.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { randomBytes, randomFillSync } from 'node:crypto';
import { readEnvelope } from '../load.ts';
import { announceTemplate, fill, getPeersTemplate, tokenOf } from './krpc.ts';
import { udpSocketDrops } from './proc-net-udp.ts';

export interface LoadPlan {
  host: string;
  port: number;
  /** Queries per second. */
  rate: number;
  seconds: number;
  /** Share of the queries that are announce_peer. */
  announceShare: number;
}

/** Counts since the generator started (the parent takes differences between windows). */
export interface LoadReport {
  sent: { get_peers: number; announce_peer: number };
  answers: { get_peers: number; announce_peer: number };
  errors: { get_peers: number; announce_peer: number };
  /** send() calls that failed (the socket's own send buffer full, or unreachable). */
  sendErrors: number;
  /** Pings from the node answered. */
  pingsAnswered: number;
  /** Answers the kernel dropped at our socket (our receive buffer full). */
  ownDrops: number | undefined;
  /** Of the last window. */
  sendSeconds: number;
}

/** Parent → generator. */
export type ControlMessage = { type: 'plan'; plan: LoadPlan } | { type: 'go' } | { type: 'report' } | { type: 'stop' };
/** Generator → parent. */
export type LoadMessage = { type: 'ready' } | { type: 'sent' } | { type: 'done'; report: LoadReport } | { type: 'error'; message: string };

/** Transaction ids: the top bit says announce_peer, the rest counts. */
const ANNOUNCE_BIT = 0x8000;
/** Most queries sent per turn of the event loop, so answers are read in between. */
const BURST = 256;
/** How long to keep reading answers once the node has worked through its backlog. */
const GRACE_MS = 200;
const PEER_PORT = 51_413;

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

function tell(message: LoadMessage): void {
  process.send?.(message);
}

async function connect(plan: LoadPlan): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      try {
        socket.setRecvBufferSize(4 * 1024 * 1024);
        socket.setSendBufferSize(4 * 1024 * 1024);
      } catch {
        // Capped by the OS: the defaults still work, with more loss.
      }
      socket.connect(plan.port, plan.host, () => resolve(socket));
    });
  });
}

async function main(plan: LoadPlan): Promise<void> {
  const id = randomBytes(20);
  const socket = await connect(plan);
  const report: LoadReport = {
    sent: { get_peers: 0, announce_peer: 0 },
    answers: { get_peers: 0, announce_peer: 0 },
    errors: { get_peers: 0, announce_peer: 0 },
    sendErrors: 0,
    pingsAnswered: 0,
    ownDrops: undefined,
    sendSeconds: 0,
  };
  let awaitingToken: ((token: Uint8Array) => void) | undefined;
  socket.on('message', (data: Buffer) => {
    const { tid, y, tAt } = readEnvelope(data);
    if (y === 0x71 /* q: the node checks us */) {
      if (tAt < 0) return;
      socket.send(Buffer.concat([enc('d1:rd2:id20:'), id, enc('e1:t2:'), data.subarray(tAt, tAt + 2), enc('1:y1:re')]));
      report.pingsAnswered++;
      return;
    }
    if (tid < 0) return;
    if (awaitingToken && y === 0x72 /* r */) {
      const token = tokenOf(data);
      if (token) awaitingToken(token);
      return;
    }
    const kind = tid & ANNOUNCE_BIT ? 'announce_peer' : 'get_peers';
    if (y === 0x72) report.answers[kind]++;
    else if (y === 0x65 /* e */) report.errors[kind]++;
  });
  socket.on('error', () => report.sendErrors++);

  // Tokens are bound to our IP: one get_peers gives the token for every announce.
  const getPeers = getPeersTemplate(id);
  const token = await new Promise<Uint8Array>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no token from the node in 5 s')), 5_000);
    awaitingToken = (t) => {
      clearTimeout(timer);
      awaitingToken = undefined;
      resolve(t);
    };
    socket.send(fill(getPeers, 0, randomBytes(20)));
  });
  const announce = announceTemplate(id, token, PEER_PORT);
  tell({ type: 'ready' });

  const pool = Buffer.allocUnsafe(20 * 4096);
  let poolAt = pool.length;
  let seq = 0;
  // One window of load per 'go', until 'stop'.
  for (let message = await nextControl(); message.type === 'go'; message = await nextControl()) {
    const start = performance.now();
    const first = seq;
    const total = Math.round(plan.rate * plan.seconds);
    await new Promise<void>((resolve) => {
      const turn = (): void => {
        const due = first + Math.min(total, Math.floor(((performance.now() - start) / 1000) * plan.rate));
        for (let n = 0; n < BURST && seq < due; n++, seq++) {
          if (poolAt >= pool.length) {
            randomFillSync(pool);
            poolAt = 0;
          }
          // Every `1 / announceShare`-th query is an announce, spread evenly.
          const isAnnounce = Math.floor((seq + 1) * plan.announceShare) > Math.floor(seq * plan.announceShare);
          const tid = (seq & 0x7fff) | (isAnnounce ? ANNOUNCE_BIT : 0);
          socket.send(fill(isAnnounce ? announce : getPeers, tid, pool, poolAt));
          poolAt += 20;
          report.sent[isAnnounce ? 'announce_peer' : 'get_peers']++;
        }
        if (seq >= first + total) resolve();
        else setImmediate(turn);
      };
      turn();
    });
    report.sendSeconds = (performance.now() - start) / 1000;
    tell({ type: 'sent' });
    if ((await nextControl()).type !== 'report') break;
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS));
    report.ownDrops = udpSocketDrops('127.0.0.1', socket.address().port);
    tell({ type: 'done', report });
  }
  socket.close();
}

function nextControl(): Promise<ControlMessage> {
  return new Promise((resolve) => process.once('message', (m: ControlMessage) => resolve(m)));
}

process.once('message', (message: ControlMessage) => {
  if (message.type !== 'plan') return;
  main(message.plan).then(
    () => process.disconnect?.(),
    (error: unknown) => {
      tell({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    },
  );
});
