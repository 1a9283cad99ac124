/** Option parsers shared by the subcommands: each rejects bad input with a message naming it. */
import { InvalidArgumentError } from 'commander';
import type { Backend } from '../core/types.ts';
import { parseHostPort as parseEndpoint, type HostPort } from '../util/endpoint.ts';
import { toId } from '../util/id.ts';

/** `--bootstrap h:p,h:p`; the empty string means "no routers" (a standalone node). */
export function parseBootstrap(value: string): string[] {
  if (value.trim() === '') return [];
  return value.split(',').map((item) => {
    const entry = item.trim();
    parseHostPort(entry, '--bootstrap');
    return entry;
  });
}

/** `host:port` or `[v6]:port`, as a commander argument error when malformed. */
export function parseHostPort(value: string, what = 'address'): HostPort {
  try {
    return parseEndpoint(value, what);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** A 40-hex infohash argument, checked before any socket is opened. */
export function parseInfohash(value: string): string {
  try {
    toId(value, 'infohash');
    return value;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError(`--port: expected a number from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

/** A peer's TCP/uTP port: 0 is no port a peer can listen on. */
export function parsePeerPort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`--port: expected a number from 1 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

export function parseBackend(value: string): Backend {
  if (value !== 'wasm' && value !== 'js') {
    throw new InvalidArgumentError(`--backend: expected wasm or js, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidArgumentError(`--timeout: expected a positive number of seconds, got ${JSON.stringify(value)}`);
  }
  return seconds;
}

/** Stop cleanly on the first SIGINT / SIGTERM; a second one exits at once. */
export function onInterrupt(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`btdht: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
