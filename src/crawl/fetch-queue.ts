/**
 * The crawler's metadata queue: infohashes waiting for a fetch, bounded.
 *
 * Two lanes: infohashes with known peers (announcers, peers from the store)
 * go first, as they cost no lookup; the others wait for a get_peers lookup.
 * An infohash is held once, whether waiting, being fetched, or waiting for a
 * retry: a second offer is a duplicate. Waiting and deferred entries together
 * stay under `cap` (a full queue refuses; what it refuses is still in the
 * store, unfetched, for a later refill). Each deferred retry has its timer;
 * `clear()` cancels them all.
 */
import type { PeerAddress } from './metadata/types.ts';

/** Peers remembered per infohash as already tried. */
const MAX_TRIED = 64;

export interface QueuedInfohash {
  /** 40 lower-case hex digits. */
  infohash: string;
  /** 1 for the first fetch. */
  attempt: number;
  /** Peers known without a lookup, tried first. */
  peers: PeerAddress[];
  /** Peers already tried ('host|port'), oldest first, at most 64: a retry asks them last. */
  tried: string[];
}

export type OfferOutcome = 'queued' | 'duplicate' | 'full';

type Place = 'waiting' | 'active' | 'deferred';

export class FetchQueue {
  readonly cap: number;
  readonly #onReady: () => void;
  readonly #places = new Map<string, Place>();
  readonly #active = new Map<string, QueuedInfohash>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #withPeers: QueuedInfohash[] = [];
  #needLookup: QueuedInfohash[] = [];

  /** `onReady` is called when a deferred entry comes back to the queue. */
  constructor(cap: number, onReady: () => void) {
    this.cap = Math.max(1, Math.floor(cap));
    this.#onReady = onReady;
  }

  /** Entries waiting for a fetch. */
  get waiting(): number {
    return this.#withPeers.length + this.#needLookup.length;
  }

  /** Entries waiting for their retry time. */
  get deferred(): number {
    return this.#timers.size;
  }

  /** Entries being fetched. */
  get active(): number {
    return this.#active.size;
  }

  /** Held in any way: waiting, being fetched, or deferred. */
  has(infohash: string): boolean {
    return this.#places.has(infohash);
  }

  /** The entry being fetched for `infohash`, if one is. */
  activeEntry(infohash: string): QueuedInfohash | undefined {
    return this.#active.get(infohash);
  }

  offer(entry: QueuedInfohash): OfferOutcome {
    if (this.#places.has(entry.infohash)) return 'duplicate';
    if (this.waiting + this.deferred >= this.cap) return 'full';
    this.#places.set(entry.infohash, 'waiting');
    (entry.peers.length > 0 ? this.#withPeers : this.#needLookup).push(entry);
    return 'queued';
  }

  /** The next entry to fetch, now counted as active until `done` or `defer`. */
  take(): QueuedInfohash | undefined {
    const entry = this.#withPeers.shift() ?? this.#needLookup.shift();
    if (entry === undefined) return undefined;
    this.#places.set(entry.infohash, 'active');
    this.#active.set(entry.infohash, entry);
    return entry;
  }

  /** The fetch of an active entry ended for good: forget it. */
  done(infohash: string): void {
    if (this.#places.get(infohash) !== 'active') return;
    this.#places.delete(infohash);
    this.#active.delete(infohash);
  }

  /**
   * Bring an active entry back after `delayMs`, for attempt `attempt`, with no
   * known peers: a retry starts from a fresh lookup.
   */
  defer(infohash: string, delayMs: number, attempt: number): void {
    const entry = this.#active.get(infohash);
    if (entry === undefined) return;
    this.#active.delete(infohash);
    this.#places.set(infohash, 'deferred');
    const timer = setTimeout(() => {
      this.#timers.delete(infohash);
      this.#places.set(infohash, 'waiting');
      this.#needLookup.push({ infohash, attempt, peers: [], tried: entry.tried });
      this.#onReady();
    }, delayMs);
    (timer as { unref?: () => void }).unref?.();
    this.#timers.set(infohash, timer);
  }

  /** Drop everything waiting or deferred (active entries stay until `done`). */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    for (const infohash of this.#timers.keys()) this.#places.delete(infohash);
    this.#timers.clear();
    for (const entry of [...this.#withPeers, ...this.#needLookup]) this.#places.delete(entry.infohash);
    this.#withPeers = [];
    this.#needLookup = [];
  }
}

/** 'host|port': how peers are told apart. */
export function peerKey(peer: PeerAddress): string {
  return `${peer.host}|${peer.port}`;
}

/** Note peers as tried, keeping the newest 64. */
export function noteTried(entry: QueuedInfohash, peers: Iterable<PeerAddress>): void {
  for (const peer of peers) {
    const key = peerKey(peer);
    const at = entry.tried.indexOf(key);
    if (at >= 0) entry.tried.splice(at, 1);
    entry.tried.push(key);
  }
  if (entry.tried.length > MAX_TRIED) entry.tried.splice(0, entry.tried.length - MAX_TRIED);
}

/** Distinct peers, the ones not tried yet first (each group in the order given). */
export function untriedFirst(peers: Iterable<PeerAddress>, tried: readonly string[]): PeerAddress[] {
  const before = new Set(tried);
  const fresh: PeerAddress[] = [];
  const again: PeerAddress[] = [];
  const seen = new Set<string>();
  for (const peer of peers) {
    const key = peerKey(peer);
    if (seen.has(key)) continue;
    seen.add(key);
    (before.has(key) ? again : fresh).push({ host: peer.host, port: peer.port });
  }
  return fresh.concat(again);
}
