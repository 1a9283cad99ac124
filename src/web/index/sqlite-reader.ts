/**
 * The index over a SQLite crawl database, opened read-only: in WAL mode a
 * crawl keeps writing while pages are served. Searches use the FTS5 table the
 * store keeps in step with its rows.
 */
import { existsSync } from 'node:fs';
import { openSqliteDatabase, type SqliteDatabase, type SqliteStatement } from '../../crawl/store/sqlite-driver.ts';
import { SQLITE_SCHEMA_VERSION } from '../../crawl/store/sqlite-schema.ts';
import { lookupHash } from '../../crawl/store/keys.ts';
import { planResult, planSearch, toSummary, type Dialect, type PlanSqlRow, type Slice, type SummarySqlRow } from './plan.ts';
import type { SearchQuery } from './query.ts';
import { DAY_MS, HOUR_MS, IndexOpenError, type HourCount, type IndexReader, type IndexStats, type SearchResult, type TorrentDetail } from './reader.ts';

interface DetailSqlRow extends SummarySqlRow {
  files: string;
  swarm_checked_at: number | null;
  last_seen: number | null;
}

export async function openSqliteReader(path: string): Promise<IndexReader> {
  if (!existsSync(path)) throw new IndexOpenError(`no database at ${path} (run btdht crawl --db ${path} first)`);
  let db: SqliteDatabase;
  try {
    db = await openSqliteDatabase(path, undefined, { readonly: true });
  } catch (error) {
    throw new IndexOpenError(`cannot open ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const version = pragma(db, 'user_version');
    if (version !== SQLITE_SCHEMA_VERSION) {
      throw new IndexOpenError(
        version === 0
          ? `${path} is not a btdht crawl database`
          : version < SQLITE_SCHEMA_VERSION
            ? `${path} has crawl schema version ${version}: run btdht crawl on it once to upgrade it to ${SQLITE_SCHEMA_VERSION}`
            : `${path} has crawl schema version ${version}, newer than this btdht's ${SQLITE_SCHEMA_VERSION}: upgrade btdht`,
      );
    }
  } catch (error) {
    db.close();
    throw error instanceof IndexOpenError ? error : new IndexOpenError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return new SqliteIndexReader(db);
}

function pragma(db: SqliteDatabase, name: string): number {
  return Number(Object.values(db.prepare<[], Record<string, number>>(`PRAGMA ${name}`).get() ?? {})[0] ?? 0);
}

class SqliteDialect implements Dialect {
  readonly values: Record<string, unknown> = {};
  readonly #facets: boolean;
  #n = 0;
  constructor(facets: boolean) {
    this.#facets = facets;
  }
  candidateRows(): string {
    // The planner would look each id up in the table itself (rowid): ~5× slower for 10,000 candidates at a million rows.
    return this.#facets ? 'torrents t INDEXED BY torrents_facets' : 'torrents t';
  }
  param(value: unknown): string {
    const name = `p${++this.#n}`;
    this.values[name] = value;
    return `@${name}`;
  }
  matches(words: string[], order: 'asc' | 'desc' | 'any', limit: number, offset = 0): string {
    // Each word a quoted FTS5 string (only letters and digits: nothing to escape); all must match.
    // FTS5 walks its doclists in rowid order either way and stops at the LIMIT.
    const match = this.param(words.map((w) => `"${w}"`).join(' '));
    return `SELECT rowid AS id FROM torrents_fts WHERE torrents_fts MATCH ${match} ${order === 'any' ? '' : `ORDER BY rowid ${order === 'asc' ? 'ASC' : 'DESC'}`} LIMIT ${limit} OFFSET ${offset}`;
  }
  order(column: string, order: 'asc' | 'desc'): string {
    // SQLite sorts NULL lowest: last when descending, as wanted, and the index still serves it.
    return `${column} ${order === 'asc' ? 'ASC' : 'DESC'}`;
  }
}

class SqliteIndexReader implements IndexReader {
  readonly backend = 'sqlite' as const;
  readonly #db: SqliteDatabase;
  readonly #detail: SqliteStatement<[{ short: string; full: string | null }], DetailSqlRow>;
  /** The file has the index windowed searches read (a crawl opening it adds it to older files). */
  readonly #facets: boolean;
  #closed = false;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#facets = db.prepare(`SELECT 1 AS one FROM sqlite_master WHERE type = 'index' AND name = 'torrents_facets'`).get() !== undefined;
    this.#detail = db.prepare(`
      SELECT t.*, (SELECT max(i.last_seen) FROM infohashes i WHERE i.infohash IN (t.infohash, substr(t.infohash_v2, 1, 40))) AS last_seen
      FROM torrents t
      WHERE CASE WHEN @full IS NULL THEN t.infohash = @short OR substr(t.infohash_v2, 1, 40) = @short ELSE t.infohash_v2 = @full END`);
  }

  search(query: SearchQuery, slice?: Slice): Promise<SearchResult> {
    return this.#run(() => {
      const d = new SqliteDialect(this.#facets);
      const plan = planSearch(query, d, slice);
      // One statement: the count and the page see the same rows while a crawl writes.
      return planResult(plan, this.#db.prepare(plan.sql).all(d.values) as PlanSqlRow[]);
    });
  }

  torrent(hash: string): Promise<TorrentDetail | undefined> {
    return this.#run(() => {
      const key = lookupHash(hash);
      if (key === undefined) return undefined;
      const row = this.#detail.get({ short: key.short, full: key.full ?? null });
      if (row === undefined) return undefined;
      return {
        ...toSummary(row),
        files: JSON.parse(row.files) as TorrentDetail['files'],
        lastSeen: row.last_seen ?? row.fetched_at,
        swarmCheckedAt: row.swarm_checked_at,
      };
    });
  }

  stats(): Promise<IndexStats> {
    return this.#run(() =>
      this.#db.transaction((): IndexStats => {
        const db = this.#db;
        const counts = db.prepare('SELECT (SELECT count(*) FROM torrents) AS torrents, (SELECT count(*) FROM infohashes) AS infohashes, (SELECT max(fetched_at) FROM torrents) AS newest').get() as {
          torrents: number;
          infohashes: number;
          newest: number | null;
        };
        const bytes = (pragma(db, 'page_count') - pragma(db, 'freelist_count')) * pragma(db, 'page_size');
        const now = Date.now();
        const hours = db
          .prepare(`SELECT hour * ${HOUR_MS} AS at, sum(torrents) AS torrents, sum(infohashes) AS infohashes FROM crawl_hours WHERE hour >= ? GROUP BY hour ORDER BY hour`)
          .all(Math.floor((now - 72 * HOUR_MS) / HOUR_MS)) as HourCount[];
        const days = db
          .prepare(`SELECT (hour / 24) * ${DAY_MS} AS at, sum(torrents) AS torrents, sum(infohashes) AS infohashes FROM crawl_hours WHERE hour >= ? GROUP BY hour / 24 ORDER BY hour / 24`)
          .all(Math.floor((now - 90 * DAY_MS) / DAY_MS) * 24) as HourCount[];
        const sources = db.prepare('SELECT coalesce(sum(via_get_peers), 0) AS get_peers, coalesce(sum(via_announce), 0) AS announce_peer, coalesce(sum(via_sample), 0) AS sample FROM crawl_hours').get() as IndexStats['sources'];
        return { torrents: counts.torrents, infohashes: counts.infohashes, dbBytes: bytes, backend: 'sqlite', perHour: hours, perDay: days, sources, newestAt: counts.newest };
      })(),
    );
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  #run<T>(work: () => T): Promise<T> {
    try {
      if (this.#closed) throw new Error('the index reader is closed');
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
