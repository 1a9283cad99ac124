/**
 * Outgoing TCP streams: the part of the transport the crawler needs to speak
 * the BitTorrent peer protocol (BEP 3, 10, 9). Like the UDP Transport it moves
 * bytes and parses none, takes IP literals only (never a DNS lookup for an
 * address that came off the wire), and has one adapter per runtime
 * (node-tcp.ts over node:net, deno-tcp.ts over Deno.connect).
 */

/** A TCP peer. `host` is a numeric IP literal. */
export interface TcpEndpoint {
  host: string;
  port: number;
}

/** Why a connect failed or a stream ended; a closed set so callers can count reasons. */
export type TcpErrorCode =
  | 'invalid-address' // not an IP literal or not a port: nothing was sent
  | 'timeout' // connect did not complete in time
  | 'aborted' // the caller's signal fired
  | 'refused' // nothing listens there
  | 'unreachable' // no route, host down
  | 'reset' // the peer reset or broke the connection
  | 'handler' // our own onData threw: the stream was closed to contain it
  | 'other';

export class TcpError extends Error {
  readonly code: TcpErrorCode;

  constructor(code: TcpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TcpError';
    this.code = code;
  }
}

export interface TcpStreamHandler {
  /** Bytes from the peer, in order. The chunk is the handler's to keep. Must not throw. */
  onData(data: Uint8Array): void;
  /**
   * The stream is gone: the peer closed it, it broke, or close() was called.
   * Called exactly once per connected stream; `error` is undefined for a clean end.
   */
  onClose(error?: TcpError): void;
}

export interface TcpStream {
  readonly remote: TcpEndpoint;
  /** Queue bytes for the peer; never throws. Ignored once the stream is closed. */
  write(data: Uint8Array): void;
  /** Bytes queued but not yet handed to the kernel (a peer that does not read grows this). */
  readonly bufferedBytes: number;
  /** Close now, dropping what is unsent. Idempotent; onClose follows (without an error). */
  close(): void;
}

export interface TcpConnectOptions {
  /** Give up the connect after this long (default 5000 ms). Does not limit the stream's life. */
  timeoutMs?: number;
  /** Abort the connect (rejects with code 'aborted'); after connect, close the stream yourself. */
  signal?: AbortSignal;
}

export interface TcpConnector {
  /**
   * Open a stream to `to`. Rejects with a TcpError and then never calls the
   * handler; once resolved, onClose is eventually called exactly once.
   */
  connect(to: TcpEndpoint, handler: TcpStreamHandler, options?: TcpConnectOptions): Promise<TcpStream>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** A port a connect may target: 1..65535. */
export function isConnectablePort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65_535;
}
