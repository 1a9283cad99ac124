/**
 * TcpConnector over node:net. Hosts must be IP literals: net.connect then
 * skips its DNS lookup, so a peer address from the wire never becomes a query.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { ipFamily } from '../ground/address.ts';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  TcpError,
  isConnectablePort,
  type TcpConnectOptions,
  type TcpConnector,
  type TcpEndpoint,
  type TcpErrorCode,
  type TcpStream,
  type TcpStreamHandler,
} from './tcp.ts';

export class NodeTcpConnector implements TcpConnector {
  connect(to: TcpEndpoint, handler: TcpStreamHandler, options: TcpConnectOptions = {}): Promise<TcpStream> {
    const family = ipFamily(to.host);
    if (family === undefined || !isConnectablePort(to.port)) {
      return Promise.reject(new TcpError('invalid-address', `not an IP literal and port: ${JSON.stringify(to)}`));
    }
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(new TcpError('aborted', 'connect aborted'));
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

    return new Promise<TcpStream>((resolve, reject) => {
      const socket = netConnect({ host: to.host, port: to.port, family, noDelay: true });
      const fail = (error: TcpError): void => {
        cleanup();
        socket.destroy();
        reject(error);
      };
      const onError = (error: Error): void => fail(classify(error));
      const onAbort = (): void => fail(new TcpError('aborted', 'connect aborted'));
      const timer = setTimeout(() => fail(new TcpError('timeout', `connect to ${to.host}:${to.port} timed out`)), timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.off('connect', onConnect);
        signal?.removeEventListener('abort', onAbort);
      };
      const onConnect = (): void => {
        cleanup();
        resolve(new NodeTcpStream(socket, { host: to.host, port: to.port }, handler));
      };
      socket.once('error', onError);
      socket.once('connect', onConnect);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

class NodeTcpStream implements TcpStream {
  readonly remote: TcpEndpoint;
  readonly #socket: Socket;
  readonly #handler: TcpStreamHandler;
  #error: TcpError | undefined;
  #closed = false;

  constructor(socket: Socket, remote: TcpEndpoint, handler: TcpStreamHandler) {
    this.remote = remote;
    this.#socket = socket;
    this.#handler = handler;
    socket.on('data', this.#onData);
    // 'error' is always followed by 'close'; remember why for onClose.
    socket.on('error', (error: Error) => {
      this.#error ??= classify(error);
    });
    socket.once('close', () => {
      this.#closed = true;
      this.#handler.onClose(this.#error);
    });
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  write(data: Uint8Array): void {
    if (this.#closed || this.#socket.destroyed) return;
    this.#socket.write(data);
  }

  close(): void {
    if (this.#closed) return;
    this.#socket.destroy();
  }

  readonly #onData = (data: Buffer): void => {
    if (this.#closed) return;
    try {
      this.#handler.onData(data);
    } catch (error) {
      this.#error ??= new TcpError('handler', 'stream handler threw', { cause: error });
      this.#socket.destroy();
    }
  };
}

function classify(error: Error): TcpError {
  const code = (error as NodeJS.ErrnoException).code;
  let kind: TcpErrorCode = 'other';
  switch (code) {
    case 'ECONNREFUSED':
      kind = 'refused';
      break;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      kind = 'unreachable';
      break;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      kind = 'reset';
      break;
    case 'ETIMEDOUT':
      kind = 'timeout';
      break;
  }
  return new TcpError(kind, error.message, { cause: error });
}
