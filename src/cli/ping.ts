/** `btdht ping <host:port>`: one KRPC ping, prints the node's id and the round trip. */
import type { Command } from 'commander';
import { DHT } from '../dht/dht.ts';
import type { DHTOptions } from '../dht/options.ts';
import type { PingResult } from '../dht/events.ts';
import { QueryFailedError } from '../dht/errors.ts';
import { toHex } from '../util/hex.ts';
import { formatHostPort, type HostPort } from '../util/endpoint.ts';
import { parseHostPort } from './options.ts';
import type { Output } from './session.ts';
import { consoleOutput, UnreachableError } from './session.ts';

/** Ping the node from a read-only node with no bootstrap; no answer in time rejects with UnreachableError (exit 3). */
export async function pingAction(endpoint: HostPort, io: Output = consoleOutput, options: DHTOptions = {}): Promise<PingResult> {
  const dht = new DHT({ port: 0, bootstrap: [], ...options, readOnly: true });
  const address = formatHostPort(endpoint);
  try {
    await dht.start();
    const started = performance.now();
    let reply: PingResult;
    try {
      reply = await dht.ping(address);
    } catch (error) {
      if (error instanceof QueryFailedError && error.reason === 'timeout') throw new UnreachableError(`ping: ${address} did not answer`);
      throw error;
    }
    io.out(`${address} id=${toHex(reply.id)} time=${(performance.now() - started).toFixed(1)} ms`);
    return reply;
  } finally {
    await dht.stop();
  }
}

export function registerPing(program: Command): void {
  program
    .command('ping')
    .description('ping a DHT node')
    .argument('<address>', 'host:port of the node', (value: string) => parseHostPort(value, 'ping'))
    .action(async (endpoint: HostPort) => {
      await pingAction(endpoint);
    });
}
