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
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '../src/crawl/store/postgres.ts';
import { openSqliteStore } from '../src/crawl/store/sqlite.ts';
import { openSqliteDatabase } from '../src/crawl/store/sqlite-driver.ts';
import type { CrawlStore } from '../src/crawl/store/types.ts';
import { openPostgresReader } from '../src/web/index/postgres-reader.ts';
import type { IndexReader } from '../src/web/index/reader.ts';
import { openSqliteReader } from '../src/web/index/sqlite-reader.ts';
import { wordSearch, type SearchQuery } from '../src/web/index/query.ts';
import { generator } from './index/synthetic.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};

const BATCH = 5_000;
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

async function timeSearches(reader: IndexReader, queries: SearchQuery[]): Promise<{ ms: number[]; matches: number[] }> {
  const ms: number[] = [];
  const matches: number[] = [];
  for (const q of queries) {
    const start = performance.now();
    const result = await reader.search(q);
    ms.push(performance.now() - start);
    matches.push(result.total);
  }
  return { ms, matches };
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

/** Rare words known to be in the data: the least frequent word of every 997th name written. */
const rareSeen: string[] = [];

async function insert(store: CrawlStore, from: number, count: number, seed: number): Promise<number> {
  const gen = generator(seed);
  const rank = new Map(gen.words.map((w, i) => [w, i]));
  const start = performance.now();
  for (let n = from; n < from + count; n += BATCH) {
    const k = Math.min(BATCH, from + count - n);
    const batch = Array.from({ length: k }, (_, i) => gen.torrent(n + i, T0 + (n + i) * 1000));
    for (let i = 0; i < k; i += 997) {
      const words = batch[i]!.name.toLowerCase().split(/[^a-z]+/).filter((w) => rank.has(w));
      const rarest = words.sort((a, b) => rank.get(b)! - rank.get(a)!)[0];
      if (rarest !== undefined && rank.get(rarest)! >= 5_000) rareSeen.push(rarest);
    }
    await store.write({ torrents: batch });
    if ((n - from) % 100_000 === 0 && n > from) process.stderr.write(`  ${n - from} written, ${((n - from) / ((performance.now() - start) / 1000)).toFixed(0)}/s\n`);
  }
  return count / ((performance.now() - start) / 1000);
}

const fmt = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));

async function bench(t: Target, torrents: number, queries: number): Promise<void> {
  console.log(`\n## ${t.backend}: ${torrents.toLocaleString('en-US')} torrents`);
  const store = await openStore(t);
  const bulk = await insert(store, 0, torrents, 1);
  console.log(`bulk insert: ${bulk.toFixed(0)} torrents/s (CrawlStore.write, ${BATCH} a batch${t.backend === 'sqlite' ? ', synchronous=NORMAL' : ''})`);
  const words = generator(1).words;
  // Common: the most frequent words of the Zipf vocabulary; rare: words far down it, taken from names written.
  const common = words.slice(0, 20);
  const rare = [...new Set(rareSeen.splice(0))].slice(0, queries);
  const reader = await openReader(t);
  await timeSearches(reader, common.slice(0, 5).map((w) => wordSearch(w))); // warm the cache
  const commonQ = Array.from({ length: queries }, (_, i) => wordSearch(common[i % common.length]!));
  const rareQ = Array.from({ length: queries }, (_, i) => wordSearch(rare[i % rare.length]!));
  const sizeQ = Array.from({ length: queries }, (_, i) => wordSearch(common[i % common.length]!, { sort: 'size' }));
  const twoQ = Array.from({ length: queries }, (_, i) => wordSearch(`${common[i % common.length]} ${common[(i + 7) % common.length]}`));
  const rows: [string, { ms: number[]; matches: number[] }][] = [
    ['common word, newest first', await timeSearches(reader, commonQ)],
    ['rare word, newest first', await timeSearches(reader, rareQ)],
    ['two common words', await timeSearches(reader, twoQ)],
    ['common word, by size (window)', await timeSearches(reader, sizeQ)],
  ];
  console.log('| search (count + first page) | matches (median) | p50 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, r] of rows) {
    const s = summary(r.ms);
    const m = [...r.matches].sort((a, b) => a - b)[Math.floor(r.matches.length / 2)]!;
    console.log(`| ${name} | ${m.toLocaleString('en-US')} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} |`);
  }
  const likeN = Math.min(10, queries);
  const likeCommon = summary(await likeScan(t, common.slice(0, likeN)));
  const likeRare = summary(await likeScan(t, rare.slice(0, likeN)));
  console.log(`| anchor: LIKE scan, common word (${likeN} queries) | | ${fmt(likeCommon.p50)} | ${fmt(likeCommon.p99)} | ${fmt(likeCommon.max)} |`);
  console.log(`| anchor: LIKE scan, rare word (${likeN} queries) | | ${fmt(likeRare.p50)} | ${fmt(likeRare.p99)} | ${fmt(likeRare.max)} |`);
  const common50 = summary(rows[0]![1].ms).p50;
  const rare50 = summary(rows[1]![1].ms).p50;
  console.log(`full-text vs LIKE (p50): common ${fmt(likeCommon.p50 / common50)}× faster, rare ${fmt(likeRare.p50 / rare50)}× faster`);
  await reader.close();

  // Inserts while another process searches without pause.
  const during = Math.max(BATCH, Math.min(100_000, Math.floor(torrents / 10)));
  const child = searcher(t, [...common, ...rare]);
  await new Promise((r) => setTimeout(r, 2_000));
  const busy = await insert(store, torrents, during, 2);
  const searched = summary((await child.stop()).ms);
  console.log(
    `insert while searching: ${busy.toFixed(0)} torrents/s (${during.toLocaleString('en-US')} torrents; ${fmt((busy / bulk) * 100)}% of the bulk rate); ` +
      `the searching process meanwhile: ${searched.n} searches, p50 ${fmt(searched.p50)} ms, p99 ${fmt(searched.p99)} ms`,
  );
  console.log(`database: ${((await store.usedBytes()) / 1e9).toFixed(2)} GB`);
  await store.close();
}

async function main(): Promise<void> {
  const searcherSpec = flag('--searcher', '');
  if (searcherSpec !== '') return runSearcher(searcherSpec);
  const torrents = Number(flag('--torrents', '1000000'));
  const queries = Number(flag('--queries', '200'));
  const only = flag('--only', '');
  console.log(`bench:index — ${torrents.toLocaleString('en-US')} synthetic torrents, ${queries} queries a kind; node ${process.version}, ${new Date().toISOString()}`);
  if (only !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'btdht-bench-index-'));
    try {
      await bench({ backend: 'sqlite', path: join(dir, 'index.sqlite') }, torrents, queries);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (only !== 'sqlite') {
    const url = process.env['BTDHT_TEST_POSTGRES_URL'];
    if (url === undefined || url === '') {
      console.log('\n(PostgreSQL skipped: BTDHT_TEST_POSTGRES_URL is not set; npm run bench:index starts a throwaway server)');
      return;
    }
    const schema = `bench_index_${process.pid}`;
    try {
      await bench({ backend: 'postgres', url, schema }, torrents, queries);
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
