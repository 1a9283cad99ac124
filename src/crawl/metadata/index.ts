/** BEP 9 metadata fetching for the crawler: the fetcher, its vocabulary, its parts that stand alone. */
export { MetadataFetcher, METADATA_DEFAULTS } from './fetcher.ts';
export { parseInfo } from './info-dict.ts';
export { verifyInfo, type VerifiedBy } from './verify.ts';
export { HOSTILE_FAILURES } from './types.ts';
export type {
  FetchFailure,
  FetchResult,
  FetchedTorrent,
  MetadataFetcherOptions,
  MetadataFetcherStats,
  PeerAddress,
  PeerAttempt,
  PeerFailure,
  PeerSource,
  TorrentFile,
  TorrentInfo,
} from './types.ts';
