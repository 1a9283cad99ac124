/** `btdht node`: run a node until interrupted. */
import type { Command } from 'commander';
import { DHT } from '../dht/dht.ts';
import type { Backend } from '../core/types.ts';
import { onInterrupt, parseBackend, parseBootstrap, parsePort } from './options.ts';
import { METRICS_FLAG, METRICS_HELP, newMetricsHub, parseMetricsAddress, startMetrics } from './metrics.ts';
import type { ListenAddress } from '../web/listen.ts';
import { keepYoungGenerationSmall } from './young-generation.ts';

interface NodeFlags {
  host: string;
  host6?: string;
  ipv4: boolean;
  ipv6: boolean;
  port: number;
  bootstrap?: string[];
  backend: Backend;
  state?: string;
  metrics?: ListenAddress;
}

export function registerNode(program: Command): void {
  program
    .command('node')
    .description('run a DHT node until SIGINT/SIGTERM')
    .option('--host <host>', 'IPv4 address to bind (an IPv6 one makes an IPv6-only node)', '0.0.0.0')
    .option('--host6 <host>', 'IPv6 address to bind (BEP 32; default :: when binding every interface)')
    .option('--no-ipv4', 'do not join the IPv4 DHT')
    .option('--no-ipv6', 'do not join the IPv6 DHT')
    .option('--port <port>', 'UDP port (0 = any)', parsePort, 6881)
    .option('--bootstrap <list>', 'routers as host:port,... ("" = standalone)', parseBootstrap)
    .option('--backend <name>', 'core backend: wasm or js', parseBackend, 'wasm')
    .option('--state <file>', 'restore the node id and routing table from FILE, save there on exit')
    .option(METRICS_FLAG, METRICS_HELP, parseMetricsAddress)
    .action(async (flags: NodeFlags) => {
      // Before the node allocates anything: a flood must not grow the heap's nursery (young-generation.ts).
      keepYoungGenerationSmall();
      const dht = new DHT({
        host: flags.host,
        port: flags.port,
        ...(flags.host6 !== undefined ? { host6: flags.host6 } : {}),
        ...(flags.ipv4 ? {} : { ipv4: false }),
        ...(flags.ipv6 ? {} : { ipv6: false }),
        backend: flags.backend,
        ...(flags.bootstrap ? { bootstrap: flags.bootstrap } : {}),
        ...(flags.state ? { stateFile: flags.state } : {}),
      });
      const hub = flags.metrics === undefined ? undefined : (await newMetricsHub()).addNode(dht);
      const metrics = flags.metrics === undefined || hub === undefined ? undefined : await startMetrics(flags.metrics, hub, 'btdht node', (line) => console.log(line));
      if (metrics === 'failed') return;
      dht.on('warning', (error) => console.error(`warning: ${error.message}`));
      try {
        await dht.start();
      } catch (error) {
        await metrics?.close();
        throw error;
      }
      // One line per address family (BEP 32: a dual-stack node is in both DHTs under one id).
      for (const local of dht.addresses()) {
        console.log(`listening ${local.family === 6 ? `[${local.host}]` : local.host}:${local.port} IPv${local.family} id=${dht.idHex}`);
      }
      dht.on('ready', () => console.error(`bootstrapped: ${dht.stats().nodes} nodes in the routing table`));
      onInterrupt(async () => {
        await metrics?.close();
        hub?.close();
        await dht.stop();
        const stats = dht.stats();
        console.error(`stopped: ${stats.nodes} nodes${flags.state ? `, state saved to ${flags.state}` : ''}`);
      });
    });
}
