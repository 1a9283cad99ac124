/**
 * Many loopback source addresses, one UDP socket each (127.a.b.c, bound in
 * batches), each able to ask one query and wait for its answer (matched by
 * transaction id on that socket). Each answers the node's own queries (the
 * pings a node sends to check a new contact) with an id of its own, as a real
 * peer would.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { readEnvelope } from '../load.ts';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

/** The i-th source address under `prefix` ('127.77' → 127.77.0.1, 127.77.0.2, …). */
export function sourceHost(prefix: string, i: number): string {
  const n = i + 1;
  return `${prefix}.${(n >> 8) & 0xff}.${n & 0xff}`;
}

interface Source {
  socket: Socket;
  id: Buffer;
  pending: Map<number, (answer: Buffer | undefined) => void>;
}

export class Sources {
  readonly #sources: Source[] = [];
  readonly #to: { host: string; port: number };
  #nextTid = 1;
  /** Queries of the node answered (its pings). */
  pingsAnswered = 0;
  /** send() calls that failed. */
  sendErrors = 0;

  private constructor(to: { host: string; port: number }) {
    this.#to = to;
  }

  static async open(prefix: string, count: number, to: { host: string; port: number }, batch = 250): Promise<Sources> {
    const sources = new Sources(to);
    try {
      for (let start = 0; start < count; start += batch) {
        const end = Math.min(count, start + batch);
        const opened = await Promise.all(Array.from({ length: end - start }, (_, k) => sources.#bind(sourceHost(prefix, start + k))));
        sources.#sources.push(...opened);
      }
    } catch (error) {
      await sources.close();
      throw error;
    }
    return sources;
  }

  get count(): number {
    return this.#sources.length;
  }

  #bind(host: string): Promise<Source> {
    const socket = createSocket('udp4');
    const source: Source = { socket, id: randomBytes(20), pending: new Map() };
    socket.on('message', (data) => this.#onMessage(source, data));
    socket.on('error', () => this.sendErrors++);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        resolve(source);
      });
    });
  }

  #onMessage(source: Source, data: Buffer): void {
    const envelope = readEnvelope(data);
    if (envelope.y === 0x71 /* q */) {
      if (envelope.tAt < 0) return;
      const answer = Buffer.concat([enc('d1:rd2:id20:'), source.id, enc('e1:t2:'), data.subarray(envelope.tAt, envelope.tAt + 2), enc('1:y1:re')]);
      source.socket.send(answer, this.#to.port, this.#to.host);
      this.pingsAnswered++;
      return;
    }
    const resolve = source.pending.get(envelope.tid);
    if (!resolve) return;
    source.pending.delete(envelope.tid);
    resolve(data);
  }

  /** The id source `i` answers with (20 bytes). */
  id(i: number): Buffer {
    return this.#sources[i % this.#sources.length]!.id;
  }

  /** A transaction id no query of source `i` is waiting on. */
  tid(i: number): number {
    const pending = this.#sources[i % this.#sources.length]!.pending;
    for (let tries = 0; tries < 65_536; tries++) {
      const tid = this.#nextTid;
      this.#nextTid = (this.#nextTid % 0xffff) + 1;
      if (!pending.has(tid)) return tid;
    }
    throw new Error('no free transaction id');
  }

  /** Send `bytes` from source `i` without waiting. */
  send(i: number, bytes: Uint8Array): void {
    const source = this.#sources[i % this.#sources.length]!;
    source.socket.send(bytes, this.#to.port, this.#to.host, (error) => {
      if (error) this.sendErrors++;
    });
  }

  /** Send a query (transaction id `tid`) from source `i`; its answer, or undefined after `timeoutMs`. */
  ask(i: number, tid: number, bytes: Uint8Array, timeoutMs: number): Promise<Buffer | undefined> {
    const source = this.#sources[i % this.#sources.length]!;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        source.pending.delete(tid);
        resolve(undefined);
      }, timeoutMs);
      source.pending.set(tid, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.send(i, bytes);
    });
  }

  async close(): Promise<void> {
    const sockets = this.#sources.splice(0).map((s) => s.socket);
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }
}
