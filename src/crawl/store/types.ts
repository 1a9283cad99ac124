/**
 * The crawl store: where harvested infohashes and fetched torrents go. A narrow
 * interface with two real backends (SQLite embedded, PostgreSQL shared by many
 * crawler processes) held to one conformance suite. Every write is a batch in
 * one transaction: a crash loses at most the batch being written.
 */
import type { PeerAddress, TorrentFile } from '../metadata/types.ts';

/** Where an infohash was seen (counted separately). */
export type HarvestSource = 'get_peers' | 'announce_peer' | 'sample';

export interface InfohashObservation {
  /** 40 lower-case hex digits. */
  infohash: string;
  source: HarvestSource;
  /** When, in ms since the epoch. */
  at: number;
  /** A peer known to have it (announce_peer's announcer, a get_peers value). */
  peer?: PeerAddress;
}

export interface TorrentRecord {
  infohash: string;
  name: string;
  /** Total size in bytes. */
  size: number;
  files: TorrentFile[];
  fetchedAt: number;
  /** The peer the metadata came from. */
  peer: PeerAddress;
}

/** A fetch that failed, so the infohash is retried later rather than at once. */
export interface FetchFailureRecord {
  infohash: string;
  at: number;
  reason: string;
}

export interface CrawlBatch {
  observations?: readonly InfohashObservation[];
  torrents?: readonly TorrentRecord[];
  failures?: readonly FetchFailureRecord[];
}

/** Most peers kept per infohash (the newest first). */
export const MAX_KNOWN_PEERS = 8;

export interface InfohashRow {
  infohash: string;
  firstSeen: number;
  lastSeen: number;
  timesSeen: number;
  seenGetPeers: number;
  seenAnnounce: number;
  seenSample: number;
  /** Up to MAX_KNOWN_PEERS peers known to have it, newest first. */
  peers: PeerAddress[];
  fetchAttempts: number;
  lastAttemptAt: number | null;
  lastFailure: string | null;
  /** When its torrent was recorded; null while unfetched. */
  fetchedAt: number | null;
}

export interface UnfetchedQuery {
  limit: number;
  /** Skip infohashes that failed this many times (default: no cap). */
  maxAttempts?: number;
  /** Skip infohashes whose last failed attempt is later than this (ms since epoch). */
  attemptedBefore?: number;
}

export interface StoreCounts {
  infohashes: number;
  torrents: number;
}

export interface CrawlStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Write one batch in one transaction: upsert observations, record torrents and failures. */
  write(batch: CrawlBatch): Promise<void>;
  isFetched(infohash: string): Promise<boolean>;
  /** Which of these infohashes have a torrent recorded. */
  fetchedAmong(infohashes: readonly string[]): Promise<Set<string>>;
  /** Infohashes without a torrent, most recently seen first. */
  listUnfetched(query: UnfetchedQuery): Promise<InfohashRow[]>;
  getInfohash(infohash: string): Promise<InfohashRow | undefined>;
  getTorrent(infohash: string): Promise<TorrentRecord | undefined>;
  counts(): Promise<StoreCounts>;
  /** Bytes the crawl takes in the database: the SQLite file's pages, or the PostgreSQL schema's tables with their indexes. */
  sizeBytes(): Promise<number>;
  /** Release the database. Idempotent. */
  close(): Promise<void>;
}
