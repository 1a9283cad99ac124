/**
 * What a fresh node's first announce_peer costs its swarm tables: the peer
 * store (BEP 5) and the BEP 33 records, built with the node's defaults, one
 * write each, for N nodes kept alive (as in bench:crawl's world). Prints the
 * CPU per node (median, mean) and the process's RSS growth.
 *
 *   npx tsx bench/crawl/first-announce.ts [--nodes 200]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MemoryPeerStore } from '../../src/dht/peer-store.ts';
import { ScrapeRecords } from '../../src/dht/scrape/records.ts';
import { cryptoRandom } from '../../src/ground/random.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '200' } } });
const nodes = Number(values.nodes);
if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`--nodes must be a positive integer, got ${values.nodes}`);

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};
const kept: unknown[] = [];
const costs: number[] = [];
const rssBefore = process.memoryUsage.rss();
const now = Date.now();
for (let i = 0; i < nodes; i++) {
  const peers = new MemoryPeerStore({ random: cryptoRandom, peerLength: 6 });
  const records = new ScrapeRecords();
  kept.push(peers, records);
  const infohash = randomBytes(20);
  const start = process.cpuUsage();
  peers.add(infohash, randomBytes(6), now);
  records.record(infohash, '10.0.0.1', 6881, false, now);
  costs.push(cpuMs(start));
}
costs.sort((a, b) => a - b);
const mean = costs.reduce((s, c) => s + c, 0) / nodes;
const rss = (process.memoryUsage.rss() - rssBefore) / 2 ** 20;
console.log(`first announce (peer store + BEP 33 record), ${nodes} fresh nodes kept alive: CPU median ${costs[nodes >> 1]!.toFixed(3)} ms, mean ${mean.toFixed(3)} ms, total ${(mean * nodes).toFixed(0)} ms; RSS +${rss.toFixed(1)} MiB (${kept.length / 2} nodes)`);
