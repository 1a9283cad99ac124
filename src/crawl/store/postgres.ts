/**
 * CrawlStore on PostgreSQL, for crawls that outgrow one machine: any number of
 * crawler processes, on one host or many, write into one database. Every row is
 * keyed by infohash and every write is an upsert (INSERT ... ON CONFLICT), so
 * concurrent writers never make duplicate rows and never lose a counter. A batch
 * is one transaction and one statement per table (arrays through unnest); rows
 * are sorted by infohash so writers lock in the same order, and the rare
 * deadlock or serialization failure is retried. pg is loaded on first open.
 */
import type { Pool, PoolClient } from 'pg';
import { aggregateBatch, checkInfohash, formatPeer, parsePeer } from './aggregate.ts';
import { toInfohashRow } from './rows.ts';
import type { InfohashSqlRow } from './rows.ts';
import { cleanTorrent } from './clean.ts';
import { importOptional } from '../../util/optional-dependency.ts';
import type { CrawlBatch, CrawlStore, InfohashRow, StoreCounts, TorrentRecord, UnfetchedQuery } from './types.ts';

export interface PostgresStoreOptions {
  /** postgres://user@host:port/db */
  url: string;
  /** Schema holding the tables (created if missing; default 'public'). */
  schema?: string;
  /** Connections in the pool (default 4). */
  poolSize?: number;
}

/** Deadlock and serialization failures: the transaction can simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_TRIES = 6;
const INT8_OID = 20;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

interface TorrentSqlRow {
  infohash: string;
  name: string;
  size: number;
  files: TorrentRecord['files'];
  fetched_at: number;
  peer: string;
}

/** Open a PostgreSQL crawl store, creating its schema and tables if missing. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<CrawlStore> {
  const schema = options.schema ?? 'public';
  if (!IDENTIFIER.test(schema)) throw new TypeError(`not a plain schema name: ${JSON.stringify(schema)}`);
  const pg = await importOptional('A PostgreSQL crawl store', 'pg', () => import('pg'));
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 4,
    // BIGINT columns (times in ms, counters) as numbers: all stay below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that errors (server restart) must not take the process down.
  pool.on('error', () => {});
  const store = new PostgresCrawlStore(pool, schema);
  try {
    await store.createSchema();
  } catch (error) {
    await pool.end();
    throw error;
  }
  return store;
}

// Not exported: its constructor's type is pg's, kept out of our declarations.
class PostgresCrawlStore implements CrawlStore {
  readonly kind = 'postgres' as const;
  readonly #pool: Pool;
  readonly #s: string;
  #closed: Promise<void> | undefined;

  constructor(pool: Pool, schema: string) {
    this.#pool = pool;
    this.#s = `"${schema}"`;
  }

  /** Idempotent, and safe when several processes start at once (an advisory lock serializes them). */
  async createSchema(): Promise<void> {
    const s = this.#s;
    await this.#transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('btdht.crawl.schema'))`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${s}.infohashes (
          infohash TEXT PRIMARY KEY,
          first_seen BIGINT NOT NULL,
          last_seen BIGINT NOT NULL,
          times_seen BIGINT NOT NULL DEFAULT 0,
          seen_get_peers BIGINT NOT NULL DEFAULT 0,
          seen_announce BIGINT NOT NULL DEFAULT 0,
          seen_sample BIGINT NOT NULL DEFAULT 0,
          peers JSONB NOT NULL DEFAULT '[]',
          fetch_attempts INTEGER NOT NULL DEFAULT 0,
          last_attempt_at BIGINT,
          last_failure TEXT,
          fetched_at BIGINT
        )`);
      await client.query(`CREATE INDEX IF NOT EXISTS infohashes_unfetched ON ${s}.infohashes (last_seen) WHERE fetched_at IS NULL`);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${s}.torrents (
          infohash TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          size BIGINT NOT NULL,
          files JSONB NOT NULL,
          fetched_at BIGINT NOT NULL,
          peer TEXT NOT NULL
        )`);
    });
  }

  async write(batch: CrawlBatch): Promise<void> {
    const rows = aggregateBatch(batch);
    const s = this.#s;
    const torrents = rows.torrents.map(cleanTorrent);
    await this.#transaction(async (client) => {
      if (rows.observations.length > 0) {
        const o = rows.observations;
        // Newest peers first, distinct, at most 8 (MAX_KNOWN_PEERS).
        await client.query(
          `INSERT INTO ${s}.infohashes AS t (infohash, first_seen, last_seen, times_seen, seen_get_peers, seen_announce, seen_sample, peers)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::jsonb[])
           ON CONFLICT (infohash) DO UPDATE SET
             first_seen = LEAST(t.first_seen, EXCLUDED.first_seen),
             last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen),
             times_seen = t.times_seen + EXCLUDED.times_seen,
             seen_get_peers = t.seen_get_peers + EXCLUDED.seen_get_peers,
             seen_announce = t.seen_announce + EXCLUDED.seen_announce,
             seen_sample = t.seen_sample + EXCLUDED.seen_sample,
             peers = CASE WHEN EXCLUDED.peers = '[]'::jsonb THEN t.peers ELSE (
               SELECT COALESCE(jsonb_agg(value ORDER BY rank), '[]'::jsonb) FROM (
                 SELECT value, min(rank) AS rank FROM (
                   SELECT value, ord AS rank FROM jsonb_array_elements_text(EXCLUDED.peers) WITH ORDINALITY AS n(value, ord)
                   UNION ALL
                   SELECT value, ord + 1000 AS rank FROM jsonb_array_elements_text(t.peers) WITH ORDINALITY AS p(value, ord)
                 ) AS u GROUP BY value ORDER BY rank LIMIT 8
               ) AS kept
             ) END`,
          [
            o.map((r) => r.infohash),
            o.map((r) => r.firstSeen),
            o.map((r) => r.lastSeen),
            o.map((r) => r.timesSeen),
            o.map((r) => r.seenGetPeers),
            o.map((r) => r.seenAnnounce),
            o.map((r) => r.seenSample),
            o.map((r) => r.peers),
          ],
        );
      }
      if (torrents.length > 0) {
        await client.query(
          `INSERT INTO ${s}.torrents (infohash, name, size, files, fetched_at, peer)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[], $5::bigint[], $6::text[])
           ON CONFLICT (infohash) DO NOTHING`,
          [
            torrents.map((t) => t.infohash),
            torrents.map((t) => t.name),
            torrents.map((t) => t.size),
            torrents.map((t) => JSON.stringify(t.files)),
            torrents.map((t) => t.fetchedAt),
            torrents.map((t) => formatPeer(t.peer)),
          ],
        );
        await client.query(
          `INSERT INTO ${s}.infohashes AS t (infohash, first_seen, last_seen, fetched_at)
           SELECT i, f, f, f FROM unnest($1::text[], $2::bigint[]) AS x(i, f)
           ON CONFLICT (infohash) DO UPDATE SET fetched_at = COALESCE(t.fetched_at, EXCLUDED.fetched_at)`,
          [torrents.map((t) => t.infohash), torrents.map((t) => t.fetchedAt)],
        );
      }
      if (rows.failures.length > 0) {
        const f = rows.failures;
        await client.query(
          `INSERT INTO ${s}.infohashes AS t (infohash, first_seen, last_seen, fetch_attempts, last_attempt_at, last_failure)
           SELECT i, a, a, n, a, r FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[]) AS x(i, n, a, r)
           ON CONFLICT (infohash) DO UPDATE SET
             fetch_attempts = t.fetch_attempts + EXCLUDED.fetch_attempts,
             last_attempt_at = GREATEST(t.last_attempt_at, EXCLUDED.last_attempt_at),
             last_failure = EXCLUDED.last_failure`,
          [f.map((r) => r.infohash), f.map((r) => r.attempts), f.map((r) => r.lastAttemptAt), f.map((r) => r.lastFailure)],
        );
      }
    });
  }

  async isFetched(infohash: string): Promise<boolean> {
    checkInfohash(infohash);
    const result = await this.#pool.query(`SELECT 1 FROM ${this.#s}.torrents WHERE infohash = $1`, [infohash]);
    return (result.rowCount ?? 0) > 0;
  }

  async fetchedAmong(infohashes: readonly string[]): Promise<Set<string>> {
    for (const infohash of infohashes) checkInfohash(infohash);
    if (infohashes.length === 0) return new Set();
    const result = await this.#pool.query<{ infohash: string }>(
      `SELECT infohash FROM ${this.#s}.torrents WHERE infohash = ANY($1::text[])`,
      [infohashes],
    );
    return new Set(result.rows.map((row) => row.infohash));
  }

  async listUnfetched(query: UnfetchedQuery): Promise<InfohashRow[]> {
    const result = await this.#pool.query<InfohashSqlRow>(
      `SELECT * FROM ${this.#s}.infohashes
       WHERE fetched_at IS NULL AND fetch_attempts < $1 AND (last_attempt_at IS NULL OR last_attempt_at <= $2)
       ORDER BY last_seen DESC LIMIT $3`,
      [
        Math.min(query.maxAttempts ?? 2_147_483_647, 2_147_483_647),
        query.attemptedBefore ?? Number.MAX_SAFE_INTEGER,
        Math.max(0, Math.floor(query.limit)),
      ],
    );
    return result.rows.map(toInfohashRow);
  }

  async getInfohash(infohash: string): Promise<InfohashRow | undefined> {
    const result = await this.#pool.query<InfohashSqlRow>(`SELECT * FROM ${this.#s}.infohashes WHERE infohash = $1`, [infohash]);
    const row = result.rows[0];
    return row === undefined ? undefined : toInfohashRow(row);
  }

  async getTorrent(infohash: string): Promise<TorrentRecord | undefined> {
    const result = await this.#pool.query<TorrentSqlRow>(`SELECT * FROM ${this.#s}.torrents WHERE infohash = $1`, [infohash]);
    const row = result.rows[0];
    return row === undefined
      ? undefined
      : { infohash: row.infohash, name: row.name, size: row.size, files: row.files, fetchedAt: row.fetched_at, peer: parsePeer(row.peer) ?? { host: '', port: 0 } };
  }

  async counts(): Promise<StoreCounts> {
    const result = await this.#pool.query<{ infohashes: number; torrents: number }>(
      `SELECT (SELECT count(*) FROM ${this.#s}.infohashes) AS infohashes, (SELECT count(*) FROM ${this.#s}.torrents) AS torrents`,
    );
    const row = result.rows[0]!;
    return { infohashes: row.infohashes, torrents: row.torrents };
  }

  close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    return this.#closed;
  }

  async #transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        await work(client);
        await client.query('COMMIT');
        return;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection itself is gone: do not return it to the pool
        }
        const code = (error as { code?: unknown }).code;
        if (attempt >= MAX_TRIES || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      } finally {
        client.release(broken);
      }
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20 * attempt));
    }
  }
}

