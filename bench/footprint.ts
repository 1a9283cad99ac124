/**
 * `npm run bench:footprint`: a node's memory as the OS sees it under a
 * hostile load (issue #14 item 7), ours beside bittorrent-dht in one run.
 *
 * Each node is a process of its own with its defaults, standalone on
 * 127.0.0.1: `btdht node`; the same with V8's default nursery growth (what
 * src/cli/young-generation.ts saves); then bittorrent-dht 11.0.12. The load
 * (bench/footprint/load.ts): 200,000 junk datagrams from 1,000 loopback
 * addresses (127.77.x.y), then 50,000 announce_peer for random infohashes
 * from the same addresses, each with the token a get_peers for that
 * infohash gave; all the while a new client (127.78.0.1) asks ping /
 * find_node / get_peers every 20 ms. Printed: the node's RSS growth over its
 * baseline after the junk, after 10,000 and after 50,000 announces, the peak,
 * and the share of the new client's queries answered.
 *
 *   npm run bench:footprint -- [--only btdht,btdht-v8-nursery,bittorrent-dht] [--junk 200000]
 *                              [--announces 50000] [--sources 1000] [--junk-rate 20000]
 *                              [--inflight 64] [--json]
 */
import { DEFAULT_PLAN, mib, runFootprint, signedMib, type FootprintPlan, type FootprintResult } from './footprint/load.ts';
import { NODE_KINDS, startNode, type NodeKind } from './footprint/process.ts';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function count(name: string, fallback: number): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, got ${raw}`);
  return value;
}

const announces = count('announces', DEFAULT_PLAN.announces);
const plan: FootprintPlan = {
  ...DEFAULT_PLAN,
  sources: count('sources', DEFAULT_PLAN.sources),
  junk: count('junk', DEFAULT_PLAN.junk),
  junkRate: count('junk-rate', DEFAULT_PLAN.junkRate),
  inflight: count('inflight', DEFAULT_PLAN.inflight),
  announces,
  checkpoints: [...new Set([Math.min(10_000, announces), announces])],
};
const only = option('only');
const kinds = only === undefined ? [...NODE_KINDS] : (only.split(',') as NodeKind[]);
if (!kinds.every((k) => NODE_KINDS.includes(k))) throw new Error(`--only must be a list of ${NODE_KINDS.join(', ')}; got ${only}`);

const results: FootprintResult[] = [];
for (const kind of kinds) {
  const node = await startNode(kind, '127.0.0.1');
  try {
    results.push(await runFootprint(node, plan, (line) => console.error(line)));
  } finally {
    const code = await node.stop();
    if (code !== 0) console.error(`${node.label} exited with ${code}: ${node.stderr().slice(-2_000)}`);
  }
}

const pct = (part: number, whole: number): string => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)}%`);
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ plan, results }, null, 2));
} else {
  console.log(
    `\nLoad: ${plan.junk.toLocaleString('en-US')} junk datagrams at ${plan.junkRate.toLocaleString('en-US')}/s from ${plan.sources.toLocaleString('en-US')} addresses, ` +
      `then ${plan.announces.toLocaleString('en-US')} get_peers + announce_peer (random infohashes, ${plan.inflight} in flight); ` +
      `a new client asks every ${plan.probeIntervalMs} ms.\n`,
  );
  const labels = results[0]!.checkpoints.map((c) => c.label);
  console.log(`| node | baseline RSS | ${labels.map((l) => `growth ${l}`).join(' | ')} | peak growth | announces stored (answered) | new client answered | kernel drops | seconds |`);
  console.log(`|---|---|${labels.map(() => '---|').join('')}---|---|---|---|---|`);
  for (const r of results) {
    console.log(
      `| ${r.label} | ${mib(r.baseline)} | ${r.checkpoints.map((c) => signedMib(c.growth)).join(' | ')} | ${signedMib(r.peakGrowth)} | ` +
        `${r.announce.answered.toLocaleString('en-US')} / ${r.announce.sent.toLocaleString('en-US')} | ` +
        `${pct(r.probe.answered, r.probe.sent)} of ${r.probe.sent.toLocaleString('en-US')} | ${r.kernelDrops ?? '?'} | ${r.seconds.toFixed(0)} |`,
    );
  }
}
