/**
 * The peer operations of the public face (BEP 5, BEP 32): finding peers for
 * an infohash in each family's DHT (ours first: peers announced to us), as a
 * list or a stream, and announcing ourselves in each DHT.
 */
import type { Peer } from '../../krpc/compact.ts';
import { decodeCompactPeers, encodeCompactAddress } from '../../krpc/compact.ts';
import type { Emitter } from '../emitter.ts';
import type { AnnounceOptionsInput, DHTEvents, GetPeersOptions } from '../events.ts';
import { announceLookup } from '../lookups/announce.ts';
import { getPeersLookup } from '../lookups/get-peers.ts';
import type { ResolvedOptions } from '../options.ts';
import { maxValuesFor } from '../peer-store.ts';
import { anySignal } from '../signals.ts';
import type { Running } from './running.ts';

/** `getPeers`: the peers of `target` found until the lookup ends, `limit` were found, or `signal` aborts. */
export async function findPeers(parts: Running, o: ResolvedOptions, emitter: Emitter<DHTEvents>, target: Uint8Array, options: GetPeersOptions): Promise<Peer[]> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 1)) throw new RangeError(`getPeers: limit must be at least 1, got ${String(options.limit)}`);
  const found: Peer[] = [];
  await lookupPeers(parts, o, emitter, target, options.signal, limit, (peer) => found.push(peer));
  return found;
}

/** Report each distinct peer of `target` once, up to `limit`: those announced to us, then those each family's lookup finds. */
export async function lookupPeers(
  parts: Running,
  o: ResolvedOptions,
  emitter: Emitter<DHTEvents>,
  target: Uint8Array,
  signal: AbortSignal | undefined,
  limit: number,
  onPeer: (peer: Peer) => void,
): Promise<void> {
  const seen = new Set<string>();
  let count = 0;
  const report = (peer: Peer): void => {
    const key = `${peer.host}|${peer.port}`;
    if (seen.has(key)) return;
    seen.add(key);
    count++;
    onPeer(peer);
    if (emitter.has('peer')) emitter.emit('peer', { infohash: target.slice(), peer });
  };
  // Peers announced to us: the lookup never asks ourselves.
  for (const stack of parts.stacks) {
    for (const peer of decodeCompactPeers(stack.peers.get(target, maxValuesFor(stack.family === 4 ? 6 : 18), o.clock.now()))) {
      report(peer);
      if (count >= limit) return;
    }
  }
  if (signal?.aborted) return;
  // BEP 32: a dual-stack node looks up each DHT, in parallel; the first to reach `limit` ends both.
  const enough = new AbortController();
  const both = anySignal([signal, enough.signal]);
  await Promise.all(
    parts.traversals.all().map((run) =>
      getPeersLookup(run, target, {
        limit: Number.isFinite(limit) ? limit : Number.POSITIVE_INFINITY,
        maxPeers: o.maxPeersPerLookup,
        ...(both ? { signal: both } : {}),
        onPeer: (peer) => {
          if (count < limit) report(peer);
          if (count >= limit) enough.abort();
        },
      }),
    ),
  );
}

/** A lookup's peers as an async stream; breaking out of the loop aborts the lookup. */
export async function* peerStream(
  lookup: (signal: AbortSignal | undefined, onPeer: (peer: Peer) => void) => Promise<void>,
  signal: AbortSignal | undefined,
): AsyncGenerator<Peer, void, undefined> {
  const controller = new AbortController();
  const queue: Peer[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const running = lookup(anySignal([signal, controller.signal]), (peer) => {
    queue.push(peer);
    wake?.();
  }).finally(() => {
    done = true;
    wake?.();
  });
  running.catch(() => undefined); // a consumer that breaks early never awaits it
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (done) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    await running;
  } finally {
    controller.abort();
  }
}

/** `announcePeer`'s second argument: a port, or `{ port?, impliedPort? }`, checked. */
export function announceOptions(portOrOptions: number | AnnounceOptionsInput | undefined): AnnounceOptionsInput {
  const options: AnnounceOptionsInput = typeof portOrOptions === 'number' ? { port: portOrOptions } : (portOrOptions ?? {});
  if (typeof options !== 'object' || options === null) throw new TypeError('announcePeer: expected a port number or { port?, impliedPort? }');
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) {
    throw new RangeError(`announcePeer: port must be an integer from 1 to 65535, got ${String(options.port)}`);
  }
  return options;
}

/** Announce in each family's DHT (BEP 32: an announce over a family advertises that family's address); how many nodes accepted. */
export async function announce(parts: Running, o: ResolvedOptions, target: Uint8Array, options: AnnounceOptionsInput): Promise<number> {
  const impliedPort = options.impliedPort ?? options.port === undefined;
  const accepted = await Promise.all(
    parts.stacks.map(async (stack) => {
      const port = options.port ?? stack.local.port;
      // Our own store answers get_peers too, when we are among the nearest nodes.
      const self = encodeCompactAddress(stack.local.host, impliedPort ? stack.local.port : port);
      if (self && !isUnspecified(stack.local.host)) stack.peers.add(target, self, o.clock.now());
      const result = await announceLookup(
        parts.traversals.runOn(stack.family),
        (to, args, nodeId) => stack.transactions.query(to, 'announce_peer', args, nodeId ? { nodeId } : {}),
        target,
        { port, impliedPort, maxPeers: o.maxPeersPerLookup },
      );
      return result.accepted;
    }),
  );
  return accepted.reduce((a, b) => a + b, 0);
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '::0';
}
