/**
 * The transport: datagrams in and out, nothing more. The node never touches a
 * socket and the transport never parses a message, so the same node runs over
 * node:dgram, Deno.listenDatagram and the in-memory simulated network.
 */
import type { Endpoint } from '../ground/address.ts';

/** Called for every datagram received; `data` may be reused after return, copy to keep. */
export type DatagramHandler = (data: Uint8Array, from: Endpoint) => void;

/**
 * @example
 * import { DHT, createUdpTransport, type Transport } from 'btdht';
 * // A transport that counts what the node sends, around this runtime's UDP one.
 * const udp = await createUdpTransport({ host: '127.0.0.1' });
 * let sent = 0;
 * const counting: Transport = {
 *   listen: (onDatagram) => udp.listen(onDatagram),
 *   send(data, to) {
 *     sent++;
 *     udp.send(data, to);
 *   },
 *   get local() {
 *     return udp.local;
 *   },
 *   close: () => udp.close(),
 * };
 * const dht = new DHT({ transport: counting, bootstrap: [] });
 */
export interface Transport {
  /** Bind and start receiving. Resolves with the bound address (port 0 → the one chosen). */
  listen(onDatagram: DatagramHandler): Promise<Endpoint>;
  /**
   * Send one datagram; never throws for network errors (they are reported by onError).
   * The socket may still read `data` after this returns: do not modify it afterwards.
   */
  send(data: Uint8Array, to: Endpoint): void;
  /**
   * Send one datagram from the caller's scratch memory, which the caller will
   * write again after this returns. Returns true when the transport is done
   * with `data` (the OS copied it), false when it still holds a reference (a
   * send queued for later): the caller must then leave `data` alone for good.
   * Optional: a transport that cannot tell leaves it out and gets `send`.
   */
  sendScratch?(data: Uint8Array, to: Endpoint): boolean;
  /** The bound address, once listening. */
  readonly local: Endpoint | undefined;
  /** Stop receiving and release the socket. Idempotent. */
  close(): Promise<void>;
  /** Non-fatal socket errors (ICMP unreachable, send failures). */
  onError?: (error: Error) => void;
}

export interface TransportOptions {
  host?: string;
  port?: number;
}
