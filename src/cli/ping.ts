/** `btdht ping <host:port>`: one KRPC ping, prints the node's id and the round trip. */
import type { Command } from 'commander';
import { DHT } from '../dht/dht.ts';
import { parseHostPort } from './options.ts';
import { toHex } from '../util/hex.ts';
import { formatHostPort, type HostPort } from '../util/endpoint.ts';

export function registerPing(program: Command): void {
  program
    .command('ping')
    .description('ping a DHT node')
    .argument('<address>', 'host:port of the node', (value: string) => parseHostPort(value, 'ping'))
    .action(async (endpoint: HostPort) => {
      const dht = new DHT({ port: 0, bootstrap: [] });
      try {
        await dht.start();
        const started = performance.now();
        const address = formatHostPort(endpoint);
        const reply = await dht.ping(address);
        console.log(`${address} id=${toHex(reply.id)} time=${(performance.now() - started).toFixed(1)} ms`);
      } finally {
        await dht.stop();
      }
    });
}
