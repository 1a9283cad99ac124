/** The metadata fetcher's vocabulary: peers, outcomes, failure reasons, options. */
import type { TcpConnector } from '../../transport/tcp.ts';

/**
 * A BitTorrent peer (from get_peers or announce_peer): an IP literal and a TCP port.
 * @example
 * import { DHT } from 'btdht';
 * import { MetadataFetcher, type PeerAddress } from 'btdht/crawl';
 * const dht = new DHT();
 * await dht.start();
 * const infohash = 'e3811b9539cacff680e418124272177c47477157';
 * const peers: PeerAddress[] = await dht.getPeers(infohash, { limit: 16 });
 * const result = await new MetadataFetcher().fetch(infohash, peers);
 */
export interface PeerAddress {
  host: string;
  port: number;
}

/**
 * One file of a torrent; `path` is relative to the torrent's root, '/'-joined.
 * @example
 * import { parseInfo, type TorrentFile } from 'btdht/crawl';
 * const info = parseInfo(new TextEncoder().encode('d6:lengthi5e4:name5:hello12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae'));
 * const files: TorrentFile[] = info?.files ?? []; // [{ path: 'hello', length: 5 }]
 */
export interface TorrentFile {
  path: string;
  length: number;
}

/**
 * What a verified info dictionary says.
 * @example
 * import { parseInfo, type TorrentInfo } from 'btdht/crawl';
 * const info: TorrentInfo | undefined = parseInfo(new TextEncoder().encode('d6:lengthi5e4:name5:hello12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae'));
 * if (info) console.log(info.name, info.totalSize, 'bytes, v' + String(info.version)); // hello 5 bytes, v1
 */
export interface TorrentInfo {
  name: string;
  /** Sum of file lengths, padding files (BEP 47) excluded. */
  totalSize: number;
  files: TorrentFile[];
  /** 1: v1 only; 2: v2 only (BEP 52); 'hybrid': both, files taken from the v2 file tree. */
  version: 1 | 2 | 'hybrid';
  pieceLength: number;
  private: boolean;
}

/**
 * A fetched, verified torrent.
 * @example
 * import { MetadataFetcher, TorrentFileWriter, type FetchedTorrent } from 'btdht/crawl';
 * const fetcher = new MetadataFetcher();
 * const result = await fetcher.fetch('e3811b9539cacff680e418124272177c47477157', [{ host: '192.0.2.7', port: 51413 }]);
 * if (result.ok) {
 *   const torrent: FetchedTorrent = result.torrent;
 *   await new TorrentFileWriter('./torrents').write(torrent.infohash, torrent.info); // a .torrent with the verified info
 * }
 */
export interface FetchedTorrent extends TorrentInfo {
  /** Lower-case hex of the 20-byte infohash it was asked for. */
  infohash: string;
  /** Which hash matched: SHA-1 (v1, hybrid) or truncated SHA-256 (BEP 52). */
  verifiedBy: 'sha1' | 'sha256';
  /** The raw bencoded info dictionary, exactly as hashed. */
  info: Uint8Array;
  /** The peer that served it. */
  peer: PeerAddress;
}

/** Why one peer did not give us the metadata. */
export type PeerFailure =
  | 'connect-timeout'
  | 'connect-refused'
  | 'connect-failed'
  | 'bad-handshake' // not BitTorrent
  | 'other-torrent' // a BitTorrent handshake for another infohash: a stale announce, a client that lost the torrent, a guess that missed
  | 'no-extensions' // no BEP 10 bit
  | 'no-metadata' // no ut_metadata, or no metadata_size
  | 'too-large' // metadata_size above the cap, or not a size at all
  | 'over-budget' // all metadata buffers together would pass the fetcher's memory cap
  | 'rejected' // the peer rejected a request: it has no metadata to give (yet)
  | 'flood' // more bytes than the metadata needs
  | 'garbage' // messages the extension could not make sense of
  | 'wrong-hash' // assembled metadata does not hash to the infohash
  | 'handshake-timeout' // connected, but no metadata_size within the handshake time: a silent peer
  | 'timeout' // no metadata within the per-peer time
  | 'closed' // the peer hung up first
  | 'aborted'; // we stopped (another peer won, fetch timed out, fetcher closed)

/** Peer failures that get the peer's IP remembered and skipped for a while. */
export const HOSTILE_FAILURES: ReadonlySet<PeerFailure> = new Set<PeerFailure>([
  'bad-handshake',
  'too-large',
  'flood',
  'garbage',
  'wrong-hash',
]);

/**
 * Why a fetch of one infohash failed.
 * @example
 * import { MetadataFetcher, type FetchFailure } from 'btdht/crawl';
 * const fetcher = new MetadataFetcher();
 * const result = await fetcher.fetch('e3811b9539cacff680e418124272177c47477157', [{ host: '192.0.2.7', port: 51413 }]);
 * if (!result.ok) {
 *   const reason: FetchFailure = result.reason;
 *   if (reason === 'no-peers' || reason === 'peers-failed') console.log('ask the DHT for more peers');
 * }
 */
export type FetchFailure =
  | 'no-peers' // nobody to ask (none given, none found, or all remembered as bad)
  | 'peers-failed' // every peer tried failed
  | 'timeout' // the total time ran out
  | 'invalid-info' // verified, but not an info dictionary we can read
  | 'overloaded' // too many fetches pending
  | 'aborted'; // the fetcher was closed

export interface PeerAttempt {
  peer: PeerAddress;
  outcome: PeerFailure | 'ok';
  /** Waited this long for a connection slot to the peer (one at a time per peer), then talked this long (ms). */
  waitedMs?: number;
  ms?: number;
}

/**
 * @example
 * import { MetadataFetcher, type FetchResult } from 'btdht/crawl';
 * const fetcher = new MetadataFetcher();
 * const result: FetchResult = await fetcher.fetch('e3811b9539cacff680e418124272177c47477157', [{ host: '192.0.2.7', port: 51413 }]);
 * console.log(result.ok ? result.torrent.name : result.reason, 'after', result.attempts.length, 'peers');
 */
export type FetchResult =
  | { ok: true; torrent: FetchedTorrent; attempts: PeerAttempt[] }
  | { ok: false; infohash: string; reason: FetchFailure; attempts: PeerAttempt[] };

/** Where more peers come from when the given ones fail (the crawler plugs in get_peers). */
export type PeerSource = (
  infohash: Uint8Array,
  signal: AbortSignal,
) => AsyncIterable<PeerAddress> | Iterable<PeerAddress> | Promise<Iterable<PeerAddress>>;

/**
 * @example
 * import { MetadataFetcher, type MetadataFetcherOptions } from 'btdht/crawl';
 * const options: MetadataFetcherOptions = { maxConnections: 50, totalTimeoutMs: 30_000, maxMetadataSize: 4 * 1024 * 1024 };
 * const fetcher = new MetadataFetcher(options);
 */
export interface MetadataFetcherOptions {
  /** TCP adapter; default: this runtime's (node:net or Deno.connect). */
  tcp?: TcpConnector;
  /** Asked for peers when the given ones run out (at most once per fetch). */
  peersFor?: PeerSource;
  /** Open connections across all fetches (default 200). */
  maxConnections?: number;
  /**
   * Open connections to one peer (host:port) across fetches (default 1):
   * libtorrent drops a second connection from one IP to the same torrent
   * (allow_multiple_connections_per_ip is off by default), and the two
   * infohashes of a hybrid are the same torrent, so both attempts failed.
   */
  maxConnectionsPerPeer?: number;
  /** Peers tried at once for one infohash (default 3). */
  maxPeersPerFetch?: number;
  /**
   * A fetch starts with one peer and tries one more at once each time this
   * long passes with peers waiting (up to maxPeersPerFetch); a peer that fails
   * is replaced at once (default 500 ms).
   */
  staggerMs?: number;
  /** Peers tried in all for one infohash (default 16). */
  maxAttemptsPerFetch?: number;
  /** Fetches running or waiting; beyond it fetch() fails with 'overloaded' (default 10,000). */
  maxPending?: number;
  /** TCP connect timeout (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * One peer's time from an open connection to its metadata_size, i.e. its BEP 3
   * and BEP 10 handshakes (default 5 s): a peer that accepts and stays silent
   * frees its connection slot then, not at peerTimeoutMs.
   */
  handshakeTimeoutMs?: number;
  /** One peer's time from connect to verified metadata (default 20 s). */
  peerTimeoutMs?: number;
  /** One infohash's time, all peers included (default 60 s). */
  totalTimeoutMs?: number;
  /** Largest metadata accepted, bytes (default 10 MiB). */
  maxMetadataSize?: number;
  /** How long a hostile peer's IP is skipped (default 10 min). */
  penaltyMs?: number;
  /** How many hostile IPs are remembered; the oldest go first (default 65,536). */
  penaltyCapacity?: number;
  /** Metadata buffers of all sessions together, bytes (default 256 MiB). */
  maxMetadataMemory?: number;
  /** Our 20-byte peer id; default a random one with the '-BD0001-' client prefix. */
  peerId?: Uint8Array;
}

export interface MetadataFetcherStats {
  fetched: number;
  failed: Record<FetchFailure, number>;
  peerFailures: Record<PeerFailure, number>;
  /** Connected peer streams right now. */
  openConnections: number;
  /** Connects in progress right now. */
  connecting: number;
  /** Fetches running or waiting for a connection slot. */
  pending: number;
  /** Hostile IPs remembered right now. */
  penalized: number;
  bytesReceived: number;
}
