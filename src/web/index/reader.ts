/**
 * What the index reads from a crawl database, whichever backend holds it:
 * searches, one torrent, statistics. Read-only: a reader never writes, so a
 * crawl may write the same database meanwhile.
 */
import type { TorrentFile } from '../../crawl/metadata/types.ts';
import type { TorrentKind } from '../../crawl/store/kind.ts';
import type { SearchQuery, Slice } from './query.ts';

/** One torrent as a result list shows it. */
export interface TorrentSummary {
  /** The DHT infohash it is stored under (v1, or truncated v2 for a v2-only torrent). */
  infohash: string;
  /** Full v2 hash for v2 and hybrid torrents. */
  infohashV2: string | null;
  name: string;
  size: number;
  fileCount: number;
  kind: TorrentKind;
  firstSeen: number;
  fetchedAt: number;
  seeders: number | null;
  leechers: number | null;
}

/** One torrent as its page shows it. */
export interface TorrentDetail extends TorrentSummary {
  files: TorrentFile[];
  /** The latest sighting of either of its infohashes. */
  lastSeen: number;
  swarmCheckedAt: number | null;
}

export interface SearchResult {
  torrents: TorrentSummary[];
  /** Matches counted (at most SEARCH_WINDOW when `capped`). */
  total: number;
  /** True when more than SEARCH_WINDOW matched: the count stops there, and a windowed search saw only the newest SEARCH_WINDOW. */
  capped: boolean;
  /** Sorted and filtered among the newest SEARCH_WINDOW matches (false: read straight in the order asked). */
  windowed: boolean;
}

export interface HourCount {
  /** Start of the hour or day, ms since the epoch. */
  at: number;
  torrents: number;
  infohashes: number;
}

export interface IndexStats {
  torrents: number;
  infohashes: number;
  /** The database's size on disk (tables and indexes). */
  dbBytes: number;
  backend: 'sqlite' | 'postgres';
  /** Last 72 hours that saw anything, oldest first. */
  perHour: HourCount[];
  /** Last 90 days that saw anything, oldest first. */
  perDay: HourCount[];
  /** New infohashes by the source(s) that first reported them, over the whole crawl. */
  sources: { get_peers: number; announce_peer: number; sample: number };
  newestAt: number | null;
}

export interface IndexReader {
  readonly backend: 'sqlite' | 'postgres';
  /** One page of results (or the rows of `slice`), and how many there are. */
  search(query: SearchQuery, slice?: Slice): Promise<SearchResult>;
  /** The torrent known by this hash (40 hex v1 or truncated v2, or 64 hex v2, any case); undefined if none. */
  torrent(hash: string): Promise<TorrentDetail | undefined>;
  stats(): Promise<IndexStats>;
  close(): Promise<void>;
}

/** The database is missing, not a crawl database, or of another schema version: said once, at start. */
export class IndexOpenError extends Error {
  override name = 'IndexOpenError';
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
