/**
 * Feed sightings straight into a Harvester's captured hooks, with nothing else
 * running: the harvester's CPU per observation, free of the simulator and of
 * the node's receive path. The node is never started (hooks and listeners
 * work before start), so no socket, table or timer of it is involved.
 */
import { Harvester } from '../../src/crawl/harvest/index.ts';
import type { HarvesterOptions } from '../../src/crawl/harvest/index.ts';
import type { KrpcQuery } from '../../src/ground/messages.ts';
import type { Clock } from '../../src/ground/clock.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import type { DHTEvents } from '../../src/dht/dht.ts';
import { TappedDHT } from './tap.ts';
import type { Sighting } from './tap.ts';

/** A clock that only moves when told to; its timers never fire (flush() sends the last batch). */
export function stillClock(start = 1_700_000_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    setTimer: () => ({ cancel: () => undefined }),
    advance: (ms) => void (now += ms),
  };
}

const QUERIER: Endpoint = Object.freeze({ host: '127.0.0.2', port: 6881, family: 4 });
const QUERIER_ID = new Uint8Array(20).fill(7);

/** What the node's hook receives for an incoming get_peers (only `a.info_hash` matters to the harvester). */
export function getPeersQuery(infohash: Uint8Array): KrpcQuery {
  return { y: 'q', q: 'get_peers', a: { id: QUERIER_ID, info_hash: infohash }, t: new Uint8Array(2), datagram: new Uint8Array(0), bodyStart: 0, bodyEnd: 0 };
}

/** A harvester on an unstarted node, with its hooks in hand. */
export function detachedHarvester(options: HarvesterOptions): {
  harvester: Harvester;
  getPeers: (query: KrpcQuery, from: Endpoint) => unknown;
  announce: (value: DHTEvents['announce']) => void;
} {
  const dht = new TappedDHT({ bootstrap: [] });
  const harvester = new Harvester(dht, options);
  dht.capture(() => harvester.start({ walk: false }));
  const getPeers = dht.getPeersHooks[0];
  const announce = dht.announceListeners[0];
  if (!getPeers || !announce) throw new Error('the harvester registered no get_peers hook or announce listener');
  return { harvester, getPeers, announce };
}

/**
 * `sightings` played `times` over, each pass with its infohashes made new
 * (the last byte xor-ed with the pass number; peers kept), so a long stream
 * keeps the recorded mix of sources and repeats without re-seeing one pass's
 * infohashes in the next.
 */
export function repeatAsNew(sightings: readonly Sighting[], times: number): Sighting[] {
  if (!Number.isInteger(times) || times < 1 || times > 256) throw new RangeError('times must be an integer from 1 to 256');
  const out: Sighting[] = [];
  for (let pass = 0; pass < times; pass++) {
    for (const s of sightings) {
      const infohash = s.infohash.slice();
      infohash[19] = infohash[19]! ^ pass;
      out.push(s.kind === 'get_peers' ? { kind: 'get_peers', infohash } : { kind: 'announce', infohash, peer: s.peer });
    }
  }
  return out;
}

/** Inputs built ahead of the timed loop, as the node would hand them over. */
export type PreparedSighting = { kind: 'get_peers'; query: KrpcQuery } | { kind: 'announce'; event: DHTEvents['announce'] };

export function prepare(sightings: readonly Sighting[]): PreparedSighting[] {
  return sightings.map((s) =>
    s.kind === 'get_peers' ? { kind: 'get_peers', query: getPeersQuery(s.infohash) } : { kind: 'announce', event: { infohash: s.infohash, peer: s.peer } },
  );
}

/** Sightings between two turns of the event loop in a round (batches are handed over between turns, as in a node). */
const TURN = 1_000;

export interface RoundResult {
  /** CPU seconds of this process for the round, GC included. */
  cpuSeconds: number;
  /** CPU seconds of each `chunk` sightings, in order (when asked). */
  chunks: number[];
  harvester: Harvester;
}

/**
 * One round: a fresh harvester takes every sighting (the clock moving 1 ms
 * per sighting), then flush() hands the last batch over. With `full`, its
 * seen-set is first filled to its cap with other infohashes (untimed), so
 * every new infohash of the round evicts one.
 */
export async function replayRound(
  prepared: readonly PreparedSighting[],
  options: HarvesterOptions = {},
  full = false,
  chunk = 0,
): Promise<RoundResult> {
  const clock = stillClock();
  const { harvester, getPeers, announce } = detachedHarvester({ flushIntervalMs: 0, ...options, clock });
  const from = QUERIER;
  if (full) {
    const infohash = new Uint8Array(20);
    for (let { tracked, cap } = harvester.stats().dedup; tracked < cap; tracked++) {
      crypto.getRandomValues(infohash);
      getPeers(getPeersQuery(infohash), from);
    }
    await harvester.flush();
  }
  const chunks: number[] = [];
  const start = process.cpuUsage();
  let chunkStart = start;
  for (let i = 0; i < prepared.length; i++) {
    const s = prepared[i]!;
    clock.advance(1);
    if (s.kind === 'get_peers') getPeers(s.query, from);
    else announce(s.event);
    if ((i + 1) % TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (chunk > 0 && (i + 1) % chunk === 0) {
      const now = process.cpuUsage();
      chunks.push((now.user + now.system - chunkStart.user - chunkStart.system) / 1e6);
      chunkStart = now;
    }
  }
  await harvester.flush();
  const used = process.cpuUsage(start);
  await harvester.stop();
  return { cpuSeconds: (used.user + used.system) / 1e6, chunks, harvester };
}
