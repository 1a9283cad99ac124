/**
 * Crawler: the crawl mode, a layer on a started DHT node's public API (hooks,
 * the 'announce' event, sampleWalk, getPeers) — never a fork of the node.
 *
 *   Harvester (get_peers / announce_peer / sample walks)
 *     ├─ every sighting → StoreBatcher (observations)
 *     └─ each new infohash → FetchQueue (bounded; known peers first)
 *           → skip it if the store already has its torrent (the resume)
 *           → MetadataFetcher: known peers, else dht.getPeers (BEP 9, verified)
 *           → .torrent file (optional) → StoreBatcher (torrent or failure row)
 *           → a failure is retried later from a fresh get_peers (backoff)
 *
 * With `resume` the queue is also fed from the store's unfetched infohashes,
 * at start and whenever it runs low. Everything is bounded: the queue, the
 * fetches in flight (and the fetcher's connections), the dedup, the batches.
 * stop() ends the harvest, aborts fetches in flight and flushes the last batch.
 */
import type { DHT } from '../dht/dht.ts';
import { anySignal } from '../dht/signals.ts';
import { Emitter } from '../dht/emitter.ts';
import { toHex } from '../util/hex.ts';
import { resolveCrawlerOptions, type CrawlerOptions, type CrawlerSettings } from './crawler-options.ts';
import type { CrawlerStats } from './crawler-stats.ts';
import { FetchQueue, noteTried, peerKey, untriedFirst, type HeldEntry, type QueuedInfohash } from './fetch-queue.ts';
import { Harvester } from './harvest/harvester.ts';
import { SampleHolders } from './harvest/sample-holders.ts';
import { decodeCompactPeers } from '../krpc/compact.ts';
import type { SeenStatus } from './harvest/seen-set.ts';
import { MetadataFetcher } from './metadata/fetcher.ts';
import type { FetchFailure, FetchResult, PeerAddress, PeerAttempt } from './metadata/types.ts';
import { RateWindow } from './rate-window.ts';
import { RecentSet } from './recent-set.ts';
import { SwarmHealth } from './swarm-health.ts';
import { realClock } from '../ground/clock.ts';
import { isRetryable, retryDelay } from './retry-policy.ts';
import { StoreBatcher } from './store/batcher.ts';
import { TorrentFileWriter } from './store/torrent-files.ts';
import { dhtKeys, torrentKeys } from './store/keys.ts';
import type { CrawlBatch, CrawlStore, HarvestSource } from './store/types.ts';
import { Lifecycle } from '../util/lifecycle.ts';
import type { LifecycleState } from '../util/lifecycle.ts';

const FAILURES: readonly FetchFailure[] = ['no-peers', 'peers-failed', 'timeout', 'invalid-info', 'overloaded', 'aborted'];
const SOURCES: readonly HarvestSource[] = ['get_peers', 'announce_peer', 'sample'];
const TICK_MS = 1_000;


/**
 * One fetch attempt ended: fetched, or why it failed (`retry`: another attempt will follow).
 * @example
 * import { DHT } from 'btdht';
 * import { Crawler, openCrawlStore, type CrawlFetchEvent } from 'btdht/crawl';
 * const dht = new DHT();
 * await dht.start();
 * const crawler = new Crawler(dht, { store: await openCrawlStore('./crawl.sqlite') });
 * crawler.on('fetch', (event: CrawlFetchEvent) => {
 *   console.log(event.infohash, event.outcome, `attempt ${event.attempt}`, `${event.durationMs} ms`, event.retry ? '(will retry)' : '');
 * });
 * await crawler.start();
 */
export interface CrawlFetchEvent {
  infohash: string;
  outcome: 'fetched' | FetchFailure;
  /** From the attempt's start, peer lookup included. */
  durationMs: number;
  /** 1 for the first attempt. */
  attempt: number;
  retry: boolean;
  /** The peers this attempt tried and how each ended (the crawler always sets it). */
  peers?: readonly PeerAttempt[];
}

/**
 * What the crawler knows of one infohash now (`inspect`): for diagnostics.
 * @example
 * import { DHT } from 'btdht';
 * import { Crawler, openCrawlStore, type CrawlerInfohashReport } from 'btdht/crawl';
 * const dht = new DHT();
 * await dht.start();
 * const crawler = new Crawler(dht, { store: await openCrawlStore('./crawl.sqlite') });
 * await crawler.start();
 * const report: CrawlerInfohashReport = crawler.inspect('e3811b9539cacff680e418124272177c47477157');
 * console.log(report.harvest, report.settled ? 'settled' : 'not settled', report.bySource);
 */
export interface CrawlerInfohashReport {
  /** The harvester's dedup: 'tracked' (record below), 'evicted' (seen, record dropped), 'new' (never seen). */
  harvest: SeenStatus;
  /** Epoch ms of the first and last sighting, sightings by source, announcers known (while tracked). */
  firstSeen?: number;
  lastSeen?: number;
  bySource?: Record<HarvestSource, number>;
  announcers?: number;
  /** Held by the fetch queue: waiting, being fetched or deferred for a retry (absent: not held). */
  queue?: HeldEntry;
  /** Fetched, or given up on, this crawl. */
  settled: boolean;
}

/** Events of a crawler (metrics, dashboards). */
export interface CrawlerEvents {
  fetch: CrawlFetchEvent;
}

type RateKey = HarvestSource | 'unique' | 'fetched' | 'failed';

/**
 * Harvest infohashes from a started DHT node and fetch their torrents into a store.
 *
 * @example
 * import { DHT } from 'btdht';
 * import { Crawler, openCrawlStore } from 'btdht/crawl';
 * const dht = new DHT({ port: 6881 });
 * await dht.start();
 * const store = await openCrawlStore('./crawl.sqlite');
 * const crawler = new Crawler(dht, { store, torrentsDir: './torrents' });
 * await crawler.start();
 * setInterval(() => console.log(crawler.stats().metadata.fetched, 'torrents'), 10_000);
 * // ... later
 * await crawler.stop();   // the last batch is written
 * await store.close();
 * await dht.stop();
 */
export class Crawler {
  readonly #dht: DHT;
  readonly #store: CrawlStore;
  readonly #options: CrawlerOptions;
  readonly #settings: CrawlerSettings;
  readonly #harvester: Harvester;
  readonly #batcher: StoreBatcher;
  readonly #fetcher: MetadataFetcher | undefined;
  readonly #files: TorrentFileWriter | undefined;
  readonly #queue: FetchQueue;
  readonly #swarm: SwarmHealth | undefined;
  readonly #settled: RecentSet;
  readonly #holders = new SampleHolders();
  #unhookSamples: (() => void) | undefined;
  readonly #rates = new RateWindow<RateKey>();
  readonly #running = new Set<Promise<void>>();
  readonly #events = new Emitter<CrawlerEvents>();
  readonly #life = new Lifecycle();
  #startedAt = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #lastRefill = 0;
  #refilling: Promise<void> | undefined;
  #pumpScheduled = false;
  readonly #counts = {
    fetched: 0,
    failed: 0,
    retries: 0,
    alreadyFetched: 0,
    dropped: 0,
    woken: 0,
    joined: 0,
    fromStore: 0,
    lookups: 0,
    lookupPeers: 0,
    holderAsks: 0,
    holderPeers: 0,
    storeErrors: 0,
    filesWritten: 0,
    swarmRecorded: 0,
    filesFailed: 0,
    failures: Object.fromEntries(FAILURES.map((f) => [f, 0])) as Record<FetchFailure, number>,
  };

  /** `dht` must be started before `start()`; the crawler never starts or stops it. */
  constructor(dht: DHT, options: CrawlerOptions) {
    this.#settings = resolveCrawlerOptions(options);
    this.#dht = dht;
    this.#store = options.store;
    this.#options = options;
    const s = this.#settings;
    this.#batcher = new StoreBatcher(this.#store, {
      maxItems: s.batchItems,
      maxDelayMs: s.batchDelayMs,
      onError: (error) => this.#error(error),
    });
    this.#harvester = new Harvester(dht, {
      batchSize: s.batchItems,
      flushIntervalMs: Math.max(100, s.batchDelayMs), // 0 would turn its timer off
      walkIntervalMs: s.walkIntervalMs,
      ...(options.seen ? { seen: options.seen } : {}),
      onBatch: (batch) => this.#onObservations(batch),
      onNew: (infohash, source, record) => this.#onNew(infohash, source, record.peers),
      onAnnounce: (infohash, peer) => this.#onAnnounce(infohash, peer),
    });
    this.#queue = new FetchQueue(s.queueCap, () => this.#schedulePump());
    this.#settled = new RecentSet(s.settledCap);
    if (s.metadata) {
      this.#fetcher = new MetadataFetcher({
        ...options.fetcher,
        peersFor: (infohash, signal) => this.#peersFor(infohash, signal),
      });
      if (options.torrentsDir !== undefined) this.#files = new TorrentFileWriter(options.torrentsDir);
    }
    if (s.metadata && s.swarmCheckIntervalMs > 0) {
      this.#swarm = new SwarmHealth({
        scrape: (infohash, signal) => dht.scrape(infohash, { signal }),
        record: (records) => {
          this.#store.recordSwarm(records).then(
            (n) => (this.#counts.swarmRecorded += n),
            (error: unknown) => this.#error(error),
          );
        },
        clock: realClock,
        // Scrapes are lookups too: they wait while real infohashes wait for a fetch.
        idle: () => this.#queue.waitingReal === 0 && this.#queue.active < this.#settings.concurrency / 2,
        firstDelayMs: 2 * s.batchDelayMs + 1_000,
        intervalMs: s.swarmCheckIntervalMs,
        concurrency: s.swarmConcurrency,
        maxTracked: s.swarmTracked,
        timeoutMs: s.lookupTimeoutMs,
      });
    }
  }

  /** The settings in force (defaults filled in). */
  get settings(): Readonly<CrawlerSettings> {
    return this.#settings;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /** Listen to an event; returns a function that removes the listener. A listener that throws is ignored. */
  on<E extends keyof CrawlerEvents>(event: E, listener: (value: CrawlerEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Hook the node and begin, once its bootstrap is over: harvesting, and
   * (with `resume`) the unfetched infohashes of an earlier crawl queued from
   * the store. Rejects if the node is not started or the store cannot be read.
   */
  async start(): Promise<void> {
    if (this.#state === 'idle') this.#dht.address(); // throws, saying so, unless the node is listening
    await this.#life.start(
      () => {
        this.#startedAt = Date.now();
        return this.#prepare();
      },
      (state) => new Error(`Crawler.start(): the crawler is ${state}`),
    );
    if (this.#life.signal.aborted) return; // stop() came first
    if (this.#fetcher !== undefined) this.#unhookSamples = this.#dht.onResponse('sample_infohashes', (response, from) => this.#holders.note(response, from));
    this.#harvester.start({ walk: this.#settings.walk });
    this.#swarm?.start();
    this.#sample();
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
    (this.#ticker as { unref?: () => void }).unref?.();
    this.#pump();
  }

  /** Where the crawler is in its start/stop life (util/lifecycle.ts). */
  get #state(): LifecycleState {
    return this.#life.state;
  }

  /** Wait for the node's bootstrap (a walk needs a routing table to start from), then read the store. */
  async #prepare(): Promise<void> {
    // A runtime without TCP cannot fetch: say so before anything starts.
    await this.#fetcher?.ready();
    if (!this.#dht.ready) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          off();
          this.#life.signal.removeEventListener('abort', done);
          resolve();
        };
        const off = this.#dht.once('ready', done);
        this.#life.signal.addEventListener('abort', done, { once: true });
      });
    }
    if (this.#life.signal.aborted) return;
    if (this.#fetcher !== undefined && this.#settings.resume) await this.#refill();
  }

  /**
   * Unhook, end the walk, abort fetches in flight (they are retried by the
   * next crawl: they stay unfetched in the store) and write the last batch.
   * Idempotent; the store and the node stay open.
   */
  stop(): Promise<void> {
    return this.#life.stop(async () => {
      if (this.#ticker !== undefined) clearInterval(this.#ticker);
      this.#unhookSamples?.();
      await this.#harvester.stop();
      this.#swarm?.stop();
      this.#queue.clear();
      await this.#fetcher?.close();
      await Promise.all([...this.#running]);
      await this.#refilling;
      await this.#batcher.flush();
    });
  }

  /** Write what waits now (observations and results); resolves once written. */
  async flush(): Promise<void> {
    await this.#harvester.flush();
    await this.#batcher.flush();
  }

  stats(): CrawlerStats {
    const now = Date.now();
    const harvest = this.#harvester.stats();
    const current = this.#rateCounts(harvest.seen, harvest.unique);
    const perSecond = this.#rates.rate(now, current, 10_000, 1_000);
    const perMinute = this.#rates.rate(now, current, 60_000, 60_000);
    const fetcher = this.#fetcher?.stats();
    const batcher = this.#batcher.stats();
    const c = this.#counts;
    return {
      uptimeMs: this.#startedAt === 0 ? 0 : now - this.#startedAt,
      infohashes: {
        seen: harvest.seen,
        unique: harvest.unique,
        perSecond: { get_peers: perSecond.get_peers, announce_peer: perSecond.announce_peer, sample: perSecond.sample },
        uniquePerSecond: perSecond.unique,
        tracked: harvest.dedup.tracked,
        walks: harvest.walks.finished,
      },
      metadata: {
        enabled: this.#fetcher !== undefined,
        queued: this.#queue.waiting,
        retryWaiting: this.#queue.deferred,
        inFlight: this.#queue.active,
        fetched: c.fetched,
        failed: c.failed,
        failures: { ...c.failures },
        peerFailures: Object.fromEntries(Object.entries(fetcher?.peerFailures ?? {}).filter(([, n]) => n > 0)),
        penalized: fetcher?.penalized ?? 0,
        retries: c.retries,
        alreadyFetched: c.alreadyFetched,
        dropped: c.dropped,
        speculative: this.#queue.speculative,
        woken: c.woken,
        joined: c.joined,
        fromStore: c.fromStore,
        lookups: c.lookups,
        lookupPeers: c.lookupPeers,
        holderAsks: c.holderAsks,
        holderPeers: c.holderPeers,
        perMinute: { fetched: perMinute.fetched, failed: perMinute.failed },
      },
      ...(this.#swarm ? { swarm: { ...this.#swarm.stats(), recorded: c.swarmRecorded } } : {}),
      connections: { open: fetcher?.openConnections ?? 0, connecting: fetcher?.connecting ?? 0 },
      store: {
        itemsWritten: batcher.itemsWritten,
        batches: batcher.batches,
        pending: batcher.pending + harvest.batches.pendingObservations,
        itemsDropped: batcher.itemsDropped,
        shedBatches: harvest.batches.dropped,
        errors: c.storeErrors,
      },
      torrentFiles: { written: c.filesWritten, failed: c.filesFailed },
    };
  }

  /** What the crawler knows of `infohash` (40 hex digits) now: harvest record, queue place, settled. */
  inspect(infohash: string): CrawlerInfohashReport {
    const key = infohash.toLowerCase();
    const { status, record } = this.#harvester.lookup(key);
    const held = this.#queue.describe(key);
    return {
      harvest: status,
      ...(record !== undefined
        ? { firstSeen: record.firstSeen, lastSeen: record.lastSeen, bySource: { ...record.bySource }, announcers: record.peers.length }
        : {}),
      ...(held !== undefined ? { queue: held } : {}),
      settled: this.#settled.has(key),
    };
  }

  #rateCounts(seen: Record<HarvestSource, number>, unique: Record<HarvestSource, number>): Record<RateKey, number> {
    let newOnes = 0;
    for (const source of SOURCES) newOnes += unique[source];
    return { ...seen, unique: newOnes, fetched: this.#counts.fetched, failed: this.#counts.failed };
  }

  #sample(): void {
    const harvest = this.#harvester.stats();
    this.#rates.sample(Date.now(), this.#rateCounts(harvest.seen, harvest.unique));
  }

  #tick(): void {
    if (this.#state !== 'running') return;
    this.#sample();
    const s = this.#settings;
    if (
      this.#fetcher !== undefined &&
      s.resume &&
      this.#refilling === undefined &&
      Date.now() - this.#lastRefill >= s.refillIntervalMs &&
      this.#queue.waiting + this.#queue.deferred < s.queueCap / 2
    ) {
      this.#refilling = this.#refill()
        .catch((error: unknown) => this.#error(error))
        .finally(() => {
          this.#refilling = undefined;
          this.#pump();
        });
    }
  }

  /** Queue unfetched infohashes from the store, the most recently seen first, with the peers it knows. */
  async #refill(): Promise<void> {
    this.#lastRefill = Date.now();
    const s = this.#settings;
    const room = Math.floor(s.queueCap / 2) - this.#queue.waiting - this.#queue.deferred;
    if (room <= 0) return;
    const rows = await this.#store.listUnfetched({ limit: room, maxAttempts: s.maxAttempts, attemptedBefore: Date.now() - s.retryDelayMs });
    for (const row of rows) {
      if (this.#settled.has(row.infohash)) continue;
      const outcome = this.#queue.offer({ infohash: row.infohash, attempt: row.fetchAttempts + 1, peers: row.peers, tried: [] });
      if (outcome === 'queued') this.#counts.fromStore++;
      if (outcome === 'full') break;
    }
  }

  /** Observation batches from the harvester: into the batcher, waiting for the store when a batch is due (backpressure). */
  async #onObservations(batch: CrawlBatch): Promise<void> {
    for (const observation of batch.observations ?? []) this.#batcher.observe(observation);
    if (this.#batcher.pending >= this.#settings.batchItems) await this.#batcher.flush();
  }

  /**
   * A new infohash, inside the node's receive path: queue it, fetch later. One
   * seen only in a get_peers query is speculative (most are lookups for
   * nothing): last lane, after a grace in which the announce that follows a
   * client's get_peers usually arrives. The querier is not tried as a peer
   * (not built yet). Measured against libtorrent 2.0: a handshake for a torrent
   * it lacks leaves no mark (later connections from our IP are taken), but with
   * its default allow_multiple_connections_per_ip=false a second connection
   * from our IP to a torrent while one is open gets no handshake — a querier
   * attempt must not overlap another connection to that host for the same
   * torrent (a hybrid's two infohashes are one torrent there).
   */
  #onNew(infohash: string, source: HarvestSource, peers: readonly PeerAddress[]): void {
    if (this.#fetcher === undefined || this.#state !== 'running' || this.#settled.has(infohash)) return;
    const speculative = peers.length === 0 && source === 'get_peers';
    const entry: QueuedInfohash = { infohash, attempt: 1, peers: peers.map((p) => ({ host: p.host, port: p.port })), tried: [] };
    if (speculative) entry.speculative = true;
    const outcome = this.#queue.offer(entry, speculative ? this.#settings.speculativeGraceMs : 0);
    if (outcome === 'full') this.#counts.dropped++;
    else if (outcome === 'queued') this.#schedulePump();
  }

  /**
   * An announce for an infohash seen before: its announcer is a peer, so a held
   * entry goes first now, and a fetch in flight (often still waiting on its
   * lookup) tries the announcer at once.
   */
  #onAnnounce(infohash: string, peer: PeerAddress): void {
    if (this.#fetcher === undefined || this.#state !== 'running' || this.#settled.has(infohash)) return;
    if (this.#queue.wake(infohash, [peer])) {
      this.#counts.woken++;
      this.#schedulePump();
    } else if (this.#queue.activeEntry(infohash) !== undefined) {
      // Not started yet (its store check): #process reads the announcer from the harvester's record.
      if (this.#fetcher.addPeers(infohash, [peer])) this.#counts.joined++;
    } else if (!this.#queue.has(infohash)) {
      this.#onNew(infohash, 'announce_peer', [peer]);
    }
  }

  /** Start fetches outside the caller's stack (the node's receive path, a timer). */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#state !== 'running' || this.#fetcher === undefined) return;
    while (this.#queue.active < this.#settings.concurrency) {
      // A quarter of the fetches at most for get_peers-only infohashes: their lookups spend the send budget too.
      const entry = this.#queue.take(Math.max(1, Math.floor(this.#settings.concurrency / 4)));
      if (entry === undefined) return;
      const job: Promise<void> = this.#process(entry)
        .catch((error: unknown) => this.#error(error))
        .finally(() => {
          this.#queue.done(entry.infohash);
          this.#running.delete(job);
          this.#pump();
        });
      this.#running.add(job);
    }
  }

  async #process(entry: QueuedInfohash): Promise<void> {
    const fetcher = this.#fetcher!;
    const { infohash } = entry;
    if (this.#settled.has(infohash)) return;
    try {
      if (await this.#store.isFetched(infohash)) {
        this.#counts.alreadyFetched++;
        this.#settled.add(infohash);
        return;
      }
    } catch (error) {
      this.#error(error); // an unreadable store should not stop the crawl: fetch, the upsert keeps one row
    }
    if (this.#state !== 'running') return;
    if (entry.attempt > 1) this.#counts.retries++;
    // Announcers known now (the harvester's record is live) and peers that came with the
    // entry, unless tried before: a retry goes to a fresh get_peers for other peers.
    const tried = new Set(entry.tried);
    const known = untriedFirst([...(this.#harvester.lookup(infohash).record?.peers ?? []), ...entry.peers], []).filter((p) => !tried.has(peerKey(p)));
    const startedAt = Date.now();
    const result = await fetcher.fetch(infohash, known);
    noteTried(entry, result.attempts.map((a) => a.peer));
    if (result.ok) await this.#fetched(result);
    const retry = result.ok ? false : this.#failed(entry, result.reason);
    if (this.#events.has('fetch') && (result.ok || retry !== undefined)) {
      this.#events.emit('fetch', {
        infohash,
        outcome: result.ok ? 'fetched' : result.reason,
        durationMs: Date.now() - startedAt,
        attempt: entry.attempt,
        retry: retry === true,
        peers: result.attempts,
      });
    }
  }

  async #fetched(result: Extract<FetchResult, { ok: true }>): Promise<void> {
    const torrent = result.torrent;
    // A hybrid is one torrent under two infohashes: stored once, under its v1 hash,
    // whichever it was found by; the other hash is settled too, so never fetched again.
    const keys = torrentKeys(torrent.info, torrent.version, { infohash: torrent.infohash, by: torrent.verifiedBy });
    const others = dhtKeys(keys).filter((k) => k !== torrent.infohash);
    const twice = others.some((k) => this.#settled.has(k)); // its other hash was fetched meanwhile
    this.#settled.add(torrent.infohash);
    for (const k of others) this.#settled.add(k);
    if (twice) {
      this.#counts.alreadyFetched++;
      return;
    }
    // The file first: a crash between the two refetches the torrent and finds its file there.
    if (this.#files !== undefined) {
      try {
        await this.#files.write(keys.infohash, torrent.info);
        this.#counts.filesWritten++;
      } catch (error) {
        this.#counts.filesFailed++;
        this.#call(() => this.#options.onError?.(error));
      }
    }
    this.#counts.fetched++;
    // Peers met while fetching: announcers and lookup answers known now, and the peers tried.
    const met = new Set([...(this.#harvester.lookup(torrent.infohash).record?.peers ?? []), ...result.attempts.map((a) => a.peer)].map(peerKey));
    this.#swarm?.fetched(torrent.infohash, met.size);
    this.#batcher.torrent({
      infohash: keys.infohash,
      ...(keys.infohashV2 !== undefined ? { infohashV2: keys.infohashV2 } : {}),
      name: torrent.name,
      size: torrent.totalSize,
      files: torrent.files,
      fetchedAt: Date.now(),
      peer: torrent.peer,
    });
    this.#call(() => this.#options.onTorrent?.(torrent));
  }

  /** Record a failed attempt; whether it will be retried (undefined: not counted, we stopped). */
  #failed(entry: QueuedInfohash, reason: FetchFailure): boolean | undefined {
    if (reason === 'aborted' && this.#state !== 'running') return undefined; // we stopped: not the torrent's fault
    this.#counts.failures[reason]++;
    this.#batcher.failure({ infohash: entry.infohash, at: Date.now(), reason });
    const retry = this.#state === 'running' && isRetryable(reason) && entry.attempt < this.#settings.maxAttempts;
    if (retry) {
      // A get_peers sighting found no peer yet: the querier's announce went to nodes nearer the
      // infohash than us and is stored there within seconds, so the first retry comes soon.
      const soon = entry.speculative === true && entry.attempt === 1 && reason === 'no-peers';
      const delay = soon
        ? this.#settings.speculativeRetryMs
        : retryDelay({ maxAttempts: this.#settings.maxAttempts, baseDelayMs: this.#settings.retryDelayMs, maxDelayMs: this.#settings.maxRetryDelayMs }, entry.attempt);
      this.#queue.defer(entry.infohash, delay, entry.attempt + 1);
    } else {
      this.#counts.failed++;
      this.#settled.add(entry.infohash);
    }
    this.#call(() => this.#options.onFailure?.(entry.infohash, reason, retry));
    return retry;
  }

  /**
   * The fetcher's peer source. First the nodes whose BEP 51 samples listed the
   * infohash (they store its peers): one get_peers each, no lookup when they
   * give peers — a retry, if these fail, looks up afresh. Else a get_peers
   * lookup, bounded in peers and time, streamed, so the first peer found is
   * tried while the lookup goes on (and a fetch that succeeds ends the lookup:
   * `signal`, sparing the send budget). Peers tried by an earlier attempt come
   * after the others.
   */
  async *#peersFor(infohash: Uint8Array, signal: AbortSignal): AsyncGenerator<PeerAddress, void, undefined> {
    if (this.#state !== 'running') return;
    const hex = toHex(infohash);
    const tried = new Set(this.#queue.activeEntry(hex)?.tried ?? []);
    const again: PeerAddress[] = [];
    let count = 0;
    for (const holder of this.#holders.take(hex)) {
      if (signal.aborted || this.#state !== 'running') return;
      this.#counts.holderAsks++;
      let values;
      try {
        values = (await this.#dht.query(holder, 'get_peers', { info_hash: infohash })).r.values;
      } catch {
        continue; // no answer, or an error answer: the next holder, else the lookup
      }
      for (const found of decodeCompactPeers(values ?? [])) {
        this.#counts.holderPeers++;
        if (tried.has(peerKey(found))) again.push(found);
        else yield found;
        if (++count >= this.#settings.peersPerLookup) break;
      }
      if (count > 0) break;
    }
    if (count === 0) {
      this.#counts.lookups++;
      for await (const peer of this.#dht.peers(infohash, { signal: anySignal([signal, AbortSignal.timeout(this.#settings.lookupTimeoutMs)]) })) {
        this.#counts.lookupPeers++;
        const found = { host: peer.host, port: peer.port };
        if (tried.has(peerKey(found))) again.push(found);
        else yield found;
        if (++count >= this.#settings.peersPerLookup) break;
      }
    }
    yield* again;
  }

  /** A store read or write failed (or, never expected, our own code threw): counted and reported. */
  #error(error: unknown): void {
    this.#counts.storeErrors++;
    this.#call(() => this.#options.onError?.(error));
  }

  /** Run an embedder's callback; what it throws stays with it. */
  #call(callback: () => void): void {
    try {
      callback();
    } catch {
      // not ours to handle, and never a reason to lose a fetch
    }
  }
}
