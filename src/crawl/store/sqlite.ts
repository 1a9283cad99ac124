/**
 * CrawlStore on SQLite (the runtime's own, or better-sqlite3: sqlite-driver.ts). One file in WAL
 * mode: readers never block the writer, and each batch is one IMMEDIATE
 * transaction, so a crash (even SIGKILL mid-batch) leaves the last committed
 * batch and a sound file. synchronous=FULL by default makes that hold across a
 * power cut too; 'normal' trades the last batches on power loss for fewer fsyncs.
 * The driver is loaded on first open, so library users who never crawl load none.
 */
import { openSqliteDatabase, type SqliteDatabase, type SqliteDriverName, type SqliteStatement } from './sqlite-driver.ts';
import { aggregateBatch, checkInfohash, parsePeer, formatPeer } from './aggregate.ts';
import { toInfohashRow } from './rows.ts';
import type { InfohashSqlRow } from './rows.ts';
import type { CrawlBatch, CrawlStore, InfohashRow, StoreCounts, TorrentRecord, UnfetchedQuery } from './types.ts';
import { cleanTorrent } from './clean.ts';

export interface SqliteStoreOptions {
  /** Database file (created if missing). */
  path: string;
  /** 'full' (default): durable across power loss; 'normal': fewer fsyncs. */
  synchronous?: 'full' | 'normal';
  /** How long a writer waits for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Which SQLite (default: the runtime's own, bun:sqlite or node:sqlite, else better-sqlite3). */
  driver?: SqliteDriverName;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS infohashes (
  infohash TEXT PRIMARY KEY NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  times_seen INTEGER NOT NULL DEFAULT 0,
  seen_get_peers INTEGER NOT NULL DEFAULT 0,
  seen_announce INTEGER NOT NULL DEFAULT 0,
  seen_sample INTEGER NOT NULL DEFAULT 0,
  peers TEXT NOT NULL DEFAULT '[]',
  fetch_attempts INTEGER NOT NULL DEFAULT 0,
  last_attempt_at INTEGER,
  last_failure TEXT,
  fetched_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS infohashes_unfetched ON infohashes (last_seen) WHERE fetched_at IS NULL;
CREATE TABLE IF NOT EXISTS torrents (
  infohash TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  files TEXT NOT NULL,
  fetched_at INTEGER NOT NULL,
  peer TEXT NOT NULL
);
`;

// Newest peers first, distinct, at most 8 (MAX_KNOWN_PEERS).
const UPSERT_OBSERVATION = `
INSERT INTO infohashes (infohash, first_seen, last_seen, times_seen, seen_get_peers, seen_announce, seen_sample, peers)
VALUES (@infohash, @firstSeen, @lastSeen, @timesSeen, @seenGetPeers, @seenAnnounce, @seenSample, @peers)
ON CONFLICT (infohash) DO UPDATE SET
  first_seen = min(first_seen, excluded.first_seen),
  last_seen = max(last_seen, excluded.last_seen),
  times_seen = times_seen + excluded.times_seen,
  seen_get_peers = seen_get_peers + excluded.seen_get_peers,
  seen_announce = seen_announce + excluded.seen_announce,
  seen_sample = seen_sample + excluded.seen_sample,
  peers = CASE WHEN excluded.peers = '[]' THEN peers ELSE (
    SELECT json_group_array(value) FROM (
      SELECT value, min(rank) AS rank FROM (
        SELECT value, key AS rank FROM json_each(excluded.peers)
        UNION ALL
        SELECT value, key + 1000 AS rank FROM json_each(infohashes.peers)
      ) GROUP BY value ORDER BY rank LIMIT 8
    )
  ) END`;

const INSERT_TORRENT = `
INSERT INTO torrents (infohash, name, size, files, fetched_at, peer)
VALUES (@infohash, @name, @size, @files, @fetchedAt, @peer)
ON CONFLICT (infohash) DO NOTHING`;

const MARK_FETCHED = `
INSERT INTO infohashes (infohash, first_seen, last_seen, fetched_at)
VALUES (@infohash, @fetchedAt, @fetchedAt, @fetchedAt)
ON CONFLICT (infohash) DO UPDATE SET fetched_at = coalesce(fetched_at, excluded.fetched_at)`;

const RECORD_FAILURE = `
INSERT INTO infohashes (infohash, first_seen, last_seen, fetch_attempts, last_attempt_at, last_failure)
VALUES (@infohash, @lastAttemptAt, @lastAttemptAt, @attempts, @lastAttemptAt, @lastFailure)
ON CONFLICT (infohash) DO UPDATE SET
  fetch_attempts = fetch_attempts + excluded.fetch_attempts,
  last_attempt_at = max(coalesce(last_attempt_at, 0), excluded.last_attempt_at),
  last_failure = excluded.last_failure`;

interface TorrentSqlRow {
  infohash: string;
  name: string;
  size: number;
  files: string;
  fetched_at: number;
  peer: string;
}

/** Open (creating if needed) a SQLite crawl store. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<CrawlStore> {
  const db = await openSqliteDatabase(options.path, options.driver);
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.transaction(() => {
      db.exec(SCHEMA);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteCrawlStore(db);
}

// Not exported: its constructor takes the driver, kept out of our declarations.
class SqliteCrawlStore implements CrawlStore {
  readonly kind = 'sqlite' as const;
  readonly #db: SqliteDatabase;
  readonly #write: (batch: CrawlBatch) => void;
  readonly #isFetched: SqliteStatement<[string], { one: number }>;
  readonly #fetchedAmong: SqliteStatement<[string], { infohash: string }>;
  readonly #getInfohash: SqliteStatement<[string], InfohashSqlRow>;
  readonly #getTorrent: SqliteStatement<[string], TorrentSqlRow>;
  readonly #listUnfetched: SqliteStatement<[number, number, number], InfohashSqlRow>;
  readonly #counts: SqliteStatement<[], StoreCounts>;
  #closed = false;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    const upsert = db.prepare(UPSERT_OBSERVATION);
    const insertTorrent = db.prepare(INSERT_TORRENT);
    const markFetched = db.prepare(MARK_FETCHED);
    const recordFailure = db.prepare(RECORD_FAILURE);
    const tx = db.transaction((batch: CrawlBatch) => {
      const rows = aggregateBatch(batch);
      for (const row of rows.observations) upsert.run(row);
      for (const torrent of rows.torrents) {
        const t = cleanTorrent(torrent);
        insertTorrent.run({ infohash: t.infohash, name: t.name, size: t.size, files: JSON.stringify(t.files), fetchedAt: t.fetchedAt, peer: formatPeer(t.peer) });
        markFetched.run({ infohash: t.infohash, fetchedAt: t.fetchedAt });
      }
      for (const failure of rows.failures) recordFailure.run(failure);
    });
    // IMMEDIATE: take the write lock up front, so two processes never deadlock upgrading a read.
    this.#write = (batch) => tx.immediate(batch);
    this.#isFetched = db.prepare('SELECT 1 AS one FROM torrents WHERE infohash = ?');
    this.#fetchedAmong = db.prepare('SELECT infohash FROM torrents WHERE infohash IN (SELECT value FROM json_each(?))');
    this.#getInfohash = db.prepare('SELECT * FROM infohashes WHERE infohash = ?');
    this.#getTorrent = db.prepare('SELECT * FROM torrents WHERE infohash = ?');
    this.#listUnfetched = db.prepare(
      `SELECT * FROM infohashes
       WHERE fetched_at IS NULL AND fetch_attempts < ? AND (last_attempt_at IS NULL OR last_attempt_at <= ?)
       ORDER BY last_seen DESC LIMIT ?`,
    );
    this.#counts = db.prepare('SELECT (SELECT count(*) FROM infohashes) AS infohashes, (SELECT count(*) FROM torrents) AS torrents');
  }

  write(batch: CrawlBatch): Promise<void> {
    try {
      this.#open();
      this.#write(batch);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  isFetched(infohash: string): Promise<boolean> {
    return this.#run(() => {
      checkInfohash(infohash);
      return this.#isFetched.get(infohash) !== undefined;
    });
  }

  fetchedAmong(infohashes: readonly string[]): Promise<Set<string>> {
    return this.#run(() => {
      for (const infohash of infohashes) checkInfohash(infohash);
      return new Set(this.#fetchedAmong.all(JSON.stringify(infohashes)).map((row) => row.infohash));
    });
  }

  listUnfetched(query: UnfetchedQuery): Promise<InfohashRow[]> {
    return this.#run(() => {
      const rows = this.#listUnfetched.all(query.maxAttempts ?? Number.MAX_SAFE_INTEGER, query.attemptedBefore ?? Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(query.limit)));
      return rows.map(toInfohashRow);
    });
  }

  getInfohash(infohash: string): Promise<InfohashRow | undefined> {
    return this.#run(() => {
      const row = this.#getInfohash.get(infohash);
      return row === undefined ? undefined : toInfohashRow(row);
    });
  }

  getTorrent(infohash: string): Promise<TorrentRecord | undefined> {
    return this.#run(() => {
      const row = this.#getTorrent.get(infohash);
      return row === undefined ? undefined : toTorrentRecord(row);
    });
  }

  counts(): Promise<StoreCounts> {
    return this.#run(() => {
      const { infohashes, torrents } = this.#counts.get()!;
      return { infohashes, torrents };
    });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  #open(): void {
    if (this.#closed) throw new Error('SqliteCrawlStore: closed');
  }

  #run<T>(fn: () => T): Promise<T> {
    try {
      this.#open();
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

function toTorrentRecord(row: TorrentSqlRow): TorrentRecord {
  return {
    infohash: row.infohash,
    name: row.name,
    size: row.size,
    files: JSON.parse(row.files) as TorrentRecord['files'],
    fetchedAt: row.fetched_at,
    peer: parsePeer(row.peer) ?? { host: '', port: 0 },
  };
}
