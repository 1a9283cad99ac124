/**
 * The crawl store: where harvested infohashes and fetched torrents go. A narrow
 * interface with two real backends (SQLite embedded, PostgreSQL shared by many
 * crawler processes) held to one conformance suite. Every write is a batch in
 * one transaction: a crash loses at most the batch being written.
 */
import type { PeerAddress, TorrentFile } from '../metadata/types.ts';

/**
 * Where an infohash was seen (counted separately).
 * @example
 * import { openCrawlStore, type HarvestSource } from 'btdht/crawl';
 * const store = await openCrawlStore('./crawl.sqlite');
 * const source: HarvestSource = 'sample'; // found by a BEP 51 sample_infohashes
 * await store.write({ observations: [{ infohash: 'e3811b9539cacff680e418124272177c47477157', source, at: Date.now() }] });
 */
export type HarvestSource = 'get_peers' | 'announce_peer' | 'sample';

/**
 * @example
 * import { StoreBatcher, openCrawlStore, type InfohashObservation } from 'btdht/crawl';
 * const batcher = new StoreBatcher(await openCrawlStore('./crawl.sqlite'));
 * const seen: InfohashObservation = { infohash: 'e3811b9539cacff680e418124272177c47477157', source: 'get_peers', at: Date.now() };
 * batcher.observe(seen);
 */
export interface InfohashObservation {
  /** 40 lower-case hex digits. */
  infohash: string;
  source: HarvestSource;
  /** When, in ms since the epoch. */
  at: number;
  /** A peer known to have it (announce_peer's announcer, a get_peers value). */
  peer?: PeerAddress;
}

/**
 * @example
 * import { openCrawlStore, type TorrentRecord } from 'btdht/crawl';
 * const store = await openCrawlStore('./crawl.sqlite');
 * const torrent: TorrentRecord = {
 *   infohash: 'e3811b9539cacff680e418124272177c47477157',
 *   name: 'hello',
 *   size: 5,
 *   files: [{ path: 'hello', length: 5 }],
 *   fetchedAt: Date.now(),
 *   peer: { host: '192.0.2.7', port: 51413 },
 * };
 * await store.write({ torrents: [torrent] });
 */
export interface TorrentRecord {
  /**
   * The infohash the torrent is stored under (40 lower-case hex): its v1
   * infohash (v1 and hybrid torrents), else its v2 infohash truncated to 20
   * bytes, as the DHT names a v2-only torrent.
   */
  infohash: string;
  /**
   * BEP 52: SHA-256 of the info dictionary, 64 lower-case hex, for v2 and
   * hybrid torrents. A hybrid is one row, found by either of its hashes.
   */
  infohashV2?: string;
  name: string;
  /** Total size in bytes. */
  size: number;
  files: TorrentFile[];
  fetchedAt: number;
  /** The peer the metadata came from. */
  peer: PeerAddress;
}

/** A torrent as the store holds it: the record and what was learned later. */
export interface StoredTorrent extends TorrentRecord {
  /** The earliest sighting of either infohash known when it was stored (else fetchedAt). */
  firstSeen: number;
  /** From the latest swarm check (BEP 33 scrape); null until one is recorded. */
  seeders: number | null;
  leechers: number | null;
  /** When that check was made (ms since the epoch); null until one is recorded. */
  swarmCheckedAt: number | null;
}

/** How much the store may keep (retention); a limit left out is no limit. */
export interface PruneLimits {
  maxTorrents?: number;
  maxBytes?: number;
  by: 'oldest' | 'least-seeded';
}

/** One swarm check of a torrent (a BEP 33 scrape, or the peers met while fetching). */
export interface SwarmRecord {
  /** Either infohash of the torrent: 40 hex (v1, or v2 truncated as in the DHT) or 64 hex (v2). */
  infohash: string;
  seeders: number;
  leechers: number;
  /** When it was measured (ms since the epoch); an older record than the stored one is ignored. */
  at: number;
}

/** A fetch that failed, so the infohash is retried later rather than at once. */
export interface FetchFailureRecord {
  infohash: string;
  at: number;
  reason: string;
}

/**
 * @example
 * import { openCrawlStore, type CrawlBatch } from 'btdht/crawl';
 * const store = await openCrawlStore('./crawl.sqlite');
 * const batch: CrawlBatch = {
 *   observations: [{ infohash: 'e3811b9539cacff680e418124272177c47477157', source: 'announce_peer', at: Date.now(), peer: { host: '192.0.2.7', port: 51413 } }],
 * };
 * await store.write(batch); // one transaction
 */
export interface CrawlBatch {
  observations?: readonly InfohashObservation[];
  torrents?: readonly TorrentRecord[];
  failures?: readonly FetchFailureRecord[];
}

/** Most peers kept per infohash (the newest first). */
export const MAX_KNOWN_PEERS = 8;

/**
 * @example
 * import { openCrawlStore, type InfohashRow } from 'btdht/crawl';
 * const store = await openCrawlStore('./crawl.sqlite');
 * const row: InfohashRow | undefined = await store.getInfohash('e3811b9539cacff680e418124272177c47477157');
 * if (row) console.log('seen', row.timesSeen, 'times since', new Date(row.firstSeen), row.fetchedAt === null ? 'not fetched' : 'fetched');
 */
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

/**
 * @example
 * import { openCrawlStore, type StoreCounts } from 'btdht/crawl';
 * const store = await openCrawlStore('./crawl.sqlite');
 * const { infohashes, torrents }: StoreCounts = await store.counts();
 * console.log(`${torrents} torrents of ${infohashes} infohashes`);
 */
export interface StoreCounts {
  infohashes: number;
  torrents: number;
}

/**
 * @example
 * import { openCrawlStore, type CrawlStore } from 'btdht/crawl';
 * const store: CrawlStore = await openCrawlStore(process.env['CRAWL_DB'] ?? './crawl.sqlite'); // a path or postgres:// URL
 * console.log(store.kind, await store.counts(), await store.sizeBytes(), 'bytes');
 * await store.close();
 */
export interface CrawlStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Write one batch in one transaction: upsert observations, record torrents and failures. */
  write(batch: CrawlBatch): Promise<void>;
  /** Whether a torrent was stored under this DHT infohash (a hybrid's v1 or truncated v2 hash alike), even if retention removed it since. */
  isFetched(infohash: string): Promise<boolean>;
  /** Which of these infohashes had a torrent stored (either hash of a hybrid; retention's removals included). */
  fetchedAmong(infohashes: readonly string[]): Promise<Set<string>>;
  /** Infohashes without a torrent, most recently seen first. */
  listUnfetched(query: UnfetchedQuery): Promise<InfohashRow[]>;
  getInfohash(infohash: string): Promise<InfohashRow | undefined>;
  /** The torrent known by this hash: 40 hex (v1, or v2 truncated) or 64 hex (v2). */
  getTorrent(infohash: string): Promise<StoredTorrent | undefined>;
  /**
   * Record swarm checks (seeders, leechers, when) on the torrents they name, in
   * one transaction; a record older than the stored check is ignored, and so is
   * one for a torrent not stored. Resolves with how many torrents were updated.
   */
  recordSwarm(records: readonly SwarmRecord[]): Promise<number>;
  /**
   * Remove torrents past the limits, in batches, each in its own transaction:
   * first those `by` names (the earliest first seen, or the fewest seeders,
   * unchecked ones first). Their infohashes stay marked fetched, so they are
   * not fetched again. Resolves with how many torrents were removed.
   */
  prune(limits: PruneLimits): Promise<number>;
  /** Bytes the database's tables and indexes hold (SQLite: pages in use, free pages excluded). */
  usedBytes(): Promise<number>;
  counts(): Promise<StoreCounts>;
  /** Bytes the crawl takes in the database: the SQLite file's pages, or the PostgreSQL schema's tables with their indexes. */
  sizeBytes(): Promise<number>;
  /** Release the database. Idempotent. */
  close(): Promise<void>;
}
