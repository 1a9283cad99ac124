/** 'host:port' text ↔ endpoints. */
import type { Endpoint } from '../ground/address.ts';
import { ipFamily } from '../ground/address.ts';

/** A host (name or IP literal) and a port, before DNS. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parse 'host:port' or '[v6]:port'. Throws TypeError naming `what` on anything
 * else or on a port outside 1..65535.
 */
export function parseHostPort(text: string, what = 'address'): HostPort {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:\s[\]]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new TypeError(`${what}: expected "host:port" (or "[ipv6]:port") with a port from 1 to 65535, got ${JSON.stringify(text)}`);
  }
  return { host: match[1]!, port };
}

/** 'host:port', bracketing IPv6 hosts. */
export function formatHostPort(endpoint: HostPort): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/** An endpoint for a numeric host, or undefined for a name (which needs DNS). */
export function toEndpoint(hostPort: HostPort): Endpoint | undefined {
  const family = ipFamily(hostPort.host);
  return family ? { host: hostPort.host, port: hostPort.port, family } : undefined;
}

/**
 * Accept an endpoint given as 'host:port' or { host, port, family? } (numeric
 * host). Throws TypeError naming `what` otherwise.
 */
export function resolveNumericEndpoint(value: string | { host: string; port: number; family?: number }, what: string): Endpoint {
  const hostPort = typeof value === 'string' ? parseHostPort(value, what) : value;
  if (typeof hostPort !== 'object' || hostPort === null || typeof hostPort.host !== 'string') {
    throw new TypeError(`${what}: expected "host:port" or { host, port }, got ${String(value)}`);
  }
  const port = hostPort.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`${what}: port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  const endpoint = toEndpoint({ host: hostPort.host, port });
  if (!endpoint) throw new TypeError(`${what}: host must be a numeric IPv4 or IPv6 address, got ${JSON.stringify(hostPort.host)}`);
  return endpoint;
}
