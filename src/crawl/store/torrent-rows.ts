/** The torrents table's row as both SQL backends write and read it, and the checks on what goes in. */
import { parsePeer } from './aggregate.ts';
import { checkInfohashV2, dhtKeys, lookupHash } from './keys.ts';
import { torrentKind, type TorrentKind } from './kind.ts';
import type { StoredTorrent, SwarmRecord, TorrentRecord } from './types.ts';

/** What an insert needs, derived once from a (cleaned) record. */
export interface TorrentInsertRow {
  infohash: string;
  infohashV2: string | null;
  /** The v2 hash as the DHT carries it (first 40 hex), or null. */
  v2Key: string | null;
  name: string;
  size: number;
  fileCount: number;
  /** JSON text of the file list. */
  files: string;
  kind: TorrentKind;
  fetchedAt: number;
  /** Every DHT infohash of the torrent, to mark fetched. */
  dhtKeys: string[];
}

export function storedTorrentRow(t: TorrentRecord): TorrentInsertRow {
  if (t.infohashV2 !== undefined) checkInfohashV2(t.infohashV2);
  return {
    infohash: t.infohash,
    infohashV2: t.infohashV2 ?? null,
    v2Key: t.infohashV2?.slice(0, 40) ?? null,
    name: t.name,
    size: t.size,
    fileCount: t.files.length,
    files: JSON.stringify(t.files),
    kind: torrentKind(t.files),
    fetchedAt: t.fetchedAt,
    dhtKeys: dhtKeys(t.infohashV2 === undefined ? { infohash: t.infohash } : { infohash: t.infohash, infohashV2: t.infohashV2 }),
  };
}

/** The torrents row as selected with `*` (SQLite gives files as text, PostgreSQL as parsed jsonb). */
export interface TorrentSqlRow {
  id: number;
  infohash: string;
  infohash_v2: string | null;
  name: string;
  size: number;
  file_count: number;
  files: unknown;
  kind: string;
  first_seen: number;
  fetched_at: number;
  peer: string;
  seeders: number | null;
  leechers: number | null;
  swarm_checked_at: number | null;
}

export function toStoredTorrent(row: TorrentSqlRow): StoredTorrent {
  const files = (typeof row.files === 'string' ? JSON.parse(row.files) : row.files) as StoredTorrent['files'];
  return {
    infohash: row.infohash,
    ...(row.infohash_v2 !== null ? { infohashV2: row.infohash_v2 } : {}),
    name: row.name,
    size: row.size,
    files,
    fetchedAt: row.fetched_at,
    peer: parsePeer(row.peer) ?? { host: '', port: 0 },
    firstSeen: row.first_seen,
    seeders: row.seeders,
    leechers: row.leechers,
    swarmCheckedAt: row.swarm_checked_at,
  };
}

const COUNT_MAX = 2_147_483_647;

/** Throws TypeError on a record no swarm check could produce: a caller's bug. */
export function checkSwarmRecord(r: SwarmRecord): void {
  if (lookupHash(r.infohash) === undefined || r.infohash !== r.infohash.toLowerCase()) {
    throw new TypeError(`swarm record: not a lower-case hex infohash (40 or 64 digits): ${JSON.stringify(r.infohash)}`);
  }
  for (const [field, value] of [['seeders', r.seeders], ['leechers', r.leechers]] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > COUNT_MAX) throw new TypeError(`swarm record ${r.infohash}: ${field} must be a whole number from 0 to ${COUNT_MAX}, got ${value}`);
  }
  if (!Number.isSafeInteger(r.at) || r.at < 0) throw new TypeError(`swarm record ${r.infohash}: at must be ms since the epoch, got ${r.at}`);
}
