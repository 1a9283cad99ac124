/**
 * `npx tsx bench/shared-table.ts`: SharedRoutingTable (src/dht/multi-id) with
 * one id against the core's js and wasm tables, and with 64 ids, side by side
 * in one run (interleaved rounds, medians); first, the table's size per id.
 * `npx tsx --expose-gc bench/shared-table.ts` adds heap figures.
 */
import { loadCore } from '../src/core/index.ts';
import type { RoutingTable } from '../src/core/routing-types.ts';
import { SharedRoutingTable } from '../src/core/js/routing-table.ts';
import { spreadIds } from '../src/dht/multi-id/id-set.ts';
import { randomBytes, seededRandom } from '../src/ground/random.ts';
import { compare, keepAlive, type Result } from './harness.ts';

const random = seededRandom(2024);
const NODES = 20_000;
const own = randomBytes(random, 20);
const known = Array.from({ length: NODES }, () => randomBytes(random, 20));
/** Newcomers for the add benchmark: mostly Cached against a filled table, as on a live node. */
const newcomers = Array.from({ length: 1 << 17 }, () => randomBytes(random, 20));
const targets = Array.from({ length: 1024 }, () => randomBytes(random, 20));
const address = Uint8Array.of(10, 0, 0, 1, 0x1a, 0xe1);

function filled(table: RoutingTable): RoutingTable {
  known.forEach((id, i) => table.add(id, address, i, true));
  return table;
}

// Size per id: the same 300 nodes per id, from 1 to 1024 ids.
const gc = (globalThis as { gc?: () => void }).gc;
const heap = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed;
};
console.log('| ids | nodes offered | buckets | buckets per id | nodes held | heap per id |');
console.log('|---|---|---|---|---|---|');
for (const count of [1, 16, 64, 256, 1024]) {
  const ids = spreadIds(count, random);
  const offered = Array.from({ length: count * 300 }, () => randomBytes(random, 20));
  const before = heap();
  const table = new SharedRoutingTable({ id: ids[0]! });
  for (const id of ids.slice(1)) table.register(id);
  offered.forEach((id, i) => table.add(id, address, i, true));
  const bytes = heap() - before;
  const perId = gc ? `${(bytes / count / 1024).toFixed(1)} KiB` : '(--expose-gc)';
  console.log(`| ${count} | ${offered.length.toLocaleString('en-US')} | ${table.bucketCount} | ${(table.bucketCount / count).toFixed(2)} | ${table.size.toLocaleString('en-US')} | ${perId} |`);
}
console.log('');

const [wasm, js] = await Promise.all([loadCore('wasm'), loadCore('js')]);
const shared64 = new SharedRoutingTable({ id: own });
for (const id of spreadIds(64, random, own)) shared64.register(id);
const tables: Array<[string, RoutingTable]> = [
  ['js core', filled(js.createRoutingTable({ id: own }))],
  ['wasm core', filled(wasm.createRoutingTable({ id: own }))],
  ['shared, 1 id', filled(new SharedRoutingTable({ id: own }))],
  ['shared, 64 ids', filled(shared64)],
];

function addCase(name: string, table: RoutingTable): { name: string; run: (n: number) => unknown } {
  let next = 0;
  let now = NODES;
  return {
    name,
    run: (n) => {
      let r = 0;
      for (let i = 0; i < n; i++) r += table.add(newcomers[next++ & (newcomers.length - 1)]!, address, now++, true);
      return r;
    },
  };
}

function closestCase(name: string, table: RoutingTable): { name: string; run: (n: number) => unknown } {
  let next = 0;
  return {
    name,
    run: (n) => {
      let r: Uint8Array | undefined;
      for (let i = 0; i < n; i++) r = table.closest(targets[next++ & 1023]!, 8);
      return r;
    },
  };
}

const results: Result[] = [];
for (const [operation, make] of [
  ['closest(target, 8)', closestCase],
  ['add (filled table: mostly cached)', addCase],
] as const) {
  const [anchor, ...ours] = tables.map(([name, table]) => make(name, table));
  results.push(compare({ operation, anchor: anchor!, ours }));
}
keepAlive();

const opsPerSecond = (ns: number): string => Math.round(1e9 / ns).toLocaleString('en-US');
console.log(`${NODES.toLocaleString('en-US')} random nodes offered to each table (k = 8); medians of 9 interleaved rounds.\n`);
console.log('| operation | table | ops/s | vs js core | vs wasm core |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  const wasmNs = r.ours[0]!.ns;
  const rows = [{ name: r.anchorName, ns: r.anchorNs }, ...r.ours];
  for (const row of rows) {
    console.log(`| ${r.operation} | ${row.name} | ${opsPerSecond(row.ns)} | ${(r.anchorNs / row.ns).toFixed(2)}× | ${(wasmNs / row.ns).toFixed(2)}× |`);
  }
}
