/**
 * What every HTTP face of btdht (`--metrics`, `btdht serve`) shares: bind an
 * address (a port in use is a ListenError at start, not a crash later), time
 * out slow clients, turn a failed handler into an error answer, and close with
 * every connection.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { httpUrl, listen, type ListenAddress } from './listen.ts';

export interface HttpFaceOptions {
  /** Answer one request; a rejection is answered by `failed`. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** Answer a request whose handler failed before it sent its headers (after, the connection is cut). */
  failed(response: ServerResponse, error: unknown): void;
  /** Longest time a client may take to send its whole request, ms. */
  requestTimeoutMs: number;
}

export class HttpFace {
  readonly #server: Server;
  readonly #address: ListenAddress;

  private constructor(server: Server, address: ListenAddress) {
    this.#server = server;
    this.#address = address;
  }

  /** Bind `address` (a ListenError naming `what` when the port is taken or the address not ours) and serve. */
  static async start(address: ListenAddress, what: string, options: HttpFaceOptions): Promise<HttpFace> {
    const server = createServer((request, response) => {
      options.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) options.failed(response, error);
        else response.destroy();
      });
    });
    // A client left open must not keep the process alive at exit, nor a slow one the server.
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = options.requestTimeoutMs;
    return new HttpFace(server, await listen(server, address, what));
  }

  /** Where it listens (the bound port when 0 was asked). */
  get address(): ListenAddress {
    return { ...this.#address };
  }

  get url(): string {
    return httpUrl(this.#address);
  }

  /** Stop listening and cut every connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
