/**
 * The harvest layer: infohashes a DHT node learns about, from three sources
 * counted apart — incoming get_peers (an `onQuery` observe hook), accepted
 * announce_peer (the node's 'announce' event: the token was valid and the
 * port already resolved per implied_port, so the announcer is a known peer)
 * and an active BEP 51 `sampleWalk`. Built on the node's public API only.
 *
 * Each sighting becomes one store observation (the store folds them into
 * counters); batches go to `onBatch` when `batchSize` are pending, every
 * `flushIntervalMs`, and on `flush()` / `stop()`. Per infohash the harvester
 * keeps first/last seen, times seen and up to MAX_KNOWN_PEERS peers, in a
 * SeenSet bounded by `cap` (evicted ones remembered by a bloom filter).
 */
import type { DHT } from '../../dht/dht.ts';
import type { Endpoint } from '../../ground/address.ts';
import type { KrpcQuery } from '../../ground/messages.ts';
import type { Clock, TimerHandle } from '../../ground/clock.ts';
import { realClock } from '../../ground/clock.ts';
import { toHex } from '../../util/hex.ts';
import type { PeerAddress } from '../metadata/types.ts';
import { MAX_KNOWN_PEERS } from '../store/types.ts';
import type { CrawlBatch, HarvestSource, InfohashObservation } from '../store/types.ts';
import { SeenSet } from './seen-set.ts';
import type { SeenSetOptions, SeenSetStats, SeenStatus } from './seen-set.ts';

/**
 * What the harvester keeps per tracked infohash.
 * @example
 * import { DHT } from 'btdht';
 * import { Harvester, type HarvestRecord } from 'btdht/crawl';
 * const dht = new DHT();
 * const harvester = new Harvester(dht, {
 *   onNew: (infohash: string, _source, record: HarvestRecord) => console.log(infohash, 'seen', record.timesSeen, 'times,', record.peers.length, 'peers known'),
 * });
 * harvester.start({ walk: false });
 */
export interface HarvestRecord {
  firstSeen: number;
  lastSeen: number;
  timesSeen: number;
  bySource: Record<HarvestSource, number>;
  /** Newest first, at most MAX_KNOWN_PEERS. */
  peers: PeerAddress[];
}

/**
 * @example
 * import { DHT } from 'btdht';
 * import { Harvester, openCrawlStore, type HarvesterOptions } from 'btdht/crawl';
 * const dht = new DHT();
 * const store = await openCrawlStore('./crawl.sqlite');
 * // Every sighting goes to the store, 500 to a transaction.
 * const options: HarvesterOptions = { batchSize: 500, onBatch: (batch) => store.write(batch) };
 * const harvester = new Harvester(dht, options);
 */
export interface HarvesterOptions {
  /** Receives each batch; a returned promise is awaited before the next batch is sent. */
  onBatch?: (batch: CrawlBatch) => void | Promise<void>;
  /**
   * Called once per infohash not seen before (neither tracked nor in the bloom
   * filter); `querier` is who asked, for a get_peers sighting.
   */
  onNew?: (infohash: string, source: HarvestSource, record: HarvestRecord, querier?: Endpoint) => void;
  /** Called for an accepted announce_peer of an infohash seen before (a new one goes to onNew, its announcer in the record). */
  onAnnounce?: (infohash: string, peer: PeerAddress) => void;
  /** Observations per batch (default 1,000). */
  batchSize?: number;
  /** Flush a partial batch this often (default 5,000 ms; 0 disables). */
  flushIntervalMs?: number;
  /** Batches waiting for a slow onBatch before new ones are dropped (default 16). */
  maxQueuedBatches?: number;
  /** Time source for `at` and timers (default the wall clock). */
  clock?: Clock;
  /** Dedup bounds. */
  seen?: SeenSetOptions;
  /** Pause between two sample walks (default 60,000 ms). */
  walkIntervalMs?: number;
  /** Queries in flight per walk (the node's default if unset). */
  walkConcurrency?: number;
  /** Queries per walk (unbounded if unset). */
  walkMaxQueries?: number;
}

export interface HarvestStartOptions {
  /** Run sample walks (BEP 51) over and over while started. */
  walk: boolean;
}

/**
 * @example
 * import { DHT } from 'btdht';
 * import { Harvester, type HarvestStats } from 'btdht/crawl';
 * const dht = new DHT();
 * const harvester = new Harvester(dht);
 * harvester.start({ walk: false });
 * const stats: HarvestStats = harvester.stats();
 * console.log(stats.unique.get_peers, 'infohashes first seen in get_peers;', stats.batches.dropped, 'batches dropped');
 */
export interface HarvestStats {
  /** Sightings by source. */
  seen: Record<HarvestSource, number>;
  /** Infohashes first seen through each source (per the dedup). */
  unique: Record<HarvestSource, number>;
  /** Sightings of an evicted infohash (known only through the bloom filter). */
  reseenEvicted: number;
  /** announce_peer sightings that came with a peer. */
  announcers: number;
  walks: { started: number; finished: number; failed: number };
  batches: { sent: number; observations: number; failed: number; dropped: number; pendingObservations: number };
  dedup: SeenSetStats;
}

const zero = (): Record<HarvestSource, number> => ({ get_peers: 0, announce_peer: 0, sample: 0 });

/**
 * @example
 * import { DHT } from 'btdht';
 * import { Harvester } from 'btdht/crawl';
 * const dht = new DHT();
 * await dht.start();
 * const harvester = new Harvester(dht, { onNew: (infohash, source) => console.log('new', infohash, 'via', source) });
 * harvester.start({ walk: true }); // also BEP 51 sample walks
 * // ... later
 * await harvester.stop();
 * await dht.stop();
 */
export class Harvester {
  readonly #dht: DHT;
  readonly #options: HarvesterOptions;
  readonly #clock: Clock;
  readonly #seen: SeenSet<HarvestRecord>;
  readonly #batchSize: number;
  #pending: InfohashObservation[] = [];
  #queue: CrawlBatch[] = [];
  #draining: Promise<void> | undefined;
  #detach: (() => void)[] = [];
  #walkAbort: AbortController | undefined;
  #walkLoop: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #started = false;
  readonly #stats = {
    seen: zero(),
    unique: zero(),
    reseenEvicted: 0,
    announcers: 0,
    walks: { started: 0, finished: 0, failed: 0 },
    batches: { sent: 0, observations: 0, failed: 0, dropped: 0 },
  };

  constructor(dht: DHT, options: HarvesterOptions = {}) {
    this.#dht = dht;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.#seen = new SeenSet<HarvestRecord>(options.seen);
    this.#batchSize = Math.max(1, options.batchSize ?? 1_000);
  }

  get started(): boolean {
    return this.#started;
  }

  /** Hook the node (it must be started for a walk) and begin harvesting. Idempotent. */
  start(options: HarvestStartOptions): void {
    if (this.#started) return;
    this.#started = true;
    const dht = this.#dht;
    this.#detach.push(dht.onQuery('get_peers', (query: KrpcQuery, from: Endpoint) => this.#onGetPeers(query, from)));
    const onAnnounce = (event: { infohash: Uint8Array; peer: PeerAddress }): void => {
      this.#record(event.infohash, 'announce_peer', { host: event.peer.host, port: event.peer.port });
    };
    dht.on('announce', onAnnounce);
    this.#detach.push(() => dht.off('announce', onAnnounce));
    this.#armTimer();
    if (options.walk) {
      const abort = new AbortController();
      this.#walkAbort = abort;
      this.#walkLoop = this.#walk(abort.signal);
    }
  }

  /** Unhook, end the walk, send what is pending and wait for onBatch to take it. */
  async stop(): Promise<void> {
    if (!this.#started) return this.#drain();
    this.#started = false;
    for (const detach of this.#detach.splice(0)) detach();
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#walkAbort?.abort();
    await this.#walkLoop;
    this.#walkLoop = undefined;
    await this.flush();
  }

  /** Send the pending observations now; resolves once onBatch has taken every queued batch. */
  flush(): Promise<void> {
    this.#enqueue();
    return this.#drain();
  }

  /** What is known of an infohash (hex): its record while tracked, else whether it was seen before. */
  lookup(infohash: string): { status: SeenStatus; record?: HarvestRecord } {
    const record = this.#seen.peek(infohash);
    return record ? { status: 'tracked', record } : { status: this.#seen.status(infohash) };
  }

  stats(): HarvestStats {
    const s = this.#stats;
    return {
      seen: { ...s.seen },
      unique: { ...s.unique },
      reseenEvicted: s.reseenEvicted,
      announcers: s.announcers,
      walks: { ...s.walks },
      batches: { ...s.batches, pendingObservations: this.#pending.length + this.#queue.reduce((n, b) => n + (b.observations?.length ?? 0), 0) },
      dedup: this.#seen.stats(),
    };
  }

  /** Observe only: returns nothing, so the node answers as usual. Bytes are copied by toHex. */
  #onGetPeers(query: KrpcQuery, from: Endpoint): undefined {
    const infohash = query.a.info_hash;
    if (infohash instanceof Uint8Array && infohash.length === 20) this.#record(infohash, 'get_peers', undefined, from);
    return undefined;
  }

  #record(infohash: Uint8Array, source: HarvestSource, peer: PeerAddress | undefined, querier?: Endpoint): void {
    const key = toHex(infohash);
    const at = this.#clock.now();
    const { value: record, before } = this.#seen.touch(key, () => ({ firstSeen: at, lastSeen: at, timesSeen: 0, bySource: zero(), peers: [] }));
    record.lastSeen = at;
    record.timesSeen++;
    record.bySource[source]++;
    this.#stats.seen[source]++;
    if (before === 'new') this.#stats.unique[source]++;
    else if (before === 'evicted') this.#stats.reseenEvicted++;
    if (peer !== undefined) {
      this.#stats.announcers++;
      const known = record.peers.findIndex((p) => p.host === peer.host && p.port === peer.port);
      if (known >= 0) record.peers.splice(known, 1);
      // A first peer as a one-slot array: unshift on an empty array reserves 17 slots (~180 B a record).
      if (record.peers.length === 0) record.peers = [peer];
      else record.peers.unshift(peer);
      if (record.peers.length > MAX_KNOWN_PEERS) record.peers.length = MAX_KNOWN_PEERS;
    }
    this.#pending.push(peer === undefined ? { infohash: key, source, at } : { infohash: key, source, at, peer });
    if (before === 'new' && this.#options.onNew) {
      try {
        this.#options.onNew(key, source, record, querier);
      } catch {
        // an embedder's callback must not break the node's receive path
      }
    } else if (peer !== undefined && this.#options.onAnnounce) {
      try {
        this.#options.onAnnounce(key, peer);
      } catch {
        // as above
      }
    }
    if (this.#pending.length >= this.#batchSize) {
      this.#enqueue();
      void this.#drain();
    }
  }

  async #walk(signal: AbortSignal): Promise<void> {
    const o = this.#options;
    while (!signal.aborted) {
      this.#stats.walks.started++;
      try {
        const walk = this.#dht.sampleWalk({
          signal,
          ...(o.walkConcurrency !== undefined ? { concurrency: o.walkConcurrency } : {}),
          ...(o.walkMaxQueries !== undefined ? { maxQueries: o.walkMaxQueries } : {}),
        });
        for await (const infohash of walk) this.#record(infohash, 'sample', undefined);
        this.#stats.walks.finished++;
      } catch {
        if (!signal.aborted) this.#stats.walks.failed++;
      }
      if (signal.aborted) break;
      await this.#pause(o.walkIntervalMs ?? 60_000, signal);
    }
  }

  #pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimer(done, ms);
      function done(): void {
        timer.cancel();
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #armTimer(): void {
    const every = this.#options.flushIntervalMs ?? 5_000;
    if (every <= 0 || !this.#started) return;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#enqueue();
      void this.#drain();
      this.#armTimer();
    }, every);
  }

  #enqueue(): void {
    if (this.#pending.length === 0) return;
    const observations = this.#pending;
    this.#pending = [];
    if (this.#queue.length >= (this.#options.maxQueuedBatches ?? 16)) {
      this.#stats.batches.dropped++; // onBatch cannot keep up: shed load rather than grow without bound
      return;
    }
    this.#queue.push({ observations });
  }

  /** Hand queued batches to onBatch one at a time. */
  #drain(): Promise<void> {
    if (this.#draining) return this.#draining;
    if (this.#queue.length === 0) return Promise.resolve();
    this.#draining = (async () => {
      for (let batch = this.#queue.shift(); batch !== undefined; batch = this.#queue.shift()) {
        try {
          await this.#options.onBatch?.(batch);
          this.#stats.batches.sent++;
          this.#stats.batches.observations += batch.observations?.length ?? 0;
        } catch {
          this.#stats.batches.failed++;
        }
      }
    })().finally(() => (this.#draining = undefined));
    return this.#draining;
  }
}
