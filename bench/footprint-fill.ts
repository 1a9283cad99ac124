/**
 * `npm run bench:footprint-fill`: every bounded table of a node, filled to
 * its default cap, in a process of its own, its RSS as the OS sees it
 * (issue #14 item 7). Each table alone first (RSS growth and bytes per
 * entry), then all of them at once in one process: what a node at every
 * cap holds. The tables are the node's own classes with the node's
 * defaults (bench/footprint/fill-child.ts); the process keeps V8's nursery
 * small as `btdht node` does.
 *
 *   npm run bench:footprint-fill -- [--json]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TABLES, type FillLine, type TableName } from './footprint/tables.ts';
import { mib } from './footprint/load.ts';

const CHILD = fileURLToPath(new URL('./footprint/fill-child.ts', import.meta.url));

const WHAT: Record<TableName, string> = {
  peer: 'peer (IPv4; 50 infohashes × 2,000)',
  infohash: 'infohash with its one peer (100,000 random infohashes)',
  'scrape-record': 'BEP 33 seed/peer record (random infohash and IP)',
  'item-1k': 'BEP 44 item, 1,000-byte value + 64-byte salt (byte cap binds)',
  'item-small': 'BEP 44 item, 8-byte value (count cap binds)',
  'item-strings': 'BEP 44 item, 1,000 bytes of empty strings (most decoded values)',
  'rate-limiter': 'rate-limiter entry (one source IP)',
};

function run(which: string): FillLine[] {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, which], { encoding: 'utf8', timeout: 300_000 });
  return out.trim().split('\n').map((line) => JSON.parse(line) as FillLine);
}

const alone = TABLES.map((table) => run(table)[0]!);
const together = run('all');
const growth = (line: FillLine): number => line.after - line.before;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ alone, together }, null, 2));
} else {
  console.log('\nEach table alone, filled to its default cap (own process; RSS after full collections):\n');
  console.log('| entry | entries at cap | RSS growth | bytes per entry (RSS) | bytes per entry (table\'s own count) |');
  console.log('|---|---|---|---|---|');
  for (const line of alone) {
    const own = line.ownBytes === undefined ? '–' : Math.round(line.ownBytes / line.entries).toLocaleString('en-US');
    console.log(`| ${WHAT[line.table]} | ${line.entries.toLocaleString('en-US')} | ${mib(growth(line))} | ${Math.round(growth(line) / line.entries).toLocaleString('en-US')} | ${own} |`);
  }
  const total = together.reduce((sum, line) => sum + growth(line), 0);
  const first = together[0]!;
  const last = together[together.length - 1]!;
  console.log(`\nAll at once (${together.map((l) => l.table).join(', ')}), one process: RSS ${mib(first.before)} → ${mib(last.after)}, growth ${mib(last.after - first.before)} (sum of steps ${mib(total)}).`);
  console.log('BEP 51 samples are drawn from the peer store\'s infohashes (the "infohash" row); the responder keeps one cached answer (≤ 1 KB).');
}
