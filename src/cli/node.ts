/**
 * `btdht node`: run a node until SIGINT/SIGTERM. Every operator-tunable
 * DHTOptions key is a flag and a `--config` key (option-table.ts). Before
 * anything binds, the settings and the state file are checked (exit 2). Logs
 * go to stderr at `--log-level` in `--log-format`, with a status line every
 * `--status-interval-ms`. A state that cannot be saved at stop exits 1.
 */
import type { Command } from 'commander';
import { DHT } from '../dht/dht.ts';
import { checkStateFile, StateFileError } from '../dht/state.ts';
import { toHex } from '../util/hex.ts';
import { parseListenAddress } from '../web/listen.ts';
import { UsageError } from './exit.ts';
import { createLogWriter } from './log-writer.ts';
import { newMetricsHub, startMetrics } from './metrics.ts';
import { keepYoungGenerationSmall } from './young-generation.ts';
import { onInterrupt } from './options.ts';
import { addTableOptions, dhtOptionsOf } from './settings.ts';
import { startStatusLine } from './status-line.ts';

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function registerNode(program: Command): void {
  const command = program.command('node').description('run a DHT node until SIGINT/SIGTERM');
  const readSettings = addTableOptions(command, 'node');
  command.action(async (raw: Record<string, unknown>) => {
    const settings = await readSettings(raw);
    // Before the node allocates anything: a flood must not grow the heap's nursery (young-generation.ts).
    keepYoungGenerationSmall();
    const log = createLogWriter({ level: settings.logLevel ?? 'info', format: settings.logFormat ?? 'text' });
    // Checked before anything binds: a state file that cannot be used is bad usage.
    if (settings.stateFile !== undefined) {
      try {
        await checkStateFile(settings.stateFile);
      } catch (error) {
        throw error instanceof StateFileError ? new UsageError(error.message) : error;
      }
    }
    let dht: DHT;
    try {
      dht = new DHT({ ...dhtOptionsOf(settings, 'node'), logger: log });
    } catch (error) {
      throw new UsageError(message(error));
    }
    // prom-client is loaded only with --metrics (an optional peer dependency).
    const hub = settings.metrics === undefined ? undefined : (await newMetricsHub()).addNode(dht);
    const address = settings.metrics === undefined ? undefined : parseListenAddress(settings.metrics, '--metrics');
    const metrics = hub === undefined ? undefined : await startMetrics(address, hub, 'btdht node', (line) => console.log(line));
    if (metrics === 'failed') return;
    try {
      await dht.start();
    } catch (error) {
      await metrics?.close();
      hub?.close();
      throw error instanceof StateFileError || /listen|bind|EADDR/i.test(message(error)) ? new UsageError(`cannot start: ${message(error)}`) : error;
    }
    // One line per address family (BEP 32: a dual-stack node is in both DHTs under one id).
    for (const local of dht.addresses()) {
      console.log(`listening ${local.family === 6 ? `[${local.host}]` : local.host}:${local.port} IPv${local.family} id=${dht.idHex}`);
    }
    dht.on('id', (change) => log.info?.('id.changed', { id: toHex(change.id), previous: toHex(change.previous), externalIp: change.externalIp }));
    const stopStatus = startStatusLine(dht, log, settings.statusIntervalMs ?? 60_000);
    onInterrupt(async () => {
      stopStatus();
      await metrics?.close();
      hub?.close();
      // Rejects when the last save failed: onInterrupt prints it and exits 1; "stopped" is printed only on success.
      await dht.stop();
      const stats = dht.stats();
      log.info?.('stopped', { nodes: stats.nodes, ...(settings.stateFile !== undefined ? { state: settings.stateFile } : {}) });
    });
  });
}
