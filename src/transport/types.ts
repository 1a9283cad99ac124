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
