/**
 * `npm run bench:index`: search speed of the index at scale. N synthetic
 * torrents (bench/index/synthetic.ts; default 1,000,000) written through the
 * crawl store into SQLite and PostgreSQL, then, on each:
 *   - bulk insert throughput (torrents/s, through CrawlStore.write, 5,000 a batch);
 *   - p50/p99 latency of a search (count + first page, as /api/search runs it)
 *     for common words and for rare words, and sorted by size (the bounded
 *     window), beside a plain LIKE scan over names and file lists on the same
 *     data (the anchor: what a database without a full-text index does);
 *   - insert throughput while another process searches without pause, and
 *     that process's latencies meanwhile.
 * PostgreSQL from BTDHT_TEST_POSTGRES_URL (npm run bench:index starts a
 * throwaway one). Never in CI: a million torrents take minutes.
 *
 *   npm run bench:index -- [--torrents N] [--queries N] [--only sqlite|postgres]
 *     [--db FILE] [--pg-schema NAME] [--pg-store-rows N] [--no-busy]
 *
 * --db FILE / --pg-schema NAME keep the database for the next run, which
 * reuses it (topping it up to N torrents) instead of building it again: a
 * million torrents is CPU-heavy to write. The insert-while-searching phase
 * then writes to a copy of the SQLite file, or removes its rows from the
 * kept PostgreSQL schema afterwards, so the kept data stays the same.
 * PostgreSQL's bulk rate is measured on the first --pg-store-rows (50,000)
 * through CrawlStore.write; the rest is loaded fast (bench/index/pg-load.ts).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '../src/crawl/store/postgres.ts';
import { openSqliteStore } from '../src/crawl/store/sqlite.ts';
import { openSqliteDatabase } from '../src/crawl/store/sqlite-driver.ts';
import type { CrawlStore } from '../src/crawl/store/types.ts';
import { openPostgresReader } from '../src/web/index/postgres-reader.ts';
import type { IndexReader } from '../src/web/index/reader.ts';
import { openSqliteReader } from '../src/web/index/sqlite-reader.ts';
import { MAX_PAGE, wordSearch, type SearchQuery } from '../src/web/index/query.ts';
import { fastLoad } from './index/pg-load.ts';
import { generator } from './index/synthetic.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};

const BATCH = 5_000;
/** PostgreSQL: how many torrents go through CrawlStore.write (its bulk rate) before the fast load. */
const PG_STORE_ROWS = Number(flag('--pg-store-rows', '50000'));
const T0 = Date.UTC(2026, 0, 1);

interface Target {
  backend: 'sqlite' | 'postgres';
  /** A SQLite path, or a postgres URL + schema. */
  path?: string;
  url?: string;
  schema?: string;
}

function openStore(t: Target): Promise<CrawlStore> {
  return t.backend === 'sqlite' ? openSqliteStore({ path: t.path!, synchronous: 'normal' }) : openPostgresStore({ url: t.url!, schema: t.schema!, poolSize: 2 });
}

function openReader(t: Target): Promise<IndexReader> {
  return t.backend === 'sqlite' ? openSqliteReader(t.path!) : openPostgresReader({ url: t.url!, schema: t.schema!, statementTimeoutMs: 60_000 });
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(ms: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s[s.length - 1] ?? NaN };
}

/** Wall time of each search, and this process's CPU time for it (user + system): on a loaded machine the difference is time spent waiting for a core. */
async function timeSearches(reader: IndexReader, queries: SearchQuery[]): Promise<{ ms: number[]; cpuMs: number[]; matches: number[] }> {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  const matches: number[] = [];
  for (const q of queries) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const result = await reader.search(q);
    ms.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1000);
    matches.push(result.total);
  }
  return { ms, cpuMs, matches };
}

/** The anchor: the same count and first page by LIKE over names and file lists. */
async function likeScan(t: Target, words: string[]): Promise<number[]> {
  const ms: number[] = [];
  if (t.backend === 'sqlite') {
    const db = await openSqliteDatabase(t.path!, undefined, { readonly: true });
    const count = db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM torrents WHERE name LIKE ? OR files LIKE ?');
    const page = db.prepare<[string, string], unknown>('SELECT infohash, name, size FROM torrents WHERE name LIKE ? OR files LIKE ? ORDER BY id DESC LIMIT 25');
    for (const w of words) {
      const p = `%${w}%`;
      const start = performance.now();
      count.get(p, p);
      page.all(p, p);
      ms.push(performance.now() - start);
    }
    db.close();
  } else {
    const { default: pg } = await import('pg');
    const client = new pg.Client(t.url);
    await client.connect();
    await client.query(`SET search_path TO "${t.schema}"`);
    for (const w of words) {
      const p = `%${w}%`;
      const start = performance.now();
      await client.query('SELECT count(*) FROM torrents WHERE name ILIKE $1 OR files::text ILIKE $1', [p]);
      await client.query('SELECT infohash, name, size FROM torrents WHERE name ILIKE $1 OR files::text ILIKE $1 ORDER BY id DESC LIMIT 25', [p]);
      ms.push(performance.now() - start);
    }
    await client.end();
  }
  return ms;
}

/** Another process searching without pause until told to stop: its latencies. */
function searcher(t: Target, words: string[]): { stop(): Promise<{ ms: number[] }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--searcher', JSON.stringify({ t, words })], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    stop: async () => {
      child.stdin.end();
      await exited;
      return JSON.parse(out) as { ms: number[] };
    },
  };
}

async function runSearcher(spec: string): Promise<void> {
  const { t, words } = JSON.parse(spec) as { t: Target; words: string[] };
  const reader = await openReader(t);
  let stopping = false;
  process.stdin.on('end', () => (stopping = true));
  process.stdin.resume();
  const ms: number[] = [];
  for (let i = 0; !stopping; i++) {
    const start = performance.now();
    await reader.search(wordSearch(words[i % words.length]!));
    ms.push(performance.now() - start);
    await new Promise((r) => setImmediate(r));
  }
  await reader.close();
  process.stdout.write(JSON.stringify({ ms }));
}

/** Rare words known to be in the data: the least frequent word (rank ≥ 5,000 of the Zipf vocabulary) of every 997th stored name. */
async function rareWords(t: Target, torrents: number): Promise<string[]> {
  const rank = new Map(generator(1).words.map((w, i) => [w, i]));
  const ids = Array.from({ length: Math.ceil(torrents / 997) }, (_, i) => 1 + i * 997);
  let names: string[];
  if (t.backend === 'sqlite') {
    const db = await openSqliteDatabase(t.path!, undefined, { readonly: true });
    names = (db.prepare(`SELECT name FROM torrents WHERE id IN (${ids.join(',')}) ORDER BY id`).all() as { name: string }[]).map((r) => r.name);
    db.close();
  } else {
    const { default: pg } = await import('pg');
    const client = new pg.Client(t.url);
    await client.connect();
    names = (await client.query<{ name: string }>(`SELECT name FROM "${t.schema}".torrents WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids])).rows.map((r) => r.name);
    await client.end();
  }
  const rare: string[] = [];
  for (const name of names) {
    const words = name.toLowerCase().split(/[^a-z]+/).filter((w) => rank.has(w));
    const rarest = words.sort((a, b) => rank.get(b)! - rank.get(a)!)[0];
    if (rarest !== undefined && rank.get(rarest)! >= 5_000) rare.push(rarest);
  }
  return [...new Set(rare)];
}

function insert(store: CrawlStore, from: number, count: number, seed: number): Promise<number> {
  return insertWith(store, generator(seed), from, count);
}

async function insertWith(store: CrawlStore, gen: ReturnType<typeof generator>, from: number, count: number): Promise<number> {
  const start = performance.now();
  for (let n = from; n < from + count; n += BATCH) {
    const k = Math.min(BATCH, from + count - n);
    const batch = Array.from({ length: k }, (_, i) => gen.torrent(n + i, T0 + (n + i) * 1000));
    await store.write({ torrents: batch });
    if ((n - from) % 100_000 === 0 && n > from) process.stderr.write(`  ${n - from} written, ${((n - from) / ((performance.now() - start) / 1000)).toFixed(0)}/s\n`);
  }
  return count / ((performance.now() - start) / 1000);
}

const fmt = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));

interface BenchOptions {
  torrents: number;
  queries: number;
  /** Run the insert-while-searching phase. */
  busy: boolean;
  /** The database is kept for the next run: the busy phase must leave it as it was. */
  kept: boolean;
}

async function bench(t: Target, o: BenchOptions): Promise<void> {
  const { torrents, queries } = o;
  console.log(`\n## ${t.backend}: ${torrents.toLocaleString('en-US')} torrents`);
  let store = await openStore(t);
  const had = (await store.counts()).torrents;
  let bulk = NaN;
  if (had < torrents) {
    // The generator is seeded: topping up from `had` writes what a fresh build would have.
    const gen = generator(1);
    for (let n = 0; n < had; n++) gen.torrent(n, 0);
    // PostgreSQL: the store's rate on the first rows, the rest loaded fast (bench/index/pg-load.ts).
    const through = t.backend === 'postgres' ? Math.min(torrents - had, PG_STORE_ROWS) : torrents - had;
    bulk = await insertWith(store, gen, had, through);
    console.log(`bulk insert: ${bulk.toFixed(0)} torrents/s (${through.toLocaleString('en-US')} torrents through CrawlStore.write, ${BATCH} a batch${t.backend === 'sqlite' ? ', synchronous=NORMAL' : ''})`);
    if (had + through < torrents) {
      const rate = await fastLoad(t.url!, t.schema!, had + through, torrents - had - through, (n) => gen.torrent(n, T0 + n * 1000), (done) => {
        if (done % 100_000 === 0) process.stderr.write(`  ${done} loaded\n`);
      });
      console.log(`the rest loaded fast: ${rate.toFixed(0)} torrents/s (${(torrents - had - through).toLocaleString('en-US')} torrents, multi-row INSERT, GIN index built after)`);
    }
  } else {
    console.log(`reusing the kept database: ${had.toLocaleString('en-US')} torrents (bulk insert not measured in this run)`);
  }
  const stored = Math.max(had, torrents);
  const words = generator(1).words;
  // Common: the most frequent words of the Zipf vocabulary; rare: words far down it, taken from names stored.
  const common = words.slice(0, 20);
  const rare = (await rareWords(t, stored)).slice(0, queries);
  const reader = await openReader(t);
  await timeSearches(reader, common.slice(0, 5).map((w) => wordSearch(w))); // warm the cache
  const commonQ = Array.from({ length: queries }, (_, i) => wordSearch(common[i % common.length]!));
  const rareQ = Array.from({ length: queries }, (_, i) => wordSearch(rare[i % rare.length]!));
  const sizeQ = Array.from({ length: queries }, (_, i) => wordSearch(common[i % common.length]!, { sort: 'size' }));
  const twoQ = Array.from({ length: queries }, (_, i) => wordSearch(`${common[i % common.length]} ${common[(i + 7) % common.length]}`));
  const deepQ = Array.from({ length: queries }, (_, i) => wordSearch(common[i % common.length]!, { page: MAX_PAGE }));
  const kindQ = Array.from({ length: queries }, (_, i) => wordSearch(common[i % common.length]!, { kinds: ['video'] }));
  const rareSizeQ = Array.from({ length: queries }, (_, i) => wordSearch(rare[i % rare.length]!, { sort: 'size' }));
  const browseQ = Array.from({ length: queries }, (_, i) => wordSearch('', { page: 1 + (i % 40) }));
  const rows: [string, { ms: number[]; cpuMs: number[]; matches: number[] }][] = [
    ['common word, newest first', await timeSearches(reader, commonQ)],
    ['rare word, newest first', await timeSearches(reader, rareQ)],
    ['two common words, newest first', await timeSearches(reader, twoQ)],
    [`common word, newest first, page ${MAX_PAGE} (the deepest)`, await timeSearches(reader, deepQ)],
    ['no words, newest first, pages 1-40', await timeSearches(reader, browseQ)],
    ['common word, by size (window)', await timeSearches(reader, sizeQ)],
    ['common word, kind=video (window)', await timeSearches(reader, kindQ)],
    ['rare word, by size (window)', await timeSearches(reader, rareSizeQ)],
  ];
  console.log(`load average before the searches: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| search (count + first page) | matches (median) | p50 ms | p99 ms | max ms | CPU p50 ms | CPU p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of rows) {
    const s = summary(r.ms);
    const c = summary(r.cpuMs);
    const m = [...r.matches].sort((a, b) => a - b)[Math.floor(r.matches.length / 2)]!;
    console.log(`| ${name} | ${m.toLocaleString('en-US')} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${fmt(c.p50)} | ${fmt(c.p99)} |`);
  }
  const likeN = Math.min(10, queries);
  const likeCommon = summary(await likeScan(t, common.slice(0, likeN)));
  const likeRare = summary(await likeScan(t, rare.slice(0, likeN)));
  console.log(`| anchor: LIKE scan, common word (${likeN} queries) | | ${fmt(likeCommon.p50)} | ${fmt(likeCommon.p99)} | ${fmt(likeCommon.max)} |`);
  console.log(`| anchor: LIKE scan, rare word (${likeN} queries) | | ${fmt(likeRare.p50)} | ${fmt(likeRare.p99)} | ${fmt(likeRare.max)} |`);
  const common50 = summary(rows[0]![1].ms).p50;
  const rare50 = summary(rows[1]![1].ms).p50;
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`full-text vs LIKE (p50): common ${fmt(likeCommon.p50 / common50)}× faster, rare ${fmt(likeRare.p50 / rare50)}× faster`);
  await reader.close();

  console.log(`database: ${((await store.usedBytes()) / 1e9).toFixed(2)} GB`);
  if (!o.busy) return store.close();

  // Inserts while another process searches without pause: on a copy of a kept SQLite file.
  let busyTarget = t;
  if (o.kept && t.backend === 'sqlite') {
    await store.close(); // checkpoints the WAL into the file copied
    busyTarget = { ...t, path: `${t.path!}.busy` };
    copyFileSync(t.path!, busyTarget.path!);
    store = await openStore(busyTarget);
  }
  const during = Math.max(BATCH, Math.min(100_000, Math.floor(torrents / 10)));
  const child = searcher(busyTarget, [...common, ...rare]);
  await new Promise((r) => setTimeout(r, 2_000));
  const busy = await insert(store, stored, during, 2);
  const searched = summary((await child.stop()).ms);
  console.log(
    `insert while searching: ${busy.toFixed(0)} torrents/s (${during.toLocaleString('en-US')} torrents${Number.isNaN(bulk) ? '' : `; ${fmt((busy / bulk) * 100)}% of the bulk rate`}); ` +
      `the searching process meanwhile: ${searched.n} searches, p50 ${fmt(searched.p50)} ms, p99 ${fmt(searched.p99)} ms`,
  );
  await store.close();
  if (busyTarget !== t) rmSync(busyTarget.path!, { force: true });
  else if (o.kept && t.backend === 'postgres') await dropNewerThan(t, stored);
}

/** Remove what the busy phase added to a kept PostgreSQL schema (rows past the first `stored`). */
async function dropNewerThan(t: Target, stored: number): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client(t.url);
  await client.connect();
  const cutoff = T0 + stored * 1000;
  await client.query(`DELETE FROM "${t.schema}".torrents WHERE fetched_at >= $1`, [cutoff]);
  await client.query(`DELETE FROM "${t.schema}".infohashes WHERE first_seen >= $1`, [cutoff]);
  await client.end();
}

async function main(): Promise<void> {
  const searcherSpec = flag('--searcher', '');
  if (searcherSpec !== '') return runSearcher(searcherSpec);
  const torrents = Number(flag('--torrents', '1000000'));
  const queries = Number(flag('--queries', '200'));
  const only = flag('--only', '');
  const dbPath = flag('--db', '');
  const pgSchema = flag('--pg-schema', '');
  const busy = !args.includes('--no-busy');
  console.log(`bench:index — ${torrents.toLocaleString('en-US')} synthetic torrents, ${queries} queries a kind; node ${process.version}, ${new Date().toISOString()}`);
  if (only !== 'postgres') {
    if (dbPath !== '') {
      console.log(`SQLite file ${dbPath} (${existsSync(dbPath) ? 'reused' : 'built'}, kept)`);
      await bench({ backend: 'sqlite', path: dbPath }, { torrents, queries, busy, kept: true });
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'btdht-bench-index-'));
      try {
        await bench({ backend: 'sqlite', path: join(dir, 'index.sqlite') }, { torrents, queries, busy, kept: false });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  if (only !== 'sqlite') {
    const url = process.env['BTDHT_TEST_POSTGRES_URL'];
    if (url === undefined || url === '') {
      console.log('\n(PostgreSQL skipped: BTDHT_TEST_POSTGRES_URL is not set; npm run bench:index starts a throwaway server)');
      return;
    }
    if (pgSchema !== '') {
      await bench({ backend: 'postgres', url, schema: pgSchema }, { torrents, queries, busy, kept: true });
      return;
    }
    const schema = `bench_index_${process.pid}`;
    try {
      await bench({ backend: 'postgres', url, schema }, { torrents, queries, busy, kept: false });
    } finally {
      const { default: pg } = await import('pg');
      const client = new pg.Client(url);
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }
}

await main();
