/**
 * A DHT whose hooks and listeners registered during `capture(fn)` are timed
 * and kept: the harvester's own path (its get_peers hook, its 'announce'
 * listener) measured apart from the node's, and callable directly to replay a
 * recorded stream of sightings into a fresh harvester. Registrations made
 * outside `capture` (the node's own extensions, e.g. BEP 33's 'announce'
 * listener) pass through untouched.
 */
import { DHT } from '../../src/dht/dht.ts';
import type { DHTEvents } from '../../src/dht/dht.ts';
import type { QueryHook } from '../../src/dht/hooks.ts';
import type { KrpcQuery } from '../../src/ground/messages.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import type { Peer } from '../../src/krpc/compact.ts';
import { CallMeter } from './meter.ts';

type AnnounceListener = (value: DHTEvents['announce']) => void;

/** One input to the harvester, as the node hands it over. */
export type Sighting = { kind: 'get_peers'; infohash: Uint8Array } | { kind: 'announce'; infohash: Uint8Array; peer: Peer };

export class TappedDHT extends DHT {
  /** Time inside the captured hooks and listeners. */
  readonly meter = new CallMeter({ keepSamples: true });
  /** Captured get_peers hooks and 'announce' listeners, unwrapped. */
  readonly getPeersHooks: QueryHook[] = [];
  readonly announceListeners: AnnounceListener[] = [];
  /** Called with a copy of every sighting that reaches a captured hook (for replay). */
  record: ((sighting: Sighting) => void) | undefined;
  /** Time the captured hooks (off: they are only kept, for calling directly). */
  timing = true;
  #capturing = false;
  readonly #timed = new Map<unknown, unknown>();

  /** Run `fn` (e.g. `() => harvester.start(...)`), capturing what it registers. */
  capture(fn: () => void): void {
    this.#capturing = true;
    try {
      fn();
    } finally {
      this.#capturing = false;
    }
  }

  override onQuery(method: string, hook: QueryHook): () => void {
    if (!this.#capturing) return super.onQuery(method, hook);
    if (method !== 'get_peers') throw new Error(`TappedDHT: only get_peers hooks are measured, got '${method}'`);
    this.getPeersHooks.push(hook);
    return super.onQuery(method, (query: KrpcQuery, from: Endpoint) => {
      const infohash = query.a.info_hash;
      if (this.record && infohash) this.record({ kind: 'get_peers', infohash: infohash.slice() });
      return this.timing ? this.meter.time(() => hook(query, from)) : hook(query, from);
    });
  }

  override on<E extends keyof DHTEvents>(event: E, listener: (value: DHTEvents[E]) => void): () => void {
    if (!this.#capturing) return super.on(event, listener);
    if (event !== 'announce') throw new Error(`TappedDHT: only 'announce' listeners are measured, got '${event}'`);
    const original = listener as AnnounceListener;
    this.announceListeners.push(original);
    const timed: AnnounceListener = (value) => {
      this.record?.({ kind: 'announce', infohash: value.infohash.slice(), peer: { ...value.peer } });
      if (this.timing) this.meter.time(() => original(value));
      else original(value);
    };
    this.#timed.set(listener, timed);
    return super.on(event, timed as (value: DHTEvents[E]) => void);
  }

  override off<E extends keyof DHTEvents>(event: E, listener: (value: DHTEvents[E]) => void): void {
    const timed = this.#timed.get(listener);
    if (timed === undefined) return super.off(event, listener);
    this.#timed.delete(listener);
    super.off(event, timed as (value: DHTEvents[E]) => void);
  }
}
