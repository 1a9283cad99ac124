/**
 * The SQLite crawl database's tables, and the migration of older files to
 * them. Version 2 (this one): torrents keyed by an integer id (FTS5's rowid:
 * VACUUM may renumber an implicit rowid, never an INTEGER PRIMARY KEY), known
 * by a v1 and/or v2 infohash, with swarm counts, a kind, and a contentless
 * FTS5 index over names and file paths kept in step by triggers (inserts and
 * deletes alike); per-hour counters of what was found, kept by triggers too.
 * Version 1: torrents keyed by infohash, no search. The migration rewrites the
 * torrents table in one transaction: all or nothing.
 */
import type { SqliteDatabase } from './sqlite-driver.ts';
import { torrentKind } from './kind.ts';
import { INDEXED_NAME_CHARS, INDEXED_PATHS_CHARS, SchemaError } from './schema-shared.ts';
import type { TorrentFile } from '../metadata/types.ts';

export const SQLITE_SCHEMA_VERSION = 2;


const INFOHASHES = `
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
`;

// The text FTS5 indexes for a row: the same expression on insert and on delete
// (a contentless table's 'delete' must be given exactly what was inserted).
const indexed = (row: 'new' | 'old'): string => `
  substr(${row}.name, 1, ${INDEXED_NAME_CHARS}),
  (SELECT substr(group_concat(p, ' '), 1, ${INDEXED_PATHS_CHARS})
     FROM (SELECT json_extract(value, '$.path') AS p FROM json_each(${row}.files) ORDER BY key))`;

const TORRENTS = `
CREATE TABLE IF NOT EXISTS torrents (
  id INTEGER PRIMARY KEY,
  infohash TEXT NOT NULL UNIQUE,
  infohash_v2 TEXT UNIQUE,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  file_count INTEGER NOT NULL,
  files TEXT NOT NULL,
  kind TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  fetched_at INTEGER NOT NULL,
  peer TEXT NOT NULL,
  seeders INTEGER,
  leechers INTEGER,
  swarm_checked_at INTEGER
);
CREATE INDEX IF NOT EXISTS torrents_v2_key ON torrents (substr(infohash_v2, 1, 40));
CREATE INDEX IF NOT EXISTS torrents_size ON torrents (size);
CREATE INDEX IF NOT EXISTS torrents_seeders ON torrents (seeders);
CREATE INDEX IF NOT EXISTS torrents_first_seen ON torrents (first_seen);
-- What a windowed search filters and sorts on, keyed by id: its up to 10,000 candidates are
-- looked up in this narrow index (neighbouring ids share a page) instead of in the wide rows.
CREATE INDEX IF NOT EXISTS torrents_facets ON torrents (id, kind, size, seeders, first_seen);
CREATE VIRTUAL TABLE IF NOT EXISTS torrents_fts USING fts5(name, paths, content='', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS torrents_fts_insert AFTER INSERT ON torrents BEGIN
  INSERT INTO torrents_fts (rowid, name, paths) VALUES (new.id, ${indexed('new')});
END;
CREATE TRIGGER IF NOT EXISTS torrents_fts_delete AFTER DELETE ON torrents BEGIN
  INSERT INTO torrents_fts (torrents_fts, rowid, name, paths) VALUES ('delete', old.id, ${indexed('old')});
END;
CREATE TRIGGER IF NOT EXISTS torrents_fts_update AFTER UPDATE OF id, name, files ON torrents BEGIN
  INSERT INTO torrents_fts (torrents_fts, rowid, name, paths) VALUES ('delete', old.id, ${indexed('old')});
  INSERT INTO torrents_fts (rowid, name, paths) VALUES (new.id, ${indexed('new')});
END;
`;

// What was found, per hour: new infohashes (by the sources that saw them in
// their first batch) and torrents stored. Deletes leave it alone: it counts
// finds, not what is kept. 'writer' is 0 here (one writer at a time); the
// PostgreSQL twin keys it by backend so concurrent writers never share a row.
const HOURS = `
CREATE TABLE IF NOT EXISTS crawl_hours (
  hour INTEGER NOT NULL,
  writer INTEGER NOT NULL,
  infohashes INTEGER NOT NULL DEFAULT 0,
  via_get_peers INTEGER NOT NULL DEFAULT 0,
  via_announce INTEGER NOT NULL DEFAULT 0,
  via_sample INTEGER NOT NULL DEFAULT 0,
  torrents INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, writer)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS infohashes_count AFTER INSERT ON infohashes WHEN new.times_seen > 0 BEGIN
  INSERT INTO crawl_hours (hour, writer, infohashes, via_get_peers, via_announce, via_sample)
  VALUES (new.first_seen / 3600000, 0, 1, new.seen_get_peers > 0, new.seen_announce > 0, new.seen_sample > 0)
  ON CONFLICT (hour, writer) DO UPDATE SET
    infohashes = infohashes + 1,
    via_get_peers = via_get_peers + excluded.via_get_peers,
    via_announce = via_announce + excluded.via_announce,
    via_sample = via_sample + excluded.via_sample;
END;
CREATE TRIGGER IF NOT EXISTS torrents_count AFTER INSERT ON torrents BEGIN
  INSERT INTO crawl_hours (hour, writer, torrents) VALUES (new.fetched_at / 3600000, 0, 1)
  ON CONFLICT (hour, writer) DO UPDATE SET torrents = torrents + 1;
END;
`;

type Db = SqliteDatabase;

/** The schema version the file holds (0: empty or not ours). */
export function sqliteSchemaVersion(db: Db): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  return row.user_version;
}

/** Bring the file to the current schema; call inside an IMMEDIATE transaction. Returns the version it had. */
export function migrateSqlite(db: Db): number {
  const version = sqliteSchemaVersion(db);
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new SchemaError(`the database has schema version ${version}, newer than this btdht's ${SQLITE_SCHEMA_VERSION}: upgrade btdht`);
  }
  if (version === 1) migrateFrom1(db);
  else if (version === 0 && hasTable(db, 'torrents') && !hasColumn(db, 'torrents', 'id')) migrateFrom1(db); // a version-1 file whose version was never written
  db.exec(INFOHASHES + TORRENTS + HOURS);
  db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION}`);
  return version;
}

function hasTable(db: Db, name: string): boolean {
  return db.prepare(`SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}

function hasColumn(db: Db, table: string, column: string): boolean {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).some((c) => c.name === column);
}

interface V1Torrent {
  rowid: number;
  infohash: string;
  name: string;
  size: number;
  files: string;
  fetched_at: number;
  peer: string;
}

/**
 * v1 → v2: the torrents table is rebuilt (ids in fetch order; the kind decided
 * from the files; first seen from the infohash's row), its search index filled
 * by the triggers, and the per-hour counters rebuilt from what the rows say.
 */
function migrateFrom1(db: Db): void {
  db.exec('ALTER TABLE torrents RENAME TO torrents_v1');
  db.exec(INFOHASHES + TORRENTS);
  // Counters: new infohashes from the old rows here; torrents by the trigger as they are copied.
  db.exec(HOURS);
  db.exec(`
    INSERT INTO crawl_hours (hour, writer, infohashes, via_get_peers, via_announce, via_sample)
    SELECT first_seen / 3600000, 0, count(*), sum(seen_get_peers > 0), sum(seen_announce > 0), sum(seen_sample > 0)
    FROM infohashes WHERE times_seen > 0 GROUP BY first_seen / 3600000`);
  const insert = db.prepare(`
    INSERT INTO torrents (infohash, name, size, file_count, files, kind, first_seen, fetched_at, peer)
    VALUES (@infohash, @name, @size, @fileCount, @files, @kind,
      min(@fetchedAt, coalesce((SELECT first_seen FROM infohashes WHERE infohash = @infohash), @fetchedAt)), @fetchedAt, @peer)`);
  const page = db.prepare(`
    SELECT rowid, infohash, name, size, files, fetched_at, peer FROM torrents_v1
    WHERE (fetched_at, rowid) > (?, ?) ORDER BY fetched_at, rowid LIMIT 1000`);
  let after: [number, number] = [Number.MIN_SAFE_INTEGER, 0];
  for (;;) {
    const rows = page.all(...after) as V1Torrent[];
    if (rows.length === 0) break;
    for (const row of rows) {
      const files = parseFiles(row.files);
      insert.run({ infohash: row.infohash, name: row.name, size: row.size, fileCount: files.length, files: row.files, kind: torrentKind(files), fetchedAt: row.fetched_at, peer: row.peer });
    }
    const last = rows[rows.length - 1]!;
    after = [last.fetched_at, last.rowid];
  }
  db.exec('DROP TABLE torrents_v1');
}

function parseFiles(json: string): TorrentFile[] {
  try {
    const files: unknown = JSON.parse(json);
    return Array.isArray(files) ? (files as TorrentFile[]) : [];
  } catch {
    return [];
  }
}
