/** `--metrics HOST:PORT` for `btdht node` and `btdht crawl`: Prometheus text at /metrics, the live dashboard at /. */
import { ListenError, type ListenAddress } from '../web/listen.ts';
import type { MetricsServer } from '../web/metrics-server.ts';
import type { MetricsHub } from '../web/metrics/hub.ts';
import { EXIT } from './exit.ts';
import { importOptional } from '../util/optional-dependency.ts';

/**
 * A MetricsHub, its module imported only when --metrics asks for one:
 * prom-client (and its 3 MB of dependencies) is an optional peer dependency a
 * DHT user never installs; without it, the error says to install it.
 */
export async function newMetricsHub(): Promise<MetricsHub> {
  const { MetricsHub } = await importOptional('--metrics', 'prom-client', () => import('../web/metrics/hub.ts'));
  return new MetricsHub();
}

/**
 * Bind the metrics server before anything else binds, so a port in use is a
 * usage error at start (exit 2, nothing to undo). Undefined when it failed
 * (the message is printed and the exit code set).
 */
export async function startMetrics(address: ListenAddress | undefined, hub: MetricsHub, title: string, print: (line: string) => void): Promise<MetricsServer | undefined | 'failed'> {
  if (address === undefined) return undefined;
  try {
    const { MetricsServer } = await import('../web/metrics-server.ts');
    const server = await MetricsServer.start(address, { hub, title });
    print(`metrics: ${server.url}/metrics, dashboard: ${server.url}/`);
    return server;
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    console.error(`${title}: ${error.message}`);
    process.exitCode = EXIT.usage;
    return 'failed';
  }
}
