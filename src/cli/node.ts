/** `btdht node`: run a node until interrupted. */
import type { Command } from 'commander';
import { DHT } from '../dht/dht.ts';
import type { Backend } from '../core/types.ts';
import { onInterrupt, parseBackend, parseBootstrap, parsePort } from './options.ts';

interface NodeFlags {
  host: string;
  port: number;
  bootstrap?: string[];
  backend: Backend;
  state?: string;
}

export function registerNode(program: Command): void {
  program
    .command('node')
    .description('run a DHT node until SIGINT/SIGTERM')
    .option('--host <host>', 'address to bind', '0.0.0.0')
    .option('--port <port>', 'UDP port (0 = any)', parsePort, 6881)
    .option('--bootstrap <list>', 'routers as host:port,... ("" = standalone)', parseBootstrap)
    .option('--backend <name>', 'core backend: wasm or js', parseBackend, 'wasm')
    .option('--state <file>', 'restore the node id and routing table from FILE, save there on exit')
    .action(async (flags: NodeFlags) => {
      const dht = new DHT({
        host: flags.host,
        port: flags.port,
        backend: flags.backend,
        ...(flags.bootstrap ? { bootstrap: flags.bootstrap } : {}),
        ...(flags.state ? { stateFile: flags.state } : {}),
      });
      dht.on('warning', (error) => console.error(`warning: ${error.message}`));
      await dht.start();
      const local = dht.address();
      console.log(`listening ${local.host}:${local.port} id=${dht.idHex}`);
      dht.on('ready', () => console.error(`bootstrapped: ${dht.stats().nodes} nodes in the routing table`));
      onInterrupt(async () => {
        await dht.stop();
        const stats = dht.stats();
        console.error(`stopped: ${stats.nodes} nodes${flags.state ? `, state saved to ${flags.state}` : ''}`);
      });
    });
}
