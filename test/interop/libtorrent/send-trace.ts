/**
 * What our node sends each remote IP, measured at the socket: the evidence for
 * libtorrent's DoS blocker (kademlia/dos_blocker.cpp). That blocker counts the
 * datagrams from one source IP from the first one on; when the count reaches 50
 * it checks whether 10 s have passed since the window opened: if not, the IP
 * is dropped for 5 minutes, else the count and the window start over.
 *
 * The wrapper replays that rule per destination IP on our send times
 * (`wouldBan`: when the blocker would have banned us, if ever) and keeps the
 * largest count in any 10 s. With `detail`, each datagram is decoded to count
 * it by kind ('q:<method>', 'r', 'e') and by the id we sent it under.
 */
import bencode from 'bencode';
import type { Endpoint } from '../../../src/ground/address.ts';
import type { Transport } from '../../../src/transport/types.ts';

const WINDOW_MS = 10_000;
const LIMIT = 50;

export interface DestinationTrace {
  host: string;
  sent: number;
  /** Most datagrams sent within any 10 s. */
  max10s: number;
  /** ms since the trace began when libtorrent's blocker would have banned us (null: never). */
  wouldBanAt: number | null;
  byKind?: Record<string, number>;
  /** Datagrams per id we sent under (first 8 hex digits). */
  byId?: Record<string, number>;
}

interface Counter {
  times: number[];
  blockerCount: number;
  blockerLimit: number;
  wouldBanAt: number | null;
  byKind: Record<string, number>;
  byId: Record<string, number>;
}

export interface SendTrace {
  transport: Transport;
  /** Per destination IP, most datagrams first. */
  report(): DestinationTrace[];
}

export function traceSends(inner: Transport, detail: boolean): SendTrace {
  const started = Date.now();
  const counters = new Map<string, Counter>();
  const transport: Transport = {
    listen: (onDatagram) => inner.listen(onDatagram),
    send(data: Uint8Array, to: Endpoint) {
      let c = counters.get(to.host);
      const now = Date.now();
      if (c === undefined) {
        c = { times: [], blockerCount: 0, blockerLimit: 0, wouldBanAt: null, byKind: {}, byId: {} };
        counters.set(to.host, c);
      }
      c.times.push(now - started);
      // dos_blocker::incoming, replayed on our send times.
      if (c.blockerCount === 0 && c.blockerLimit === 0) {
        c.blockerCount = 1;
        c.blockerLimit = now + WINDOW_MS;
      } else if (++c.blockerCount >= LIMIT) {
        if (now < c.blockerLimit) {
          if (c.blockerCount === LIMIT && c.wouldBanAt === null) c.wouldBanAt = now - started;
        } else {
          c.blockerCount = 0;
          c.blockerLimit = now + WINDOW_MS;
        }
      }
      if (detail) count(c, data);
      inner.send(data, to);
    },
    get local() {
      return inner.local;
    },
    close: () => inner.close(),
  };
  return {
    transport,
    report: () =>
      [...counters.entries()]
        .map(([host, c]) => {
          let max = 0;
          for (let i = 0, j = 0; j < c.times.length; j++) {
            while (c.times[j]! - c.times[i]! >= WINDOW_MS) i++;
            max = Math.max(max, j - i + 1);
          }
          return { host, sent: c.times.length, max10s: max, wouldBanAt: c.wouldBanAt, ...(detail ? { byKind: c.byKind, byId: c.byId } : {}) };
        })
        .sort((a, b) => b.sent - a.sent),
  };
}

function count(c: Counter, data: Uint8Array): void {
  let message: unknown;
  try {
    message = bencode.decode(data);
  } catch {
    return;
  }
  if (typeof message !== 'object' || message === null) return;
  const m = message as Record<string, unknown>;
  const y = m['y'] instanceof Uint8Array ? Buffer.from(m['y']).toString('latin1') : '?';
  const q = m['q'] instanceof Uint8Array ? Buffer.from(m['q']).toString('latin1') : '';
  const kind = y === 'q' ? `q:${q}` : y;
  c.byKind[kind] = (c.byKind[kind] ?? 0) + 1;
  const body = (y === 'q' ? m['a'] : m['r']) as Record<string, unknown> | undefined;
  const id = body?.['id'];
  if (id instanceof Uint8Array) {
    const key = Buffer.from(id).toString('hex').slice(0, 8);
    c.byId[key] = (c.byId[key] ?? 0) + 1;
  }
}
