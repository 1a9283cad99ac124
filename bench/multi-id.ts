/**
 * Crawler mode at scale (issue #8): a simulated network of 10,000 nodes whose
 * nodes look up (get_peers) or announce 100,000 distinct infohashes, while
 * crawler nodes of 1, 8 and 64 ids listen. Prints the fraction of infohashes
 * each harvested from incoming get_peers / announce_peer.
 *
 *   npm run bench:multi-id [-- --nodes 10000 --infohashes 100000 --ids 1,8,64 --backend wasm]
 */
import { parseArgs } from 'node:util';
import { loadCore } from '../src/core/index.ts';
import type { Backend } from '../src/core/types.ts';
import { runHarvestExperiment } from './multi-id/experiment.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000' },
    infohashes: { type: 'string', default: '100000' },
    ids: { type: 'string', default: '1,8,64' },
    backend: { type: 'string', default: 'wasm' },
    warmup: { type: 'string', default: '20' },
  },
});
const nodes = Number(values.nodes);
const infohashes = Number(values.infohashes);
const idCounts = values.ids.split(',').map(Number);
if (![nodes, infohashes, ...idCounts].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--nodes, --infohashes and --ids take positive integers');

const started = Date.now();
const cpu = process.cpuUsage();
const result = await runHarvestExperiment({
  core: await loadCore(values.backend as Backend),
  nodes,
  infohashes,
  idCounts,
  warmupMinutes: Number(values.warmup),
  log: (line) => console.error(`  ${((Date.now() - started) / 1000).toFixed(0)} s  ${line}`),
});
const used = process.cpuUsage(cpu);
console.log(`\nmulti-id harvest: ${nodes} simulated nodes, ${infohashes} infohashes looked up or announced once each (${values.backend} core)`);
console.log('| ids | infohashes seen | fraction | get_peers in | announce_peer in | table nodes | buckets |');
console.log('|---|---|---|---|---|---|---|');
for (const c of result.crawlers) {
  console.log(`| ${c.ids} | ${c.seen} | ${(100 * c.fraction).toFixed(1)}% | ${c.getPeers} | ${c.announces} | ${c.tableNodes} | ${c.buckets} |`);
}
const base = result.crawlers[0]!;
console.log(`ratios vs ${base.ids} id: ${result.crawlers.map((c) => `${c.ids} ids ${(c.seen / Math.max(1, base.seen)).toFixed(1)}×`).join(', ')}`);
console.log(`lookup phase: ${result.datagrams} datagrams, ${result.virtualMinutes.toFixed(1)} virtual minutes; run: ${((Date.now() - started) / 1000).toFixed(0)} s wall, ${((used.user + used.system) / 1e6).toFixed(0)} s CPU`);
