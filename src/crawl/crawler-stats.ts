/** What `Crawler.stats()` reports: enough for a progress line and a summary. */
import type { FetchFailure, PeerFailure } from './metadata/types.ts';
import type { HarvestSource } from './store/types.ts';

/**
 * @example
 * import { DHT } from 'btdht';
 * import { Crawler, openCrawlStore, type CrawlerStats } from 'btdht/crawl';
 * const dht = new DHT();
 * await dht.start();
 * const crawler = new Crawler(dht, { store: await openCrawlStore('./crawl.sqlite') });
 * await crawler.start();
 * setInterval(() => {
 *   const stats: CrawlerStats = crawler.stats();
 *   console.log(stats.infohashes.uniquePerSecond.toFixed(1), 'new infohashes/s;', stats.metadata.fetched, 'torrents');
 * }, 10_000);
 */
export interface CrawlerStats {
  /** Since start(). */
  uptimeMs: number;
  infohashes: {
    /** Sightings by source (a walk yields each infohash once per walk). */
    seen: Record<HarvestSource, number>;
    /** Infohashes first seen through each source. */
    unique: Record<HarvestSource, number>;
    /** Sightings per second by source, over the last 10 s. */
    perSecond: Record<HarvestSource, number>;
    /** New infohashes per second, over the last 10 s. */
    uniquePerSecond: number;
    /** Held exactly by the harvester's dedup now (bounded; the rest in its bloom filter). */
    tracked: number;
    /** Sample walks finished. */
    walks: number;
  };
  metadata: {
    enabled: boolean;
    /** Waiting for a fetch, waiting for a retry, being fetched. */
    queued: number;
    retryWaiting: number;
    inFlight: number;
    /** Torrents fetched and verified. */
    fetched: number;
    /** Infohashes given up on (attempts spent, or a failure no retry fixes). */
    failed: number;
    /** Peers that did not give the metadata, by why (a hostile one's IP is skipped for a while), and IPs skipped now. */
    peerFailures: Partial<Record<PeerFailure, number>>;
    penalized: number;
    /** Failed attempts, by reason (each attempt counted once). */
    failures: Record<FetchFailure, number>;
    /** Attempts after a failed one. */
    retries: number;
    /** Infohashes not fetched because the store already had their torrent. */
    alreadyFetched: number;
    /** Infohashes a full queue refused (left in the store for a refill). */
    dropped: number;
    /** Infohashes seen only in get_peers queries, held in the last lane (waiting or in their grace). */
    speculative: number;
    /** Held infohashes moved to the first lane by an announce (its announcer a peer). */
    woken: number;
    /** Announcers handed to a fetch in flight (tried at once, not after its lookup). */
    joined: number;
    /** Infohashes taken from the store (resume and refills). */
    fromStore: number;
    /** get_peers lookups run for fetches, and the peers they gave. */
    lookups: number;
    lookupPeers: number;
    /** get_peers sent straight to a node whose BEP 51 sample listed the infohash (before any lookup), and the peers they gave. */
    holderAsks: number;
    holderPeers: number;
    /** Fetched and failed per minute, over the last 60 s. */
    perMinute: { fetched: number; failed: number };
  };
  /** Swarm health checks (BEP 33 scrapes of fetched torrents); absent when they are off. */
  swarm?: { tracked: number; checks: number; failed: number; inFlight: number; recorded: number };
  connections: { open: number; connecting: number };
  store: {
    /** Items (observations, torrents, failures) written, in how many batches. */
    itemsWritten: number;
    batches: number;
    /** Waiting for the next batch. */
    pending: number;
    /** Items lost with a batch that failed to write. */
    itemsDropped: number;
    /** Observation batches the harvester shed because the store fell behind. */
    shedBatches: number;
    errors: number;
  };
  torrentFiles: { written: number; failed: number };
}
