/** The HOST:PORT an HTTP face listens on (`--metrics`), checked before anything binds. */
import { isIP } from 'node:net';
import type { Server } from 'node:http';

export interface ListenAddress {
  host: string;
  /** 0: any free port (the bound one is printed). */
  port: number;
}

/** A listen address the user gave that is malformed or cannot be bound: a usage error (exit 2). */
export class ListenError extends Error {
  override name = 'ListenError';
}

/** Parse `HOST:PORT` or `[IPv6]:PORT`, HOST an IP address or `localhost`, PORT 0..65535. */
export function parseListenAddress(text: string, what: string): ListenAddress {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]\s]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  const host = match?.[1] ?? '';
  if (!match || port > 65535) {
    throw new ListenError(`${what}: expected HOST:PORT (such as 127.0.0.1:9100 or [::1]:9100) with a port from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  if (host !== 'localhost' && isIP(host) === 0) {
    throw new ListenError(`${what}: ${JSON.stringify(host)} is not an IP address (give 127.0.0.1, 0.0.0.0, ::1, :: or localhost)`);
  }
  if (match[0].startsWith('[') !== (isIP(host) === 6)) {
    throw new ListenError(`${what}: an IPv6 address goes in brackets ([::1]:9100), an IPv4 one without, got ${JSON.stringify(text)}`);
  }
  return { host, port };
}

/** Bind `server`; a port in use or an address not ours becomes a ListenError naming it. */
export function listen(server: Server, address: ListenAddress, what: string): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
      const why =
        error.code === 'EADDRINUSE'
          ? `port ${address.port} is already in use`
          : error.code === 'EADDRNOTAVAIL'
            ? `${address.host} is not an address of this machine`
            : error.code === 'EACCES'
              ? `no permission to bind port ${address.port}`
              : error.message;
      reject(new ListenError(`${what} ${where}: cannot listen: ${why}`, { cause: error }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? { host: bound.address, port: bound.port } : address);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: address.host, port: address.port, exclusive: true });
  });
}

/** `http://host:port` for printing (IPv6 bracketed). */
export function httpUrl(address: ListenAddress): string {
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}
