/**
 * The crawler's metadata queue: infohashes waiting for a fetch, bounded.
 *
 * Three lanes, taken in order: infohashes with known peers (announcers, peers
 * from the store) cost no lookup; real ones without peers (BEP 51 samples,
 * retries, the store) need a get_peers lookup; speculative ones (seen only in
 * someone's get_peers, most of them lookups for nothing: libtorrent refreshes
 * its buckets with get_peers for random targets) come last, after a short
 * grace so the announce that usually follows a client's get_peers can come
 * first, and hold at most a quarter of the cap, so they never crowd out real
 * ones. A peer learned later (an announce) `wake`s an entry into the first lane
 * at once, whether it was waiting, in its grace, or deferred for a retry.
 *
 * An infohash is held once, whether waiting, being fetched, or waiting for a
 * retry: a second offer is a duplicate. Waiting and deferred entries together
 * stay under `cap` (a full queue refuses; what it refuses is still in the
 * store, unfetched, for a later refill). Each deferred entry has its timer;
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
  /** Seen only in a get_peers query: the last lane, and a quarter of the cap at most. */
  speculative?: boolean;
}

export type OfferOutcome = 'queued' | 'duplicate' | 'full';

export type Place = 'waiting' | 'active' | 'deferred';

/** Where a held infohash is, for diagnostics (`Crawler.inspect`). */
export interface HeldEntry {
  place: Place;
  /** The attempt it waits for (or is making). */
  attempt: number;
  speculative: boolean;
  /** Peers known for it without a lookup. */
  peers: number;
}

export class FetchQueue {
  readonly cap: number;
  readonly #onReady: () => void;
  readonly #places = new Map<string, Place>();
  readonly #active = new Map<string, QueuedInfohash>();
  readonly #deferred = new Map<string, { entry: QueuedInfohash; timer: ReturnType<typeof setTimeout> }>();
  #withPeers: QueuedInfohash[] = [];
  #needLookup: QueuedInfohash[] = [];
  #speculative: QueuedInfohash[] = [];
  /** Speculative entries held, waiting or deferred. */
  #speculativeHeld = 0;
  /** Speculative entries being fetched. */
  #speculativeActive = 0;

  /** `onReady` is called when a deferred entry comes back to the queue. */
  constructor(cap: number, onReady: () => void) {
    this.cap = Math.max(1, Math.floor(cap));
    this.#onReady = onReady;
  }

  /** Entries waiting for a fetch. */
  get waiting(): number {
    return this.#withPeers.length + this.#needLookup.length + this.#speculative.length;
  }

  /** Entries waiting that are not speculative (announced, sampled, retried, from the store). */
  get waitingReal(): number {
    return this.#withPeers.length + this.#needLookup.length;
  }

  /** Entries waiting for their retry time (or their grace). */
  get deferred(): number {
    return this.#deferred.size;
  }

  /** Entries being fetched. */
  get active(): number {
    return this.#active.size;
  }

  /** Speculative entries held (waiting or in their grace). */
  get speculative(): number {
    return this.#speculativeHeld;
  }

  /** Held in any way: waiting, being fetched, or deferred. */
  has(infohash: string): boolean {
    return this.#places.has(infohash);
  }

  /** Where `infohash` is held, if it is (a scan of the lanes: for diagnostics, not the hot path). */
  describe(infohash: string): HeldEntry | undefined {
    const place = this.#places.get(infohash);
    if (place === undefined) return undefined;
    const entry =
      place === 'active'
        ? this.#active.get(infohash)
        : place === 'deferred'
          ? this.#deferred.get(infohash)?.entry
          : [...this.#withPeers, ...this.#needLookup, ...this.#speculative].find((e) => e.infohash === infohash);
    if (entry === undefined) return undefined;
    return { place, attempt: entry.attempt, speculative: entry.speculative === true, peers: entry.peers.length };
  }

  /** The entry being fetched for `infohash`, if one is. */
  activeEntry(infohash: string): QueuedInfohash | undefined {
    return this.#active.get(infohash);
  }

  /** Queue an entry; a speculative one after `graceMs` (0: at once). */
  offer(entry: QueuedInfohash, graceMs = 0): OfferOutcome {
    if (this.#places.has(entry.infohash)) return 'duplicate';
    if (this.waiting + this.deferred >= this.cap) return 'full';
    if (entry.speculative) {
      if (this.#speculativeHeld >= Math.max(1, Math.floor(this.cap / 4))) return 'full';
      this.#speculativeHeld++;
      if (graceMs > 0) {
        this.#deferFor(entry, graceMs);
        return 'queued';
      }
    }
    this.#push(entry);
    return 'queued';
  }

  /**
   * Peers learned for a held infohash (an announce): an entry waiting or
   * deferred moves to the first lane at once, no longer speculative. False if
   * it is not held or is being fetched.
   */
  wake(infohash: string, peers: readonly PeerAddress[]): boolean {
    const place = this.#places.get(infohash);
    let entry: QueuedInfohash | undefined;
    if (place === 'deferred') {
      const held = this.#deferred.get(infohash)!;
      clearTimeout(held.timer);
      this.#deferred.delete(infohash);
      entry = held.entry;
    } else if (place === 'waiting') {
      for (const lane of [this.#needLookup, this.#speculative, this.#withPeers]) {
        const at = lane.findIndex((e) => e.infohash === infohash);
        if (at >= 0) {
          entry = lane.splice(at, 1)[0];
          break;
        }
      }
    }
    if (entry === undefined) return false;
    if (entry.speculative) {
      entry.speculative = false;
      this.#speculativeHeld--;
    }
    const known = new Set(entry.peers.map(peerKey));
    entry.peers = [...peers.filter((p) => !known.has(peerKey(p))).map((p) => ({ host: p.host, port: p.port })), ...entry.peers];
    this.#places.set(infohash, 'waiting');
    this.#withPeers.push(entry);
    return true;
  }

  /**
   * The next entry to fetch, now counted as active until `done` or `defer`; a
   * speculative one only while fewer than `maxSpeculativeActive` are being
   * fetched (their lookups must not take the send budget real ones need).
   */
  take(maxSpeculativeActive = Infinity): QueuedInfohash | undefined {
    const entry =
      this.#withPeers.shift() ?? this.#needLookup.shift() ?? (this.#speculativeActive < maxSpeculativeActive ? this.#speculative.shift() : undefined);
    if (entry === undefined) return undefined;
    if (entry.speculative) {
      this.#speculativeHeld--;
      this.#speculativeActive++;
    }
    this.#places.set(entry.infohash, 'active');
    this.#active.set(entry.infohash, entry);
    return entry;
  }

  /** The fetch of an active entry ended for good: forget it. */
  done(infohash: string): void {
    if (this.#places.get(infohash) !== 'active') return;
    if (this.#active.get(infohash)?.speculative) this.#speculativeActive--;
    this.#places.delete(infohash);
    this.#active.delete(infohash);
  }

  /**
   * Bring an active entry back after `delayMs`, for attempt `attempt`, with no
   * known peers: a retry starts from a fresh lookup (in its lane: a
   * speculative entry stays last).
   */
  defer(infohash: string, delayMs: number, attempt: number): void {
    const entry = this.#active.get(infohash);
    if (entry === undefined) return;
    this.#active.delete(infohash);
    if (entry.speculative) this.#speculativeActive--;
    const next: QueuedInfohash = { infohash, attempt, peers: [], tried: entry.tried };
    if (entry.speculative) {
      next.speculative = true;
      this.#speculativeHeld++;
    }
    this.#deferFor(next, delayMs);
  }

  /** Drop everything waiting or deferred (active entries stay until `done`). */
  clear(): void {
    for (const [infohash, { timer }] of this.#deferred) {
      clearTimeout(timer);
      this.#places.delete(infohash);
    }
    this.#deferred.clear();
    for (const entry of [...this.#withPeers, ...this.#needLookup, ...this.#speculative]) this.#places.delete(entry.infohash);
    this.#withPeers = [];
    this.#needLookup = [];
    this.#speculative = [];
    this.#speculativeHeld = 0;
  }

  #deferFor(entry: QueuedInfohash, delayMs: number): void {
    this.#places.set(entry.infohash, 'deferred');
    const timer = setTimeout(() => {
      this.#deferred.delete(entry.infohash);
      this.#push(entry);
      this.#onReady();
    }, delayMs);
    (timer as { unref?: () => void }).unref?.();
    this.#deferred.set(entry.infohash, { entry, timer });
  }

  #push(entry: QueuedInfohash): void {
    this.#places.set(entry.infohash, 'waiting');
    if (entry.speculative) this.#speculative.push(entry);
    else (entry.peers.length > 0 ? this.#withPeers : this.#needLookup).push(entry);
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
