/**
 * The Transport over Deno.listenDatagram (Deno needs --unstable-net). A single
 * receive loop reads into one reused 64 KiB buffer — the handler contract lets
 * `data` be reused after it returns — and ends when the socket closes.
 *
 * Deno is typed here by just what this file uses, so the project typechecks
 * under tsc with @types/node only, and the namespace can be injected in tests.
 */
import { anyAddress, familyOf, type UdpTransportOptions } from './address.ts';
import { ipFamily } from '../ground/address.ts';
import type { AddressFamily, Endpoint } from '../ground/address.ts';
import type { DatagramHandler, Transport } from './types.ts';

export interface DenoNetAddr {
  transport: 'udp';
  hostname: string;
  port: number;
}

export interface DenoDatagramConn {
  readonly addr: DenoNetAddr | { transport: string; hostname?: string; port?: number };
  receive(p?: Uint8Array): Promise<[Uint8Array, DenoNetAddr]>;
  send(p: Uint8Array, addr: DenoNetAddr): Promise<number>;
  close(): void;
}

/** The slice of the `Deno` namespace this adapter needs. */
export interface DenoNet {
  listenDatagram(options: { transport: 'udp'; hostname?: string; port: number }): DenoDatagramConn;
}

/** The global Deno namespace, when running under Deno. */
export function denoNamespace(): DenoNet | undefined {
  const deno = (globalThis as { Deno?: Partial<DenoNet> }).Deno;
  return deno !== undefined && typeof deno.listenDatagram === 'function' ? (deno as DenoNet) : undefined;
}

/** Largest UDP payload: nothing is ever truncated. */
const RECEIVE_BUFFER_BYTES = 65_536;
/** A receive error that repeats this often in a row is not transient: stop the loop. */
const MAX_CONSECUTIVE_ERRORS = 100;

export class DenoUdpTransport implements Transport {
  onError?: (error: Error) => void;

  readonly #host: string;
  readonly #port: number;
  readonly #family: AddressFamily;
  readonly #deno: DenoNet | null;
  #conn: DenoDatagramConn | undefined;
  #local: Endpoint | undefined;
  #closed = false;
  #loop: Promise<void> | undefined;

  /** `deno` defaults to the global namespace (null: none); tests pass a stand-in. */
  constructor(options: UdpTransportOptions = {}, deno: DenoNet | null = denoNamespace() ?? null) {
    this.#family = familyOf(options);
    this.#host = options.host ?? anyAddress(this.#family);
    this.#port = options.port ?? 0;
    this.#deno = deno;
  }

  get local(): Endpoint | undefined {
    return this.#local;
  }

  listen(onDatagram: DatagramHandler): Promise<Endpoint> {
    if (this.#conn !== undefined || this.#closed) {
      return Promise.reject(new Error('DenoUdpTransport: listen() may be called once'));
    }
    if (this.#deno === null) {
      return Promise.reject(new Error('DenoUdpTransport: Deno.listenDatagram is not available (run Deno with --unstable-net)'));
    }
    if (ipFamily(this.#host) !== this.#family) {
      return Promise.reject(new Error(`DenoUdpTransport: bind host must be an IPv${this.#family} literal: ${this.#host}`));
    }
    let conn: DenoDatagramConn;
    try {
      conn = this.#deno.listenDatagram({ transport: 'udp', hostname: this.#host, port: this.#port });
    } catch (error) {
      return Promise.reject(toError(error));
    }
    this.#conn = conn;
    const addr = conn.addr;
    this.#local = {
      host: addr.hostname ?? this.#host,
      port: addr.port ?? this.#port,
      family: this.#family,
    };
    this.#loop = this.#receiveLoop(conn, onDatagram);
    return Promise.resolve(this.#local);
  }

  send(data: Uint8Array, to: Endpoint): void {
    const conn = this.#conn;
    if (conn === undefined || this.#closed) {
      if (!this.#closed) this.#report(new Error('DenoUdpTransport: send() before listen()'));
      return;
    }
    // Deno resolves names itself: refuse anything but a literal of our family.
    const family = ipFamily(to.host);
    if (family !== this.#family) {
      this.#report(new Error(family === undefined ? `not an IP literal: ${JSON.stringify(to.host)}` : `IPv${family} address on a udp${this.#family} socket: ${to.host}`));
      return;
    }
    if (!Number.isInteger(to.port) || to.port <= 0 || to.port > 65_535) {
      this.#report(new Error(`bad port: ${to.port}`));
      return;
    }
    try {
      conn.send(data, { transport: 'udp', hostname: to.host, port: to.port }).catch(this.#onSendError);
    } catch (error) {
      this.#report(toError(error));
    }
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      const conn = this.#conn;
      if (conn !== undefined) {
        try {
          conn.close(); // rejects the pending receive, which ends the loop
        } catch {
          // Already closed underneath us: nothing left to release.
        }
      }
    }
    await this.#loop;
  }

  async #receiveLoop(conn: DenoDatagramConn, handler: DatagramHandler): Promise<void> {
    const buffer = new Uint8Array(RECEIVE_BUFFER_BYTES);
    let consecutiveErrors = 0;
    while (!this.#closed) {
      let data: Uint8Array;
      let from: DenoNetAddr;
      try {
        [data, from] = await conn.receive(buffer);
        consecutiveErrors = 0;
      } catch (error) {
        if (this.#closed) return;
        this.#report(toError(error));
        if (++consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) {
          this.#report(new Error('DenoUdpTransport: receive keeps failing, no longer receiving'));
          return;
        }
        continue;
      }
      if (this.#closed) return;
      try {
        handler(data, { host: from.hostname, port: from.port, family: this.#family });
      } catch (error) {
        // The loop survives a throwing handler; with no onError the error still
        // surfaces as an uncaught one, as it would from a node:dgram listener.
        if (this.onError !== undefined) this.onError(toError(error));
        else queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  readonly #onSendError = (error: unknown): void => {
    if (!this.#closed) this.#report(toError(error));
  };

  #report(error: Error): void {
    this.onError?.(error);
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
