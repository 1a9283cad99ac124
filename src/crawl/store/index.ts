/** Where the crawl goes: the CrawlStore contract, its SQLite and PostgreSQL backends, batching, .torrent files. */
export type {
  CrawlBatch,
  CrawlStore,
  FetchFailureRecord,
  HarvestSource,
  InfohashObservation,
  InfohashRow,
  StoreCounts,
  TorrentRecord,
  UnfetchedQuery,
} from './types.ts';
export { MAX_KNOWN_PEERS } from './types.ts';
export { openCrawlStore, isPostgresUrl } from './open.ts';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.ts';
export { SQLITE_DRIVERS, type SqliteDriverName } from './sqlite-driver.ts';
export { openPostgresStore, type PostgresStoreOptions } from './postgres.ts';
export { StoreBatcher, type StoreBatcherOptions, type StoreBatcherStats } from './batcher.ts';
export { TorrentFileWriter, torrentFileBytes } from './torrent-files.ts';
