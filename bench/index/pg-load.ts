/**
 * Fill a PostgreSQL crawl schema fast, for the benchmark only: the same rows
 * CrawlStore.write stores (cleaned, kind, files as JSON, first seen = fetched,
 * every DHT hash marked fetched), written 20,000 to a multi-row INSERT in big
 * transactions, with the full-text GIN index dropped meanwhile and built once
 * at the end (a GIN index is built far faster than kept up row by row). What
 * CrawlStore.write itself achieves is measured separately (the bulk rate).
 */
import pg from 'pg';
import { cleanTorrent } from '../../src/crawl/store/clean.ts';
import { storedTorrentRow } from '../../src/crawl/store/torrent-rows.ts';
import type { TorrentRecord } from '../../src/crawl/store/types.ts';

const ROWS = 20_000;
const PER_TRANSACTION = 100_000;

export async function fastLoad(url: string, schema: string, from: number, count: number, make: (n: number) => TorrentRecord, progress: (done: number) => void): Promise<number> {
  const s = `"${schema}"`;
  const client = new pg.Client(url);
  await client.connect();
  const start = performance.now();
  try {
    await client.query('SET maintenance_work_mem = \'512MB\'');
    await client.query(`DROP INDEX IF EXISTS ${s}.torrents_search`);
    for (let t0 = from; t0 < from + count; t0 += PER_TRANSACTION) {
      await client.query('BEGIN');
      for (let n = t0; n < Math.min(t0 + PER_TRANSACTION, from + count); n += ROWS) {
        const rows = Array.from({ length: Math.min(ROWS, from + count - n) }, (_, i) => storedTorrentRow(cleanTorrent(make(n + i))));
        await client.query(
          `INSERT INTO ${s}.torrents (infohash, infohash_v2, name, size, file_count, files, kind, first_seen, fetched_at, peer)
           SELECT x.infohash, x.infohash_v2, x.name, x.size, x.file_count, x.files, x.kind, x.fetched_at, x.fetched_at, '10.0.0.1:6881'
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::jsonb[], $7::text[], $8::bigint[])
             WITH ORDINALITY AS x(infohash, infohash_v2, name, size, file_count, files, kind, fetched_at, n)
           ORDER BY x.n`,
          [rows.map((r) => r.infohash), rows.map((r) => r.infohashV2), rows.map((r) => r.name), rows.map((r) => r.size), rows.map((r) => r.fileCount), rows.map((r) => r.files), rows.map((r) => r.kind), rows.map((r) => r.fetchedAt)],
        );
        const keys = rows.flatMap((r) => r.dhtKeys.map((k) => [k, r.fetchedAt] as const));
        await client.query(
          `INSERT INTO ${s}.infohashes (infohash, first_seen, last_seen, fetched_at) SELECT i, f, f, f FROM unnest($1::text[], $2::bigint[]) AS x(i, f) ON CONFLICT (infohash) DO NOTHING`,
          [keys.map((k) => k[0]), keys.map((k) => k[1])],
        );
        progress(n + rows.length - from);
      }
      await client.query('COMMIT');
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // The schema's own index, as its DDL makes it (postgres-schema.ts), whatever happened above.
    await client.query(`CREATE INDEX IF NOT EXISTS torrents_search ON ${s}.torrents USING GIN (search)`);
    await client.query(`ANALYZE ${s}.torrents`);
    await client.end();
  }
  return count / ((performance.now() - start) / 1000);
}
