/**
 * `npm run bench:sample-walk-footprint`: RSS of the BEP 51 sample walker's
 * bounded tables at their default caps (src/dht/sample/walk.ts), each in a
 * process of its own, as the OS sees it (RSS after full collections).
 *
 * The tables are filled with the walker's own shapes, not by a walk: the
 * per-walk seen set (a Set of `bytesKey` strings of 20-byte infohashes,
 * WALK_MAX_SEEN), the asked-nodes memory (a Map of 'host|port' to a time,
 * WALK_MAX_ASKED) and the frontier (sorted Entry objects plus a Set of their
 * keys, WALK_MAX_FRONTIER). Then all three at once: a walker at every cap.
 *
 *   npm run bench:sample-walk-footprint -- [--json]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { bytesKey } from '../src/util/bytes.ts';
import { WALK_MAX_ASKED, WALK_MAX_FRONTIER, WALK_MAX_SEEN } from '../src/dht/sample/constants.ts';

type Table = 'seen' | 'asked' | 'frontier' | 'all';
const TABLES: readonly Table[] = ['seen', 'asked', 'frontier', 'all'];

interface Line {
  table: Table;
  entries: number;
  before: number;
  after: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function rss(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().rss;
}

function host(i: number): string {
  return `${(i >>> 24) & 0xff}.${(i >>> 16) & 0xff}.${(i >>> 8) & 0xff}.${i & 0xff}`;
}

/** What the walker holds per table, filled to its cap; returned so it stays alive while measured. */
function fill(table: Table): { entries: number; keep: unknown[] } {
  const keep: unknown[] = [];
  let entries = 0;
  if (table === 'seen' || table === 'all') {
    const seen = new Set<string>();
    const block = randomBytes(20 * 10_000);
    for (let i = 0; i < WALK_MAX_SEEN; i++) {
      if (i % 10_000 === 0) randomBytes(20 * 10_000).copy(block);
      seen.add(bytesKey(block.subarray((i % 10_000) * 20, (i % 10_000) * 20 + 20)));
    }
    keep.push(seen);
    entries += seen.size;
  }
  if (table === 'asked' || table === 'all') {
    const asked = new Map<string, number>();
    const now = Date.now();
    for (let i = 0; i < WALK_MAX_ASKED; i++) asked.set(`${host(0x0a000000 + i * 7)}|${6881 + (i % 1000)}`, now + 6 * 3_600_000);
    keep.push(asked);
    entries += asked.size;
  }
  if (table === 'frontier' || table === 'all') {
    const frontier: { id: Uint8Array; key: string; endpoint: { host: string; port: number; family: 4 }; tries: number }[] = [];
    const inFrontier = new Set<string>();
    for (let i = 0; i < WALK_MAX_FRONTIER; i++) {
      const h = host(0x0b000000 + i * 11);
      const port = 6881 + (i % 1000);
      const key = `${h}|${port}`;
      // Ids decoded from compact node info are slices of the answer: one small buffer each.
      frontier.push({ id: new Uint8Array(randomBytes(20)), key, endpoint: { host: h, port, family: 4 }, tries: 0 });
      inFrontier.add(key);
    }
    keep.push(frontier, inFrontier);
    entries += frontier.length;
  }
  return { entries, keep };
}

if (process.argv[2] === '--child') {
  const table = process.argv[3] as Table;
  const before = rss();
  const { entries, keep } = fill(table);
  const after = rss();
  if (keep.length === 0) throw new Error('nothing filled');
  const line: Line = { table, entries, before, after };
  console.log(JSON.stringify(line));
} else {
  const self = fileURLToPath(import.meta.url);
  const lines = TABLES.map((table) => {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', table], { encoding: 'utf8', timeout: 300_000 });
    return JSON.parse(out.trim().split('\n').pop()!) as Line;
  });
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(lines, null, 2));
  } else {
    const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
    console.log(`\nSample walker tables at their default caps (seen ${WALK_MAX_SEEN}, asked ${WALK_MAX_ASKED}, frontier ${WALK_MAX_FRONTIER}); RSS after full collections:\n`);
    console.log('| table | entries | RSS growth (MiB) | bytes per entry |');
    console.log('|---|---:|---:|---:|');
    for (const l of lines) {
      const grew = l.after - l.before;
      console.log(`| ${l.table} | ${l.entries.toLocaleString('en')} | ${mib(grew)} | ${Math.round(grew / l.entries)} |`);
    }
  }
}
