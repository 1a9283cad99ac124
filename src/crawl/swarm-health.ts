/**
 * Swarm health of fetched torrents: seeders and leechers from BEP 33 scrapes,
 * refreshed on a schedule, handed to the store as SwarmRecords.
 *
 * Each fetched torrent is checked soon after its fetch and then every
 * `intervalMs`; at most `concurrency` scrapes run at once (a scrape is a DHT
 * lookup, and shares the node's send budget with the harvest). The peers met
 * while fetching count too: a scrape's filters only hold peers that announced
 * to the nodes it reached, so the leechers are at least the peers we met that
 * the scrape did not count as seeds. Bounded: at most `maxTracked` torrents
 * are kept on the schedule, the least recently fetched forgotten first.
 */
import type { Clock, TimerHandle } from '../ground/clock.ts';
import type { SwarmRecord } from './store/types.ts';

export interface SwarmScrape {
  seeds: number;
  peers: number;
}

export interface SwarmHealthOptions {
  /** A BEP 33 scrape of one infohash (hex), e.g. `dht.scrape`. */
  scrape: (infohash: string, signal: AbortSignal) => Promise<SwarmScrape>;
  /** Where the records go, e.g. `store.recordSwarm` through the crawler. */
  record: (records: SwarmRecord[]) => void;
  clock: Clock;
  /** Wait before a torrent's first check (its row must reach the store first). */
  firstDelayMs: number;
  /** Time between two checks of one torrent. */
  intervalMs: number;
  /**
   * Whether the node has send budget to spare (default always): while not, only
   * checks overdue by a whole interval run — fetch lookups go first.
   */
  idle?: () => boolean;
  /** Scrapes at once. */
  concurrency: number;
  /** Torrents kept on the schedule at most. */
  maxTracked: number;
  /** One scrape may take this long. */
  timeoutMs: number;
}

export interface SwarmHealthStats {
  tracked: number;
  checks: number;
  failed: number;
  inFlight: number;
}

interface Tracked {
  dueAt: number;
  /** Distinct peers met while fetching (announcers, lookup answers). */
  peersMet: number;
}

/** How often due checks are looked for. */
const TICK_MS = 1_000;

export class SwarmHealth {
  readonly #o: SwarmHealthOptions;
  readonly #tracked = new Map<string, Tracked>();
  readonly #running = new Map<string, AbortController>();
  #timer: TimerHandle | undefined;
  #stopped = false;
  #checks = 0;
  #failed = 0;

  constructor(options: SwarmHealthOptions) {
    this.#o = options;
  }

  start(): void {
    this.#stopped = false;
    this.#arm();
  }

  /** End the schedule and abort the scrapes in flight. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    for (const abort of this.#running.values()) abort.abort();
  }

  /** A torrent was fetched, having met `peersMet` distinct peers: check it after `firstDelayMs`. */
  fetched(infohash: string, peersMet: number): void {
    this.#tracked.delete(infohash);
    if (this.#tracked.size >= this.#o.maxTracked) {
      const oldest = this.#tracked.keys().next();
      if (!oldest.done) this.#tracked.delete(oldest.value);
    }
    this.#tracked.set(infohash, { dueAt: this.#o.clock.now() + this.#o.firstDelayMs, peersMet });
  }

  stats(): SwarmHealthStats {
    return { tracked: this.#tracked.size, checks: this.#checks, failed: this.#failed, inFlight: this.#running.size };
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimer(() => {
      this.#timer = undefined;
      this.#tick();
      this.#arm();
    }, TICK_MS);
  }

  #tick(): void {
    const now = this.#o.clock.now();
    const idle = this.#o.idle?.() ?? true;
    for (const [infohash, entry] of this.#tracked) {
      if (this.#running.size >= this.#o.concurrency) return;
      if (this.#running.has(infohash)) continue;
      if (idle ? entry.dueAt > now : entry.dueAt + this.#o.intervalMs > now) continue;
      entry.dueAt = now + this.#o.intervalMs;
      void this.#check(infohash, entry);
    }
  }

  async #check(infohash: string, entry: Tracked): Promise<void> {
    const abort = new AbortController();
    this.#running.set(infohash, abort);
    const timer = this.#o.clock.setTimer(() => abort.abort(), this.#o.timeoutMs);
    try {
      const { seeds, peers } = await this.#o.scrape(infohash, abort.signal);
      if (this.#stopped) return;
      const seeders = Math.max(0, Math.round(seeds));
      const leechers = Math.max(Math.round(peers), entry.peersMet - seeders, 0);
      this.#checks++;
      this.#o.record([{ infohash, seeders, leechers, at: Date.now() }]);
    } catch {
      this.#failed++; // tried again at its next due time
    } finally {
      timer.cancel();
      this.#running.delete(infohash);
    }
  }
}
