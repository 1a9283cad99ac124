/**
 * The load generator of the node benchmark: one UDP socket keeping a fixed
 * number of KRPC queries in flight at one server, matching answers by
 * transaction id. Independent of the code under test: queries are spliced
 * from byte templates and answers are read with a tiny bencode walker.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

export interface Target {
  host: string;
  port: number;
  /** An echo server sends our query back: count it as the answer. */
  echo: boolean;
}

export interface RoundResult {
  sent: number;
  /** 'r' answers (or echoes). */
  answers: number;
  /** 'e' answers: should stay 0. */
  errors: number;
  /** No answer within the timeout. */
  lost: number;
  wallMs: number;
}

/** A query kind: makes the bytes of the i-th query with transaction id `tid`. */
export type QueryMaker = (tid: number, i: number) => Buffer;

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

/** `d1:ad2:id20:<id>[<key><20 bytes>]e1:q<method>1:t2:<tid>1:y1:qe`, with the offsets to patch. */
function template(id: Buffer, method: string, key?: string): { bytes: Buffer; tidAt: number; argAt: number } {
  const head = Buffer.concat([enc('d1:ad2:id20:'), id]);
  const arg = key ? Buffer.concat([enc(`${key.length}:${key}20:`), Buffer.alloc(20)]) : Buffer.alloc(0);
  const mid = enc(`e1:q${method.length}:${method}1:t2:`);
  const tail = enc('1:y1:qe');
  const bytes = Buffer.concat([head, arg, mid, Buffer.alloc(2), tail]);
  return { bytes, tidAt: head.length + arg.length + mid.length, argAt: head.length + arg.length - 20 };
}

/** Queries of one method; `targets` (20-byte each) are cycled through when the method takes one. */
export function queryMaker(id: Buffer, method: 'ping' | 'find_node' | 'get_peers', targets: Buffer[] = []): QueryMaker {
  const key = method === 'find_node' ? 'target' : method === 'get_peers' ? 'info_hash' : undefined;
  const { bytes, tidAt, argAt } = template(id, method, key);
  return (tid, i) => {
    const out = Buffer.allocUnsafe(bytes.length);
    bytes.copy(out);
    out[tidAt] = tid >> 8;
    out[tidAt + 1] = tid & 0xff;
    if (key) targets[i % targets.length]!.copy(out, argAt);
    return out;
  };
}

export function randomTargets(count: number): Buffer[] {
  return Array.from({ length: count }, () => randomBytes(20));
}

/** Skip one bencoded value at `i`; the index after it, or -1 if malformed. */
function skip(b: Buffer, i: number, depth = 0): number {
  if (i >= b.length || depth > 32) return -1;
  const c = b[i]!;
  if (c === 0x69 /* i */) {
    const end = b.indexOf(0x65, i + 1);
    return end < 0 ? -1 : end + 1;
  }
  if (c === 0x6c /* l */ || c === 0x64 /* d */) {
    i++;
    while (i >= 0 && i < b.length && b[i] !== 0x65) i = skip(b, i, depth + 1);
    return i < 0 || i >= b.length ? -1 : i + 1;
  }
  if (c >= 0x30 && c <= 0x39) {
    const [length, colon] = readLength(b, i);
    const end = colon + 1 + length;
    return colon < 0 || end > b.length ? -1 : end;
  }
  return -1;
}

/** A string's length prefix at `i`: [length, index of the colon] (colon -1 if malformed). */
function readLength(b: Buffer, i: number): [number, number] {
  let length = 0;
  for (let j = i; j < b.length && j < i + 8; j++) {
    const c = b[j]!;
    if (c === 0x3a) return [length, j];
    if (c < 0x30 || c > 0x39) break;
    length = length * 10 + (c - 0x30);
  }
  return [0, -1];
}

/** The top-level `t` (as a 16-bit number, -1 if absent or not 2 bytes) and `y` byte of a KRPC message. */
export function readEnvelope(b: Buffer): { tid: number; y: number; tAt: number } {
  let tid = -1;
  let y = 0;
  let tAt = -1;
  if (b[0] !== 0x64) return { tid, y, tAt };
  let i = 1;
  while (i > 0 && i < b.length && b[i] !== 0x65) {
    const [keyLength, colon] = readLength(b, i);
    if (colon < 0) break;
    const keyAt = colon + 1;
    const valueAt = keyAt + keyLength;
    if (keyLength === 1 && b[keyAt] === 0x74 /* t */) {
      if (b[valueAt] === 0x32 && b[valueAt + 1] === 0x3a) {
        tid = (b[valueAt + 2]! << 8) | b[valueAt + 3]!;
        tAt = valueAt + 2;
      }
    } else if (keyLength === 1 && b[keyAt] === 0x79 /* y */ && b[valueAt] === 0x31) {
      y = b[valueAt + 2]!;
    }
    i = skip(b, valueAt);
  }
  return { tid, y, tAt };
}

/**
 * The client: one connected UDP socket per server (a connected socket sends
 * without a per-datagram address lookup, and the kernel filters out anyone
 * else). Answers the servers' own pings (a node checking a new contact) with
 * `id`, so that they put us in their table once and stop asking.
 */
export class LoadClient {
  readonly #id: Buffer;
  readonly #sockets = new Map<string, Promise<Socket>>();
  #onAnswer: ((data: Buffer, socket: Socket) => void) | undefined;

  constructor(id: Buffer) {
    this.#id = id;
  }

  #socket(to: Target): Promise<Socket> {
    const key = `${to.host}:${to.port}`;
    let socket = this.#sockets.get(key);
    if (!socket) {
      socket = new Promise<Socket>((resolve, reject) => {
        const s = createSocket('udp4');
        s.once('error', reject);
        s.on('message', (data) => this.#onAnswer?.(data, s));
        s.bind(0, '127.0.0.1', () => {
          try {
            s.setRecvBufferSize(4 * 1024 * 1024);
            s.setSendBufferSize(4 * 1024 * 1024);
          } catch {
            // Capped by the OS: the defaults still work, with more loss.
          }
          s.connect(to.port, to.host, () => resolve(s));
        });
      });
      this.#sockets.set(key, socket);
    }
    return socket;
  }

  /** One request / answer, for setup (tokens, announces). */
  async ask(to: Target, bytes: Buffer, timeoutMs = 1_000): Promise<Buffer | undefined> {
    const { tid } = readEnvelope(bytes);
    const socket = await this.#socket(to);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onAnswer = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.#onAnswer = (data, from) => {
        if (from !== socket) return;
        const envelope = readEnvelope(data);
        if (envelope.y === 0x71 /* q */ && !to.echo) return this.#answerQuery(data, envelope.tAt, socket);
        if (envelope.tid !== tid) return;
        clearTimeout(timer);
        this.#onAnswer = undefined;
        resolve(data);
      };
      socket.send(bytes);
    });
  }

  /** Send `count` queries from `make`, `inflight` at a time; each query waits at most `timeoutMs`. */
  async run(to: Target, make: QueryMaker, count: number, inflight = 256, timeoutMs = 1_000): Promise<RoundResult> {
    const socket = await this.#socket(to);
    const deadline = new Float64Array(65_536); // 0: free
    const result: RoundResult = { sent: 0, answers: 0, errors: 0, lost: 0, wallMs: 0 };
    let outstanding = 0;
    let nextTid = 1;
    const start = performance.now();

    return new Promise((resolve) => {
      const finish = (): void => {
        clearInterval(sweeper);
        this.#onAnswer = undefined;
        result.wallMs = performance.now() - start;
        resolve(result);
      };
      const sendOne = (): void => {
        while (deadline[nextTid] !== 0) nextTid = (nextTid + 1) & 0xffff; // ≤ 256 busy: ends quickly
        const tid = nextTid;
        nextTid = (nextTid + 1) & 0xffff;
        deadline[tid] = performance.now() + timeoutMs;
        outstanding++;
        socket.send(make(tid, result.sent));
        result.sent++;
      };
      const refill = (): void => {
        while (outstanding < inflight && result.sent < count) sendOne();
        if (outstanding === 0 && result.sent >= count) finish();
      };
      // Loss must not hang the round: expire late queries and send their replacements.
      const sweeper = setInterval(() => {
        const now = performance.now();
        for (let tid = 0; tid < 65_536; tid++) {
          const due = deadline[tid]!;
          if (due !== 0 && due < now) {
            deadline[tid] = 0;
            outstanding--;
            result.lost++;
          }
        }
        refill();
      }, Math.max(50, timeoutMs / 4));

      this.#onAnswer = (data, from) => {
        if (from !== socket) return;
        const envelope = readEnvelope(data);
        if (envelope.y === 0x71 /* q */ && !to.echo) {
          this.#answerQuery(data, envelope.tAt, socket);
          return;
        }
        const tid = envelope.tid;
        if (tid < 0 || deadline[tid] === 0) return; // late, or not ours
        deadline[tid] = 0;
        outstanding--;
        if (envelope.y === 0x65 /* e */) result.errors++;
        else result.answers++;
        refill();
      };
      refill();
    });
  }

  /** Answer a server's query (a ping, in practice) with our id. */
  #answerQuery(data: Buffer, tAt: number, socket: Socket): void {
    if (tAt < 0) return;
    socket.send(Buffer.concat([enc('d1:rd2:id20:'), this.#id, enc('e1:t2:'), data.subarray(tAt, tAt + 2), enc('1:y1:re')]));
  }

  async close(): Promise<void> {
    const sockets = await Promise.all(this.#sockets.values());
    this.#sockets.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
