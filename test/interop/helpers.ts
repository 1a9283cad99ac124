/**
 * Loopback helpers for the bittorrent-dht interop suites: start / stop their
 * nodes as promises, and a raw KRPC socket for probes that need to see (or
 * not see) single datagrams.
 */
import { createSocket, type Socket } from 'node:dgram';
import bencode from 'bencode';
import BtDHT from 'bittorrent-dht';
import type { BtDHTOptions } from 'bittorrent-dht';

/** Reject after `ms` so a test that waits on the network always ends. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no outcome within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Poll `check` on real time until it holds or `ms` pass. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** A bittorrent-dht node listening on `host` (any free port), resolved once its bootstrap ended. */
export async function startTheirs(host: string, options: BtDHTOptions): Promise<BtDHT> {
  const dht = new BtDHT(options);
  dht.on('warning', () => {}); // its socket reports every odd datagram as a warning
  const ready = new Promise<void>((resolve) => dht.once('ready', () => resolve()));
  await within(new Promise<void>((resolve) => dht.listen(0, host, () => resolve())), 5_000, `bittorrent-dht listen on ${host}`);
  await within(ready, 15_000, `bittorrent-dht bootstrap on ${host}`);
  return dht;
}

export function stopTheirs(dht: BtDHT): Promise<void> {
  return within(new Promise<void>((resolve) => dht.destroy(() => resolve())), 5_000, 'bittorrent-dht destroy');
}

export function theirEndpoint(dht: BtDHT): string {
  const a = dht.address();
  return `${a.address}:${a.port}`;
}

/** A decoded KRPC datagram (bencode 4: byte strings as Uint8Array, integers as numbers). */
export type Decoded = Record<string, unknown>;

export function text(value: unknown): string | undefined {
  return value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : undefined;
}

export function dict(value: unknown): Decoded | undefined {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !Array.isArray(value) ? (value as Decoded) : undefined;
}

export function bytes(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}

/**
 * A bare UDP socket speaking KRPC by hand: sends exact bytes and collects
 * every datagram it receives, so a probe can tell an answer from silence.
 */
export class RawKrpc {
  readonly received: { data: Buffer; host: string; port: number }[] = [];
  readonly #socket: Socket;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (data, rinfo) => {
      this.received.push({ data, host: rinfo.address, port: rinfo.port });
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(host: string): Promise<RawKrpc> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => resolve());
    });
    return new RawKrpc(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  get host(): string {
    return this.#socket.address().address;
  }

  send(data: Uint8Array | string, to: { host: string; port: number }): void {
    this.#socket.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, to.port, to.host);
  }

  /**
   * The next datagram from `from` that arrives after the call, or undefined
   * after `ms` of silence. Queries the node sends us on its own (a ping to
   * check a new contact) are skipped unless `queries` is set.
   */
  async next(from: { host: string; port: number }, ms: number, queries = false): Promise<Buffer | undefined> {
    const start = this.received.length;
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.received.slice(start).find((d) => d.host === from.host && d.port === from.port && (queries || !isQuery(d.data)));
      if (hit) return hit.data;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Send `data` to `to` and decode its first answer (undefined: silence for `ms`). */
  async ask(data: Uint8Array | string, to: { host: string; port: number }, ms = 500): Promise<Decoded | undefined> {
    const answer = this.next(to, ms);
    this.send(data, to);
    const raw = await answer;
    if (!raw) return undefined;
    return dict(bencode.decode(raw)) ?? {};
  }

  /** The raw first answer (undefined: silence for `ms`). */
  async askRaw(data: Uint8Array | string, to: { host: string; port: number }, ms = 500): Promise<Buffer | undefined> {
    const answer = this.next(to, ms);
    this.send(data, to);
    return answer;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

function isQuery(data: Uint8Array): boolean {
  try {
    return text(dict(bencode.decode(data))?.['y']) === 'q';
  } catch {
    return false;
  }
}

/** A KRPC query as bencode bytes; `a.id` defaults to `id`. */
export function krpcQuery(method: string, args: Record<string, unknown>, t = 'aa'): Uint8Array {
  return bencode.encode({ t: Buffer.from(t, 'latin1'), y: 'q', q: method, a: args });
}

/** Split a compact node info string into 26-byte entries (throws if it is not a multiple of 26). */
export function compactNodes(nodes: Uint8Array): { id: Buffer; host: string; port: number }[] {
  if (nodes.length % 26 !== 0) throw new Error(`compact node info of ${nodes.length} bytes is not a multiple of 26`);
  const out = [];
  for (let i = 0; i < nodes.length; i += 26) {
    const entry = Buffer.from(nodes.subarray(i, i + 26));
    out.push({ id: entry.subarray(0, 20), host: `${entry[20]}.${entry[21]}.${entry[22]}.${entry[23]}`, port: entry.readUInt16BE(24) });
  }
  return out;
}
