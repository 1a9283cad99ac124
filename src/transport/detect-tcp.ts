/**
 * Pick the TCP adapter of the runtime we are on, as detect.ts does for UDP:
 * Deno's own connect when there is a Deno namespace, node:net otherwise
 * (imported only then, so Deno never loads it).
 */
import { DenoTcpConnector, denoTcpNamespace } from './deno-tcp.ts';
import type { TcpConnector } from './tcp.ts';

export type TcpRuntime = 'deno' | 'node';

/** Which adapter createTcpConnector will use here. */
export function tcpRuntime(): TcpRuntime {
  return denoTcpNamespace() !== undefined ? 'deno' : 'node';
}

/** The TCP connector of this runtime. */
export async function createTcpConnector(): Promise<TcpConnector> {
  if (tcpRuntime() === 'deno') return new DenoTcpConnector();
  const { NodeTcpConnector } = await import('./node-tcp.ts');
  return new NodeTcpConnector();
}
