/**
 * Bind addresses of the socket adapters. The transport layer never resolves
 * names: every host it takes is an IP literal (`ipFamily`, src/ground).
 */
import type { AddressFamily } from '../ground/address.ts';
import type { TransportOptions } from './types.ts';

/** Options of the real UDP adapters: the family follows the host unless given. */
export interface UdpTransportOptions extends TransportOptions {
  family?: AddressFamily;
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
