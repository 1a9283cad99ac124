/**
 * IP literal helpers shared by the socket adapters. The transport layer never
 * resolves names: a host that came off the wire is hostile, and a DNS lookup
 * per datagram would be both slow and a way to make us query someone's server.
 */
import type { AddressFamily, TransportOptions } from './types.ts';

/** Options of the real UDP adapters: the family follows the host unless given. */
export interface UdpTransportOptions extends TransportOptions {
  family?: AddressFamily;
}

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// Loose on purpose (the OS does the exact parse): hex groups, colons, an
// optional embedded dotted quad, nothing a resolver would take for a name.
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*(?:\d{1,3}(?:\.\d{1,3}){3})?$/;

/** 4 or 6 for a numeric IP literal, 0 for anything else (names included). */
export function ipFamily(host: string): AddressFamily | 0 {
  if (IPV4.test(host)) return 4;
  if (host.length <= 45 && IPV6.test(host)) return 6;
  return 0;
}

/** The family a bind address implies: an explicit one wins, else v6 iff the host has a colon. */
export function familyOf(options: UdpTransportOptions): AddressFamily {
  if (options.family !== undefined) return options.family;
  return options.host !== undefined && options.host.includes(':') ? 6 : 4;
}

/** The wildcard bind address of a family. */
export function anyAddress(family: AddressFamily): string {
  return family === 6 ? '::' : '0.0.0.0';
}
