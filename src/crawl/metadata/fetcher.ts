/**
 * MetadataFetcher: infohash + candidate peers in, verified torrent out.
 *
 * One fetch tries its peers one at a time, one more at once each `staggerMs`
 * the running ones have not settled (up to `maxPeersPerFetch`; a failed peer is
 * replaced at once), and `maxAttemptsPerFetch` in all: a second session to a
 * torrent whose first peer is serving it is CPU for nothing. Peers whose host
 * served verified metadata lately go first, hosts that only failed lately last
 * (host-standing.ts). When the given peers run out it asks `peersFor` (the
 * crawler's get_peers) once and keeps trying what that yields, as it arrives.
 * The first verified info dictionary wins and the other attempts are aborted.
 * Connections are bounded globally and per peer; hostile peers' IPs are skipped
 * for a while. No timer runs unless a fetch is in flight.
 */
import { createTcpConnector } from '../../transport/detect-tcp.ts';
import type { TcpConnector } from '../../transport/tcp.ts';
import { fromHex, toHex } from '../../util/hex.ts';
import { parseInfo } from './info-dict.ts';
import { HostStanding, type Standing } from './host-standing.ts';
import { PenaltyBox } from './penalty-box.ts';
import { fetchFromPeer, type MetadataMemory, type PeerSessionContext, type SessionCounters } from './peer-session.ts';
import { ConnectionSlots } from './slots.ts';
import {
  HOSTILE_FAILURES,
  type FetchFailure,
  type FetchResult,
  type MetadataFetcherOptions,
  type MetadataFetcherStats,
  type PeerAddress,
  type PeerAttempt,
  type PeerFailure,
  type PeerSource,
} from './types.ts';

/**
 * @example
 * import { METADATA_DEFAULTS, MetadataFetcher } from 'btdht/crawl';
 * const fetcher = new MetadataFetcher({ maxConnections: METADATA_DEFAULTS.maxConnections / 4 });
 */
export const METADATA_DEFAULTS = {
  maxConnections: 200,
  maxConnectionsPerPeer: 1,
  maxPeersPerFetch: 3,
  staggerMs: 500,
  maxAttemptsPerFetch: 16,
  maxPending: 10_000,
  connectTimeoutMs: 5_000,
  handshakeTimeoutMs: 5_000,
  peerTimeoutMs: 20_000,
  totalTimeoutMs: 60_000,
  maxMetadataSize: 10 * 1024 * 1024,
  maxMetadataMemory: 256 * 1024 * 1024,
  penaltyMs: 10 * 60_000,
  penaltyCapacity: 65_536,
} as const;

/**
 * The reason every abort of ours gives: abort() without one builds a
 * DOMException with its stack, per attempt and per fetch (~1% of a crawl's CPU).
 */
const ENDED = new Error('the fetch ended');

/** How long close() waits for aborted sockets to finish closing. */
const CLOSE_WAIT_MS = 2000;

/** Failures that are no hostility but say the host did not serve: it goes last for a while. */
const NO_SERVICE: ReadonlySet<PeerFailure> = new Set<PeerFailure>([
  'connect-timeout',
  'connect-refused',
  'connect-failed',
  'other-torrent',
  'no-extensions',
  'no-metadata',
  'rejected',
  'handshake-timeout',
  'timeout',
  'closed',
]);

const FETCH_FAILURES: readonly FetchFailure[] = ['no-peers', 'peers-failed', 'timeout', 'invalid-info', 'overloaded', 'aborted'];
const PEER_FAILURES: readonly PeerFailure[] = [
  'connect-timeout',
  'connect-refused',
  'connect-failed',
  'bad-handshake',
  'other-torrent',
  'no-extensions',
  'no-metadata',
  'too-large',
  'over-budget',
  'rejected',
  'flood',
  'garbage',
  'wrong-hash',
  'handshake-timeout',
  'timeout',
  'closed',
  'aborted',
];

interface Job {
  promise: Promise<FetchResult>;
  addPeers(peers: Iterable<PeerAddress>): void;
  cancel(): void;
}

type Settings = typeof METADATA_DEFAULTS;

/**
 * @example
 * import { MetadataFetcher } from 'btdht/crawl';
 * const fetcher = new MetadataFetcher();
 * const result = await fetcher.fetch('e3811b9539cacff680e418124272177c47477157', [{ host: '127.0.0.1', port: 6881 }]);
 * if (result.ok) console.log(result.torrent.name, result.torrent.files);
 * await fetcher.close();
 */
export class MetadataFetcher {
  readonly #settings: Settings;
  readonly #peersFor: PeerSource | undefined;
  readonly #peerId: Uint8Array;
  readonly #tcp: Promise<TcpConnector>;
  readonly #slots: ConnectionSlots;
  readonly #penalty: PenaltyBox;
  readonly #standing: HostStanding;
  readonly #counters: SessionCounters = { connecting: 0, open: 0, bytesReceived: 0 };
  readonly #memory: MetadataMemory;
  readonly #jobs = new Map<string, Job>();
  #closed = false;
  #fetched = 0;
  readonly #failed = zeroes(FETCH_FAILURES);
  readonly #peerFailures = zeroes(PEER_FAILURES);

  constructor(options: MetadataFetcherOptions = {}) {
    const s = { ...METADATA_DEFAULTS } as { -readonly [K in keyof Settings]: number };
    for (const key of Object.keys(METADATA_DEFAULTS) as Array<keyof Settings>) {
      const value = options[key];
      if (value !== undefined) {
        if (!(typeof value === 'number' && value > 0)) throw new RangeError(`MetadataFetcher: ${key} must be a positive number`);
        s[key] = value;
      }
    }
    this.#settings = s as Settings;
    this.#peersFor = options.peersFor;
    this.#peerId = options.peerId ?? randomPeerId();
    if (this.#peerId.length !== 20) throw new RangeError('MetadataFetcher: peerId must be 20 bytes');
    this.#tcp = options.tcp !== undefined ? Promise.resolve(options.tcp) : createTcpConnector();
    this.#slots = new ConnectionSlots(s.maxConnections, s.maxConnectionsPerPeer);
    this.#penalty = new PenaltyBox(s.penaltyCapacity, s.penaltyMs);
    this.#standing = new HostStanding(s.penaltyCapacity, s.penaltyMs);
    let used = 0;
    this.#memory = {
      reserve: (bytes) => {
        if (used + bytes > s.maxMetadataMemory) return false;
        used += bytes;
        return true;
      },
      release: (bytes) => {
        used -= bytes;
      },
    };
  }

  /**
   * Fetch and verify the info dictionary of `infohash` (20 bytes or 40 hex).
   * A second call for an infohash in flight joins it (its peers are added).
   * Never rejects for network reasons: failures are results.
   */
  fetch(infohash: Uint8Array | string, peers: Iterable<PeerAddress> = []): Promise<FetchResult> {
    const bytes = typeof infohash === 'string' ? fromHex(infohash) : infohash;
    if (bytes.length !== 20) throw new TypeError('MetadataFetcher.fetch: an infohash is 20 bytes');
    const hex = toHex(bytes);
    const running = this.#jobs.get(hex);
    if (running !== undefined) {
      running.addPeers(peers);
      return running.promise;
    }
    if (this.#closed) return Promise.resolve(this.#failure(hex, 'aborted', []));
    if (this.#jobs.size >= this.#settings.maxPending) return Promise.resolve(this.#failure(hex, 'overloaded', []));
    const job = this.#startJob(bytes, hex);
    this.#jobs.set(hex, job);
    job.addPeers(peers);
    return job.promise;
  }

  /**
   * More peers for a fetch in flight (an announcer learned meanwhile): tried at
   * once if the fetch has room. False, and nothing started, if `infohash` (40
   * hex) is not being fetched.
   */
  addPeers(infohash: string, peers: Iterable<PeerAddress>): boolean {
    const running = this.#jobs.get(infohash.toLowerCase());
    if (running === undefined) return false;
    running.addPeers(peers);
    return true;
  }

  /**
   * Resolves once the runtime's TCP transport is loaded; rejects on a runtime
   * without one. The fetcher needs no optional package: it speaks the peer
   * wire itself (peer-wire.ts).
   */
  async ready(): Promise<void> {
    await this.#tcp;
  }

  /** Is a peer's IP being skipped right now? */
  isPenalized(host: string): boolean {
    return this.#penalty.has(host);
  }

  stats(): MetadataFetcherStats {
    return {
      fetched: this.#fetched,
      failed: { ...this.#failed },
      peerFailures: { ...this.#peerFailures },
      openConnections: this.#counters.open,
      connecting: this.#counters.connecting,
      pending: this.#jobs.size,
      penalized: this.#penalty.size,
      bytesReceived: this.#counters.bytesReceived,
    };
  }

  /** Abort every fetch (they resolve with 'aborted') and wait for them to settle. */
  async close(): Promise<void> {
    this.#closed = true;
    const jobs = [...this.#jobs.values()];
    for (const job of jobs) job.cancel();
    await Promise.all(jobs.map((job) => job.promise));
    // Sockets report their close a moment later; wait for that, briefly.
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while (this.#counters.open + this.#counters.connecting > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  #failure(infohash: string, reason: FetchFailure, attempts: PeerAttempt[]): FetchResult {
    this.#failed[reason]++;
    return { ok: false, infohash, reason, attempts };
  }

  #startJob(infohash: Uint8Array, hex: string): Job {
    const settings = this.#settings;
    // One controller for the job's attempts and its peer source (only the job's end aborts them),
    // made at the first use: a signal and its abort() cost several µs each, per use.
    let aborter: AbortController | undefined;
    const signal = (): AbortSignal => (aborter ??= new AbortController()).signal;
    // Peers waiting, in standing order (stable within a standing).
    const queue: PeerAddress[] = [];
    const ranks: Standing[] = [];
    const seen = new Set<string>();
    const attempts: PeerAttempt[] = [];
    let running = 0;
    let tried = 0;
    // Attempts allowed at once: one, then one more each staggerMs while peers wait.
    let parallel = 1;
    let stagger: ReturnType<typeof setTimeout> | undefined;
    let source: 'unused' | 'running' | 'done' = this.#peersFor === undefined ? 'done' : 'unused';
    let done = false;
    let resolveJob!: (result: FetchResult) => void;
    const promise = new Promise<FetchResult>((resolve) => {
      resolveJob = resolve;
    });
    const timer = setTimeout(() => end(this.#failure(hex, 'timeout', attempts)), settings.totalTimeoutMs);

    /** `settling`: ended by an attempt that is itself over (it still counts as running). */
    const end = (result: FetchResult, settling = 0): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (stagger !== undefined) clearTimeout(stagger);
      if (running > settling || source === 'running') aborter?.abort(ENDED);
      this.#jobs.delete(hex);
      resolveJob(result);
    };

    const addPeers = (peers: Iterable<PeerAddress>): void => {
      if (done) return;
      for (const peer of peers) {
        const key = peerKey(peer);
        if (seen.has(key) || this.#penalty.has(peer.host)) continue;
        seen.add(key);
        const rank = this.#standing.standing(peer.host);
        let at = ranks.length;
        while (at > 0 && ranks[at - 1]! > rank) at--;
        queue.splice(at, 0, { host: peer.host, port: peer.port });
        ranks.splice(at, 0, rank);
      }
      pump();
    };

    const widen = (): void => {
      stagger = undefined;
      if (parallel < settings.maxPeersPerFetch) parallel++;
      pump();
    };

    const pump = (): void => {
      if (done) return;
      while (running < parallel && tried < settings.maxAttemptsPerFetch && queue.length > 0) {
        const peer = queue.shift()!;
        ranks.shift();
        if (this.#penalty.has(peer.host)) continue;
        void attempt(peer);
      }
      if (stagger === undefined && queue.length > 0 && running >= parallel && parallel < settings.maxPeersPerFetch && tried < settings.maxAttemptsPerFetch) {
        stagger = setTimeout(widen, settings.staggerMs);
      }
      const exhausted = queue.length === 0 || tried >= settings.maxAttemptsPerFetch;
      if (exhausted && running < settings.maxPeersPerFetch && source === 'unused' && tried < settings.maxAttemptsPerFetch) {
        void askSource();
        return;
      }
      if (exhausted && running === 0 && source !== 'running') {
        end(this.#failure(hex, attempts.length === 0 ? 'no-peers' : 'peers-failed', attempts));
      }
    };

    const attempt = async (peer: PeerAddress): Promise<void> => {
      running++;
      tried++;
      let outcome: PeerFailure | 'ok' = 'aborted';
      const aborted = signal();
      const askedAt = Date.now();
      let slotAt = askedAt;
      const timed = (): { waitedMs: number; ms: number } => ({ waitedMs: slotAt - askedAt, ms: Date.now() - slotAt });
      try {
        const tcp = await this.#tcp;
        const release = await this.#slots.acquire(peerKey(peer), aborted);
        slotAt = Date.now();
        const context: PeerSessionContext = {
          tcp,
          peerId: this.#peerId,
          limits: settings,
          counters: this.#counters,
          memory: this.#memory,
        };
        const result = await fetchFromPeer(infohash, peer, context, aborted).finally(release);
        if (result.ok) {
          if (done) return; // another peer won, or time ran out: the result has been given
          outcome = 'ok';
          const info = parseInfo(result.info);
          if (info === undefined) {
            attempts.push({ peer, outcome, ...timed() });
            end(this.#failure(hex, 'invalid-info', attempts), 1);
            return;
          }
          attempts.push({ peer, outcome, ...timed() });
          this.#standing.served(peer.host);
          this.#fetched++;
          end({ ok: true, torrent: { ...info, infohash: hex, verifiedBy: result.verifiedBy, info: result.info, peer }, attempts }, 1);
          return;
        }
        outcome = result.reason;
      } catch {
        outcome = 'aborted'; // the slot wait was aborted
      } finally {
        running--;
      }
      this.#peerFailures[outcome]++;
      // Remembered even when the fetch is over: the peer was hostile all the same.
      if (HOSTILE_FAILURES.has(outcome)) this.#penalty.penalize(peer.host);
      else if (NO_SERVICE.has(outcome)) this.#standing.failed(peer.host);
      if (done) return;
      attempts.push({ peer, outcome, ...timed() });
      pump();
    };

    const askSource = async (): Promise<void> => {
      source = 'running';
      try {
        const produced = this.#peersFor!(infohash, signal());
        const peers = produced instanceof Promise ? await produced : produced;
        if (isAsyncIterable(peers)) {
          for await (const peer of peers) {
            if (done) break;
            addPeers([peer]);
          }
        } else {
          addPeers(peers);
        }
      } catch {
        // A lookup that failed is a lookup that found nobody.
      }
      source = 'done';
      pump();
    };

    return { promise, addPeers, cancel: () => end(this.#failure(hex, 'aborted', attempts)) };
  }
}

function peerKey(peer: PeerAddress): string {
  return `${peer.host}|${peer.port}`;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<PeerAddress> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const key of keys) out[key] = 0;
  return out;
}

/** Azureus-style id: '-BD0001-' then 12 random bytes. */
function randomPeerId(): Uint8Array {
  const id = new Uint8Array(20);
  id.set(new TextEncoder().encode('-BD0001-'));
  crypto.getRandomValues(id.subarray(8));
  return id;
}
