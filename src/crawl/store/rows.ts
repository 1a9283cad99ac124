/** The infohashes table's row as both SQL backends return it (snake_case), and its record. */
import { parsePeerList } from './aggregate.ts';
import type { InfohashRow } from './types.ts';

export interface InfohashSqlRow {
  infohash: string;
  first_seen: number;
  last_seen: number;
  times_seen: number;
  seen_get_peers: number;
  seen_announce: number;
  seen_sample: number;
  /** JSON text (SQLite) or already parsed JSON (PostgreSQL jsonb). */
  peers: unknown;
  fetch_attempts: number;
  last_attempt_at: number | null;
  last_failure: string | null;
  fetched_at: number | null;
}

export function toInfohashRow(row: InfohashSqlRow): InfohashRow {
  return {
    infohash: row.infohash,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    timesSeen: row.times_seen,
    seenGetPeers: row.seen_get_peers,
    seenAnnounce: row.seen_announce,
    seenSample: row.seen_sample,
    peers: parsePeerList(row.peers),
    fetchAttempts: row.fetch_attempts,
    lastAttemptAt: row.last_attempt_at,
    lastFailure: row.last_failure,
    fetchedAt: row.fetched_at,
  };
}
