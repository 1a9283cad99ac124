/**
 * Pick the UDP adapter of the runtime we are on. Deno can load node:dgram too,
 * but its own API is the native path, so node-udp is imported only when needed.
 * Deno without --unstable-net has no listenDatagram: it falls back to node:dgram.
 */
import type { UdpTransportOptions } from './address.ts';
import { DenoUdpTransport, denoNamespace } from './deno-udp.ts';
import type { Transport } from './types.ts';

export type UdpRuntime = 'deno' | 'node';

/** Which adapter createUdpTransport will use here. */
export function udpRuntime(): UdpRuntime {
  return denoNamespace() !== undefined ? 'deno' : 'node';
}

/** A not yet listening UDP transport for this runtime. */
export async function createUdpTransport(options: UdpTransportOptions = {}): Promise<Transport> {
  if (udpRuntime() === 'deno') return new DenoUdpTransport(options);
  const { NodeUdpTransport } = await import('./node-udp.ts');
  return new NodeUdpTransport(options);
}
