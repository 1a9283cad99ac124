/**
 * Crawler mode: harvest infohashes from a DHT node, fetch their torrents
 * (BEP 9, verified), keep both in SQLite or PostgreSQL. Each part stands on
 * its own for applications that want only one (the harvester, the fetcher,
 * the stores); `Crawler` composes them on a started `DHT`.
 *
 * @example
 * import { DHT } from 'btdht';
 * import { Crawler, openCrawlStore } from 'btdht/crawl';
 * const dht = new DHT();
 * await dht.start();
 * const crawler = new Crawler(dht, { store: await openCrawlStore('./crawl.sqlite') });
 * await crawler.start();
 *
 * @module btdht/crawl
 */
export { Crawler } from './crawler.ts';
export type { CrawlFetchEvent, CrawlerInfohashReport } from './crawler.ts';
export { CRAWLER_DEFAULTS } from './crawler-options.ts';
export type { CrawlerOptions, CrawlerSettings } from './crawler-options.ts';
export type { CrawlerStats } from './crawler-stats.ts';
export { Harvester, SeenSet } from './harvest/index.ts';
export type { HarvestRecord, HarvestStats, HarvesterOptions } from './harvest/index.ts';
export { MetadataFetcher, METADATA_DEFAULTS, parseInfo } from './metadata/index.ts';
export type { FetchFailure, FetchResult, FetchedTorrent, MetadataFetcherOptions, PeerAddress, TorrentFile, TorrentInfo } from './metadata/index.ts';
export { openCrawlStore, openSqliteStore, openPostgresStore, isPostgresUrl, StoreBatcher, TorrentFileWriter } from './store/index.ts';
export type { CrawlBatch, CrawlStore, HarvestSource, InfohashObservation, InfohashRow, StoreCounts, TorrentRecord } from './store/index.ts';
// Thrown when a feature's optional peer dependency (better-sqlite3, pg, bittorrent-protocol, ut_metadata) is not installed.
export { MissingDependencyError } from '../util/optional-dependency.ts';
