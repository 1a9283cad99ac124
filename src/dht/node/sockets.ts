/**
 * Socket binding per address family (BEP 32): the IPv4 socket first, then
 * IPv6 on the same port when free. A family in 'auto' mode that cannot bind
 * is skipped with a warning; one that must run ('on') fails start().
 */
import type { Endpoint } from '../../ground/address.ts';
import type { Transport } from '../../transport/types.ts';
import { createUdpTransport } from '../../transport/detect.ts';
import type { FamilyMode, ResolvedOptions } from '../options.ts';

/** A socket of the node before its stack is built. */
export interface Bound {
  transport: Transport;
  local: Endpoint;
}

export interface SocketEvents {
  /** A datagram arrived on the socket of `family` (before that socket is fully bound: `family` is undefined). */
  onDatagram: (family: 4 | 6 | undefined, data: Uint8Array, from: Endpoint) => void;
  /** The transport reported an error (counted; the socket stays open). */
  onSocketError: () => void;
  warn: (error: Error) => void;
}

/** Bind the node's sockets: one per family, the primary (IPv4 when present) first. */
export async function bindSockets(o: ResolvedOptions, events: SocketEvents): Promise<Bound[]> {
  const bound: Bound[] = [];
  const open = async (transport: Transport): Promise<void> => {
    transport.onError ??= events.onSocketError;
    let family: 4 | 6 | undefined;
    const local = await transport.listen((data, from) => events.onDatagram(family, data, from));
    if (local.family !== 4 && local.family !== 6) throw new Error(`DHT: a transport bound ${local.host} with an unknown address family`);
    if (bound.some((other) => other.local.family === local.family)) {
      await transport.close();
      throw new Error(`DHT options: two transports of the IPv${local.family} family; give one per family (transport and transport6)`);
    }
    family = local.family;
    bound.push({ transport, local });
  };
  try {
    if (o.transport) await open(o.transport);
    else if (o.ipv4 !== 'off') await openUdp(open, events.warn, o.host, o.port, o.ipv4, 4);
    if (o.transport6) await open(o.transport6);
    else if (o.ipv6 !== 'off' && !bound.some((b) => b.local.family === 6)) {
      // The same port as the IPv4 socket when we can: one port to forward, one to announce.
      const port = bound[0]?.local.port ?? o.port;
      await openUdp(open, events.warn, o.host6, port, o.ipv6, 6, o.port === 0 && port !== 0);
    }
    if (bound.length === 0) throw new Error('DHT: no socket could be bound (IPv4 and IPv6 both unavailable)');
  } catch (error) {
    await Promise.all(bound.map((b) => b.transport.close()));
    throw error;
  }
  // The primary stack runs our own lookups: IPv4 when present (most of the DHT is there).
  return bound.sort((a, b) => a.local.family - b.local.family);
}

async function openUdp(
  open: (transport: Transport) => Promise<void>,
  warn: (error: Error) => void,
  host: string,
  port: number,
  mode: FamilyMode,
  family: 4 | 6,
  anyPortFallback = false,
): Promise<void> {
  try {
    await open(await createUdpTransport({ host, port, family }));
  } catch (error) {
    if (anyPortFallback) {
      try {
        await open(await createUdpTransport({ host, port: 0, family }));
        return;
      } catch {
        // report the first failure below
      }
    }
    const reason = error instanceof Error ? error.message : String(error);
    if (mode === 'on') throw new Error(`DHT: cannot bind IPv${family} UDP ${host} port ${port}: ${reason}`, { cause: error });
    warn(new Error(`IPv${family} not available (${reason}); the node runs without it`));
  }
}
