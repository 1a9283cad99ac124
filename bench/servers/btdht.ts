/**
 * Our node (argv[2]: 'wasm' or 'js' core) with 1,000 nodes put straight into
 * its routing table, rate limiting and routing upkeep off (the load comes from
 * one address, and the table must not churn while we measure).
 */
import { randomBytes } from 'node:crypto';
import { DHT, encodeCompactAddress, loadCore } from '../../src/index.ts';
import type { Core } from '../../src/index.ts';
import type { RoutingTable } from '../../src/core/routing-types.ts';
import { fail, fakeNodeHost, serve } from './protocol.ts';

const backend = process.argv[2] === 'js' ? 'js' : 'wasm';
const NODES = Number(process.argv[3] ?? 1000);

try {
  const loaded = await loadCore(backend);
  // The node builds its table through the core: keep a handle on it to fill it directly.
  let table: RoutingTable | undefined;
  const core: Core = {
    ...loaded,
    createRoutingTable: (options) => (table = loaded.createRoutingTable(options)),
  };
  const dht = new DHT({ host: '127.0.0.1', port: 0, bootstrap: [], core, maxQueriesPerIpPerSecond: 0, maintenance: false });
  const ready = new Promise<void>((resolve) => dht.once('ready', () => resolve()));
  await dht.start();
  await ready; // bootstrap (nothing to do) is over: no sparse-bucket refresh will query the fake nodes
  const now = Date.now();
  for (let i = 0; i < NODES; i++) table!.add(randomBytes(20), encodeCompactAddress(fakeNodeHost(i), 6881)!, now, true);
  serve(
    { host: '127.0.0.1', port: dht.address().port, detail: `btdht (${backend} core), ${NODES} nodes offered, ${dht.stats().nodes} in its table (k = 8)` },
    () => dht.stop(),
  );
} catch (error) {
  fail(error);
}
