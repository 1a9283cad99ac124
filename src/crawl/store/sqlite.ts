/**
 * CrawlStore on SQLite (the runtime's own, or better-sqlite3: sqlite-driver.ts). One file in WAL
 * mode: readers never block the writer, and each batch is one IMMEDIATE
 * transaction, so a crash (even SIGKILL mid-batch) leaves the last committed
 * batch and a sound file. synchronous=FULL by default makes that hold across a
 * power cut too; 'normal' trades the last batches on power loss for fewer fsyncs.
 * The driver is loaded on first open, so library users who never crawl load none.
 */
import { openSqliteDatabase, type SqliteDatabase, type SqliteDriverName, type SqliteStatement } from './sqlite-driver.ts';
import { aggregateBatch, checkInfohash, formatPeer } from './aggregate.ts';
import { toInfohashRow } from './rows.ts';
import type { InfohashSqlRow } from './rows.ts';
import type { CrawlBatch, CrawlStore, InfohashRow, PruneLimits, StoreCounts, StoredTorrent, SwarmRecord, UnfetchedQuery } from './types.ts';
import { checkPruneLimits, PRUNE_BATCH, PRUNE_ROUNDS, pruneOrder, torrentsToRemove } from './prune.ts';

const PRUNE_FTS_MERGE_PAGES = 2_000;
import { cleanTorrent } from './clean.ts';
import { checkSwarmRecord, storedTorrentRow, toStoredTorrent, type TorrentSqlRow } from './torrent-rows.ts';
import { lookupHash } from './keys.ts';
import { migrateSqlite } from './sqlite-schema.ts';

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

// A hybrid found by either hash lands on one row: its key is always the v1 hash,
// and a second fetch (the other hash) meets a conflict and changes nothing.
const INSERT_TORRENT = `
INSERT INTO torrents (infohash, infohash_v2, name, size, file_count, files, kind, first_seen, fetched_at, peer)
VALUES (@infohash, @infohashV2, @name, @size, @fileCount, @files, @kind,
  min(@fetchedAt, coalesce((SELECT min(first_seen) FROM infohashes WHERE infohash IN (@infohash, @v2Key)), @fetchedAt)),
  @fetchedAt, @peer)
ON CONFLICT DO NOTHING`;

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

const RECORD_SWARM = (where: string): string => `
UPDATE torrents SET seeders = @seeders, leechers = @leechers, swarm_checked_at = @at
WHERE ${where} AND (swarm_checked_at IS NULL OR swarm_checked_at <= @at)`;

/** The row of a 40-hex DHT key (v1, or v2 truncated) or of a 64-hex v2 hash. */
const BY_SHORT = '(infohash = @short OR substr(infohash_v2, 1, 40) = @short)';
const BY_FULL = 'infohash_v2 = @full';

/**
 * Open (creating if needed) a SQLite crawl store.
 * @example
 * import { openSqliteStore } from 'btdht/crawl';
 * const store = await openSqliteStore({ path: './crawl.sqlite', synchronous: 'normal' });
 * await store.close();
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<CrawlStore> {
  const db = await openSqliteDatabase(options.path, options.driver);
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.transaction(() => migrateSqlite(db)).immediate();
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
  readonly #isFetched: SqliteStatement<[{ short: string }], { one: number }>;
  readonly #fetchedAmong: SqliteStatement<[{ list: string }], { infohash: string }>;
  readonly #getInfohash: SqliteStatement<[string], InfohashSqlRow>;
  readonly #getTorrentShort: SqliteStatement<[{ short: string }], TorrentSqlRow>;
  readonly #getTorrentFull: SqliteStatement<[{ full: string }], TorrentSqlRow>;
  readonly #recordSwarm: (records: readonly SwarmRecord[]) => number;
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
        const { dhtKeys, ...row } = storedTorrentRow(cleanTorrent(torrent));
        insertTorrent.run({ ...row, peer: formatPeer(torrent.peer) });
        for (const infohash of dhtKeys) markFetched.run({ infohash, fetchedAt: row.fetchedAt });
      }
      for (const failure of rows.failures) recordFailure.run(failure);
    });
    // IMMEDIATE: take the write lock up front, so two processes never deadlock upgrading a read.
    this.#write = (batch) => tx.immediate(batch);
    // Every DHT hash of a stored torrent is marked fetched, and stays so when retention removes it.
    this.#isFetched = db.prepare(`SELECT 1 AS one FROM infohashes WHERE infohash = @short AND fetched_at IS NOT NULL`);
    this.#fetchedAmong = db.prepare(`SELECT infohash FROM infohashes WHERE infohash IN (SELECT value FROM json_each(@list)) AND fetched_at IS NOT NULL`);
    this.#getInfohash = db.prepare('SELECT * FROM infohashes WHERE infohash = ?');
    this.#getTorrentShort = db.prepare(`SELECT * FROM torrents WHERE ${BY_SHORT}`);
    this.#getTorrentFull = db.prepare(`SELECT * FROM torrents WHERE ${BY_FULL}`);
    const swarmShort = db.prepare(RECORD_SWARM(BY_SHORT));
    const swarmFull = db.prepare(RECORD_SWARM(BY_FULL));
    const swarmTx = db.transaction((records: readonly SwarmRecord[]) => {
      let updated = 0;
      // Oldest first: of two records for one torrent, the newer one stays.
      for (const r of [...records].sort((a, b) => a.at - b.at)) {
        const hash = lookupHash(r.infohash)!;
        const values = { seeders: r.seeders, leechers: r.leechers, at: r.at };
        updated += hash.full === undefined ? swarmShort.run({ ...values, short: hash.short }).changes : swarmFull.run({ ...values, full: hash.full }).changes;
      }
      return updated;
    });
    this.#recordSwarm = (records) => swarmTx.immediate(records);
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
      return this.#isFetched.get({ short: infohash }) !== undefined;
    });
  }

  fetchedAmong(infohashes: readonly string[]): Promise<Set<string>> {
    return this.#run(() => {
      for (const infohash of infohashes) checkInfohash(infohash);
      return new Set(this.#fetchedAmong.all({ list: JSON.stringify(infohashes) }).map((row) => row.infohash));
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

  getTorrent(infohash: string): Promise<StoredTorrent | undefined> {
    return this.#run(() => {
      const hash = lookupHash(infohash);
      if (hash === undefined) return undefined;
      const row = hash.full === undefined ? this.#getTorrentShort.get({ short: hash.short }) : this.#getTorrentFull.get({ full: hash.full });
      return row === undefined ? undefined : toStoredTorrent(row);
    });
  }

  recordSwarm(records: readonly SwarmRecord[]): Promise<number> {
    return this.#run(() => {
      for (const record of records) checkSwarmRecord(record);
      return records.length === 0 ? 0 : this.#recordSwarm(records);
    });
  }

  counts(): Promise<StoreCounts> {
    return this.#run(() => {
      const { infohashes, torrents } = this.#counts.get()!;
      return { infohashes, torrents };
    });
  }

  usedBytes(): Promise<number> {
    return this.#run(() => this.#usedBytes());
  }

  #usedBytes(): number {
    const pragma = (name: string): number => Number(Object.values(this.#db.prepare<[], Record<string, number>>(`PRAGMA ${name}`).get() ?? {})[0] ?? 0);
    return (pragma('page_count') - pragma('freelist_count')) * pragma('page_size');
  }

  prune(limits: PruneLimits): Promise<number> {
    return this.#run(() => {
      checkPruneLimits(limits);
      const count = this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM torrents');
      const remove = this.#db.prepare(`DELETE FROM torrents WHERE id IN (SELECT id FROM torrents ORDER BY ${pruneOrder(limits.by, 'sqlite')} LIMIT ?)`);
      // FTS5 keeps a deleted row's terms as tombstones until its segments merge: merge them
      // (a bounded amount of work) so the space of removed rows is freed for reuse.
      const merge = this.#db.prepare(`INSERT INTO torrents_fts (torrents_fts, rank) VALUES ('merge', ${PRUNE_FTS_MERGE_PAGES})`);
      let removed = 0;
      // The size falls less than the rows do (indexes, tombstones): measure again, up to a few rounds.
      for (let round = 0; round < PRUNE_ROUNDS; round++) {
        let left = torrentsToRemove(count.get()!.n, limits.maxBytes !== undefined ? this.#usedBytes() : undefined, limits);
        if (left === 0) break;
        while (left > 0) {
          const changes = this.#db.transaction(() => remove.run(Math.min(left, PRUNE_BATCH)).changes).immediate();
          if (changes === 0) break;
          removed += changes;
          left -= changes;
        }
        if (limits.maxBytes !== undefined) this.#db.transaction(() => merge.run()).immediate();
      }
      return removed;
    });
  }

  sizeBytes(): Promise<number> {
    return this.#run(() => Number(this.#db.prepare<[], { page_count: number }>('PRAGMA page_count').get()?.page_count ?? 0) * Number(this.#db.prepare<[], { page_size: number }>('PRAGMA page_size').get()?.page_size ?? 0));
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
