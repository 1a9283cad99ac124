/**
 * Pick the UDP adapter of the runtime we are on. Deno can load node:dgram too,
 * but its own API is the native path, so node-udp is imported only when needed.
 * Deno without --unstable-net has no listenDatagram: it falls back to node:dgram.
 * Bun implements node:dgram itself (its own Bun.udpSocket has no per-send
 * error callback the node needs), so Bun takes the node:dgram adapter.
 */
import type { UdpTransportOptions } from './address.ts';
import { DenoUdpTransport, denoNamespace } from './deno-udp.ts';
import type { Transport } from './types.ts';

export type UdpRuntime = 'deno' | 'bun' | 'node';

/** The runtime we are on, as createUdpTransport sees it ('bun' and 'node' share the node:dgram adapter). */
export function udpRuntime(): UdpRuntime {
  if (denoNamespace() !== undefined) return 'deno';
  return typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' ? 'bun' : 'node';
}

/**
 * A not yet listening UDP transport for this runtime.
 * @example
 * import { DHT, createUdpTransport } from 'btdht';
 * const transport = await createUdpTransport({ host: '127.0.0.1' }); // Deno's, or node:dgram (Node, Bun)
 * const dht = new DHT({ transport, bootstrap: [] });
 */
export async function createUdpTransport(options: UdpTransportOptions = {}): Promise<Transport> {
  if (udpRuntime() === 'deno') return new DenoUdpTransport(options);
  const { NodeUdpTransport } = await import('./node-udp.ts');
  return new NodeUdpTransport(options);
}
