/**
 * TcpConnector over Deno.connect. One read loop per stream and one write
 * queue (Deno's write may take only part of a chunk). Deno is typed by just
 * what this file uses, and the namespace can be injected, as in deno-udp.ts.
 */
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

export interface DenoTcpConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}

/** The slice of the `Deno` namespace this adapter needs. */
export interface DenoTcpNet {
  connect(options: { transport: 'tcp'; hostname: string; port: number; signal?: AbortSignal }): Promise<DenoTcpConn>;
}

/** The global Deno namespace, when running under Deno. */
export function denoTcpNamespace(): DenoTcpNet | undefined {
  const deno = (globalThis as { Deno?: Partial<DenoTcpNet> }).Deno;
  return deno !== undefined && typeof deno.connect === 'function' ? (deno as DenoTcpNet) : undefined;
}

/** Read size; a short read is copied out so a 64 KiB buffer is not pinned by a few bytes. */
const READ_BYTES = 65_536;

export class DenoTcpConnector implements TcpConnector {
  readonly #deno: DenoTcpNet | null;

  /** `deno` defaults to the global namespace (null: none); tests pass a stand-in. */
  constructor(deno: DenoTcpNet | null = denoTcpNamespace() ?? null) {
    this.#deno = deno;
  }

  async connect(to: TcpEndpoint, handler: TcpStreamHandler, options: TcpConnectOptions = {}): Promise<TcpStream> {
    const deno = this.#deno;
    if (deno === null) throw new TcpError('other', 'DenoTcpConnector: Deno.connect is not available');
    // Deno resolves names itself: refuse anything but a literal.
    if (ipFamily(to.host) === undefined || !isConnectablePort(to.port)) {
      throw new TcpError('invalid-address', `not an IP literal and port: ${JSON.stringify(to)}`);
    }
    const outer = options.signal;
    if (outer?.aborted === true) throw new TcpError('aborted', 'connect aborted');

    const abort = new AbortController();
    let why: TcpError | undefined;
    const stop = (error: TcpError): void => {
      why ??= error;
      abort.abort();
    };
    const onAbort = (): void => stop(new TcpError('aborted', 'connect aborted'));
    outer?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => stop(new TcpError('timeout', `connect to ${to.host}:${to.port} timed out`)),
      options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    );
    // Race the signal too: a stand-in (or an old Deno) may ignore it.
    const stopped = new Promise<never>((_, reject) => {
      abort.signal.addEventListener('abort', () => reject(why), { once: true });
    });
    const attempt = deno.connect({ transport: 'tcp', hostname: bareHost(to.host), port: to.port, signal: abort.signal });
    try {
      const conn = await Promise.race([attempt, stopped]);
      try {
        conn.setNoDelay?.(true);
      } catch {
        // Nagle stays on: slower, still correct.
      }
      return new DenoTcpStream(conn, { host: to.host, port: to.port }, handler);
    } catch (error) {
      // A connect that lands after we gave up must not leak its socket.
      if (why !== undefined) attempt.then((late) => closeQuietly(late), () => {});
      throw why ?? classify(error);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }
}

class DenoTcpStream implements TcpStream {
  readonly remote: TcpEndpoint;
  readonly #conn: DenoTcpConn;
  readonly #handler: TcpStreamHandler;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #closed = false;
  #reported = false;

  constructor(conn: DenoTcpConn, remote: TcpEndpoint, handler: TcpStreamHandler) {
    this.remote = remote;
    this.#conn = conn;
    this.#handler = handler;
    void this.#readLoop();
  }

  get bufferedBytes(): number {
    return this.#queued;
  }

  write(data: Uint8Array): void {
    if (this.#closed || data.length === 0) return;
    this.#queue.push(data);
    this.#queued += data.length;
    if (!this.#writing) void this.#writeLoop();
  }

  close(): void {
    this.#end(undefined);
  }

  #end(error: TcpError | undefined): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#queue.length = 0;
      this.#queued = 0;
      closeQuietly(this.#conn);
    }
    if (this.#reported) return;
    this.#reported = true;
    // Asynchronous like node:net's 'close', so close() never re-enters the caller.
    queueMicrotask(() => this.#handler.onClose(error));
  }

  async #readLoop(): Promise<void> {
    let buffer = new Uint8Array(READ_BYTES);
    while (!this.#closed) {
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch (error) {
        this.#end(this.#closed ? undefined : classify(error));
        return;
      }
      if (this.#closed) return;
      if (n === null) {
        this.#end(undefined);
        return;
      }
      if (n === 0) continue;
      let chunk: Uint8Array;
      if (n < READ_BYTES / 2) {
        chunk = buffer.slice(0, n);
      } else {
        chunk = buffer.subarray(0, n);
        buffer = new Uint8Array(READ_BYTES);
      }
      try {
        this.#handler.onData(chunk);
      } catch (error) {
        this.#end(new TcpError('handler', 'stream handler threw', { cause: error }));
        return;
      }
    }
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        let chunk = this.#queue[0]!;
        while (chunk.length > 0) {
          const written = await this.#conn.write(chunk);
          if (this.#closed) return;
          this.#queued -= written;
          chunk = chunk.subarray(written);
        }
        this.#queue.shift();
      }
    } catch (error) {
      this.#end(this.#closed ? undefined : classify(error));
    } finally {
      this.#writing = false;
    }
  }
}

/** Deno wants an IPv6 literal without brackets, as we keep it. */
function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function closeQuietly(conn: DenoTcpConn): void {
  try {
    conn.close();
  } catch {
    // Already closed underneath us.
  }
}

/** Deno's error classes, by name (Deno.errors.*), to our closed set. */
function classify(error: unknown): TcpError {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  let kind: TcpErrorCode = 'other';
  switch (name) {
    case 'ConnectionRefused':
      kind = 'refused';
      break;
    case 'ConnectionReset':
    case 'ConnectionAborted':
    case 'BrokenPipe':
    case 'UnexpectedEof':
      kind = 'reset';
      break;
    case 'TimedOut':
      kind = 'timeout';
      break;
    case 'AddrNotAvailable':
    case 'NetworkUnreachable':
    case 'HostUnreachable':
      kind = 'unreachable';
      break;
    case 'AbortError':
      kind = 'aborted';
      break;
  }
  return new TcpError(kind, message, { cause: error });
}
