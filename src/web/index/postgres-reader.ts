/**
 * The index over a PostgreSQL crawl schema: searches use the `tsvector`
 * column and its GIN index the store keeps. Every query runs in a read-only
 * transaction with a statement timeout, so nothing it is asked can write or
 * run long.
 */
import type { Pool, PoolClient } from 'pg';
import { POSTGRES_SCHEMA_VERSION } from '../../crawl/store/postgres-schema.ts';
import { checkSchemaName, createPostgresPool } from '../../crawl/store/postgres-pool.ts';
import { lookupHash } from '../../crawl/store/keys.ts';
import { planResult, planSearch, toSummary, type Dialect, type PlanSqlRow, type Slice, type SummarySqlRow } from './plan.ts';
import type { SearchQuery } from './query.ts';
import { DAY_MS, HOUR_MS, IndexOpenError, type HourCount, type IndexReader, type IndexStats, type SearchResult, type TorrentDetail } from './reader.ts';

export interface PostgresReaderOptions {
  url: string;
  schema?: string;
  poolSize?: number;
  /** Longest a statement may run (default 5 s). */
  statementTimeoutMs?: number;
}

interface DetailSqlRow extends SummarySqlRow {
  files: TorrentDetail['files'];
  swarm_checked_at: number | null;
  last_seen: number | null;
}

export async function openPostgresReader(options: PostgresReaderOptions): Promise<IndexReader> {
  const schema = options.schema ?? 'public';
  checkSchemaName(schema);
  const pool = await createPostgresPool(options.url, options.poolSize ?? 4);
  try {
    const tables = await pool.query<{ version: number | null }>(
      `SELECT (SELECT max(version) FROM "${schema}".btdht_schema) AS version
       WHERE EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'btdht_schema')`,
      [schema],
    ).catch(async (error: unknown) => {
      // The schema or its version table missing: not (yet) a crawl database of this version.
      if ((error as { code?: string }).code === '42P01') return { rows: [] };
      throw error;
    });
    const version = tables.rows[0]?.version ?? 0;
    if (version !== POSTGRES_SCHEMA_VERSION) {
      throw new IndexOpenError(
        version === 0
          ? `schema ${schema} holds no btdht crawl database (run btdht crawl --db on it first)`
          : version < POSTGRES_SCHEMA_VERSION
            ? `schema ${schema} has crawl schema version ${version}: run btdht crawl on it once to upgrade it`
            : `schema ${schema} has crawl schema version ${version}, newer than this btdht's ${POSTGRES_SCHEMA_VERSION}: upgrade btdht`,
      );
    }
  } catch (error) {
    await pool.end();
    throw error instanceof IndexOpenError ? error : new IndexOpenError(`cannot read the database: ${error instanceof Error ? error.message : String(error)}`);
  }
  return new PostgresIndexReader(pool, schema, options.statementTimeoutMs ?? 5_000);
}

class PostgresDialect implements Dialect {
  readonly values: unknown[] = [];
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  matches(words: string[], order: 'asc' | 'desc' | 'any', limit: number, offset = 0): string {
    // plainto_tsquery ANDs the words (letters and digits only: no operator reaches it), reduced as the rows were.
    return `SELECT id FROM torrents WHERE search @@ plainto_tsquery('simple', btdht_search_text(${this.param(words.join(' '))})) ${order === 'any' ? '' : `ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'}`} LIMIT ${limit} OFFSET ${offset}`;
  }
  candidateRows(): string {
    return 'torrents t';
  }
  order(column: string, order: 'asc' | 'desc'): string {
    // As SQLite sorts (NULL lowest), which the seeders index (DESC NULLS LAST) serves both ways.
    return order === 'asc' ? `${column} ASC NULLS FIRST` : `${column} DESC NULLS LAST`;
  }
}

class PostgresIndexReader implements IndexReader {
  readonly backend = 'postgres' as const;
  readonly #pool: Pool;
  readonly #schema: string;
  readonly #timeoutMs: number;
  #closed: Promise<void> | undefined;

  constructor(pool: Pool, schema: string, timeoutMs: number) {
    this.#pool = pool;
    this.#schema = schema;
    this.#timeoutMs = timeoutMs;
  }

  async search(query: SearchQuery, slice?: Slice): Promise<SearchResult> {
    const d = new PostgresDialect();
    const plan = planSearch(query, d, slice);
    return this.#read(async (client) => planResult(plan, (await client.query<PlanSqlRow>(plan.sql, d.values)).rows));
  }

  async torrent(hash: string): Promise<TorrentDetail | undefined> {
    const key = lookupHash(hash);
    if (key === undefined) return undefined;
    const where = key.full === undefined ? '(t.infohash = $1 OR substr(t.infohash_v2, 1, 40) = $1)' : 't.infohash_v2 = $1';
    return this.#read(async (client) => {
      const result = await client.query<DetailSqlRow>(
        `SELECT t.infohash, t.infohash_v2, t.name, t.size, t.file_count, t.kind, t.first_seen, t.fetched_at, t.seeders, t.leechers, t.files, t.swarm_checked_at,
           (SELECT max(i.last_seen) FROM infohashes i WHERE i.infohash IN (t.infohash, substr(t.infohash_v2, 1, 40))) AS last_seen
         FROM torrents t WHERE ${where}`,
        [key.full ?? key.short],
      );
      const row = result.rows[0];
      if (row === undefined) return undefined;
      return { ...toSummary(row), files: row.files, lastSeen: row.last_seen ?? Number(row.fetched_at), swarmCheckedAt: row.swarm_checked_at };
    });
  }

  async stats(): Promise<IndexStats> {
    const now = Date.now();
    return this.#read(async (client) => {
      const counts = (
        await client.query<{ torrents: number; infohashes: number; newest: number | null; bytes: string }>(
          `SELECT (SELECT count(*) FROM torrents) AS torrents, (SELECT count(*) FROM infohashes) AS infohashes, (SELECT max(fetched_at) FROM torrents) AS newest,
             (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r') AS bytes`,
          [`"${this.#schema}"`],
        )
      ).rows[0]!;
      const hours = (
        await client.query<HourCount>(
          `SELECT hour * ${HOUR_MS} AS at, sum(torrents)::bigint AS torrents, sum(infohashes)::bigint AS infohashes FROM crawl_hours WHERE hour >= $1 GROUP BY hour ORDER BY hour`,
          [Math.floor((now - 72 * HOUR_MS) / HOUR_MS)],
        )
      ).rows;
      const days = (
        await client.query<HourCount>(
          `SELECT (hour / 24) * ${DAY_MS} AS at, sum(torrents)::bigint AS torrents, sum(infohashes)::bigint AS infohashes FROM crawl_hours WHERE hour >= $1 GROUP BY hour / 24 ORDER BY hour / 24`,
          [Math.floor((now - 90 * DAY_MS) / DAY_MS) * 24],
        )
      ).rows;
      const sources = (
        await client.query<IndexStats['sources']>(
          'SELECT coalesce(sum(via_get_peers), 0)::bigint AS get_peers, coalesce(sum(via_announce), 0)::bigint AS announce_peer, coalesce(sum(via_sample), 0)::bigint AS sample FROM crawl_hours',
        )
      ).rows[0]!;
      return {
        torrents: Number(counts.torrents),
        infohashes: Number(counts.infohashes),
        dbBytes: Number(counts.bytes),
        backend: 'postgres',
        perHour: hours.map(numbers),
        perDay: days.map(numbers),
        sources,
        newestAt: counts.newest,
      };
    });
  }

  close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    return this.#closed;
  }

  /** A read-only transaction in the crawl's schema with a statement timeout. */
  async #read<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('the index reader is closed');
    const client = await this.#pool.connect();
    try {
      await client.query(`BEGIN READ ONLY; SET LOCAL search_path TO "${this.#schema}"; SET LOCAL statement_timeout = ${Math.max(1, Math.floor(this.#timeoutMs))}`);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
}

function numbers(row: HourCount): HourCount {
  return { at: Number(row.at), torrents: Number(row.torrents), infohashes: Number(row.infohashes) };
}
