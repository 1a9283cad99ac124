/**
 * The Transport over node:dgram. One socket per transport, udp4 or udp6 by the
 * bind host. Names are never resolved: the socket gets a lookup function that
 * only accepts IP literals of its own family, so a hostile host string costs
 * an onError call, not a DNS query (and the per-send dns.lookup hop is gone).
 */
import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import type { LookupOneOptions } from 'node:dns';
import { anyAddress, familyOf, type UdpTransportOptions } from './address.ts';
import type { AddressFamily, Endpoint } from '../ground/address.ts';
import type { DatagramHandler, Transport } from './types.ts';

/** A big kernel queue absorbs bursts (a crawler's replies arrive in waves). */
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Node's dgram copies a datagram into the kernel inside send() unless libuv
 * queues it (the socket's buffer is full), and then getSendQueueCount() > 0
 * until it is sent. Bun and Deno run this adapter with their own dgram: there
 * a scratch send is not offered (the node sends fresh arrays).
 */
const SCRATCH_SENDS =
  typeof (globalThis as { Bun?: unknown }).Bun === 'undefined' &&
  typeof (globalThis as { Deno?: unknown }).Deno === 'undefined' &&
  typeof process !== 'undefined' &&
  typeof process.versions?.node === 'string';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

export class NodeUdpTransport implements Transport {
  onError?: (error: Error) => void;

  readonly #host: string;
  readonly #port: number;
  readonly #family: AddressFamily;
  #socket: Socket | undefined;
  #handler: DatagramHandler | undefined;
  #local: Endpoint | undefined;
  #closing: Promise<void> | undefined;
  /** The last host `#lookup` accepted: a busy peer is answered many times in a row, and isIP is a regex test. */
  #lookedUp = '';

  constructor(options: UdpTransportOptions = {}) {
    this.#family = familyOf(options);
    this.#host = options.host ?? anyAddress(this.#family);
    this.#port = options.port ?? 0;
  }

  get local(): Endpoint | undefined {
    return this.#local;
  }

  listen(onDatagram: DatagramHandler): Promise<Endpoint> {
    if (this.#socket !== undefined || this.#closing !== undefined) {
      return Promise.reject(new Error('NodeUdpTransport: listen() may be called once'));
    }
    this.#handler = onDatagram;
    const socket = createSocket({
      type: this.#family === 6 ? 'udp6' : 'udp4',
      ipv6Only: this.#family === 6,
      lookup: this.#lookup,
    });
    this.#socket = socket;
    return new Promise<Endpoint>((resolve, reject) => {
      const failBind = (error: Error): void => {
        this.#socket = undefined;
        socket.close();
        reject(error);
      };
      socket.once('error', failBind);
      socket.bind(this.#port, this.#host, () => {
        socket.off('error', failBind);
        socket.on('error', this.#onSocketError);
        socket.on('message', this.#onMessage);
        try {
          socket.setRecvBufferSize(RECV_BUFFER_BYTES);
        } catch {
          // Capped or refused by the OS (rmem_max): the default still works.
        }
        const bound = socket.address();
        this.#local = { host: bound.address, port: bound.port, family: this.#family };
        resolve(this.#local);
      });
    });
  }

  send(data: Uint8Array, to: Endpoint): void {
    const socket = this.#socket;
    if (socket === undefined || this.#closing !== undefined) {
      if (this.#closing === undefined) this.#report(new Error('NodeUdpTransport: send() before listen()'));
      return;
    }
    try {
      socket.send(data, to.port, to.host);
    } catch (error) {
      // Bad port, wrong argument types from a confused caller: never a throw.
      this.#report(toError(error));
    }
  }

  /** Transport.sendScratch, on Node only (see SCRATCH_SENDS): `data` is free again unless a send is queued. */
  readonly sendScratch: ((data: Uint8Array, to: Endpoint) => boolean) | undefined = SCRATCH_SENDS
    ? (data, to) => {
        this.send(data, to);
        const socket = this.#socket;
        return socket === undefined || socket.getSendQueueCount() === 0;
      }
    : undefined;

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const socket = this.#socket;
    this.#socket = undefined;
    this.#handler = undefined;
    this.#closing =
      socket === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            socket.close(() => resolve());
          });
    return this.#closing;
  }

  // Fields, not methods: bound once per transport, no closure per datagram.
  readonly #onMessage = (data: Buffer, rinfo: RemoteInfo): void => {
    const handler = this.#handler;
    if (handler === undefined) return;
    try {
      // A Buffer is a Uint8Array: handed over as is, no copy. The endpoint is
      // fresh because nodes keep it (routing table, peer store).
      handler(data, { host: rinfo.address, port: rinfo.port, family: this.#family });
    } catch (error) {
      this.#report(toError(error), true);
    }
  };

  readonly #onSocketError = (error: Error): void => {
    if (this.#closing === undefined) this.#report(error);
  };

  readonly #lookup = (host: string, _options: LookupOneOptions | number, callback: LookupCallback): void => {
    if (host === this.#lookedUp) {
      callback(null, host, this.#family);
      return;
    }
    const family = isIP(host);
    if (family === this.#family) {
      this.#lookedUp = host;
      callback(null, host, family);
      return;
    }
    const error: NodeJS.ErrnoException = new Error(
      family === 0 ? `not an IP literal: ${JSON.stringify(host)}` : `IPv${family} address on a udp${this.#family} socket: ${host}`,
    );
    error.code = 'EADDRNOTAVAIL';
    callback(error, '', 0);
  };

  /** Errors go to onError; a throwing handler with no onError still crashes loudly, as Node would. */
  #report(error: Error, fromHandler = false): void {
    if (this.onError !== undefined) this.onError(error);
    else if (fromHandler) throw error;
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
