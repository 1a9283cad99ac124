/** A node measured by a metrics server on loopback, and a client node to send it known traffic. */
import { createSocket, type Socket } from 'node:dgram';
import bencode from 'bencode';
import type { Backend } from '../../src/core/types.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { Emitter } from '../../src/dht/emitter.ts';
import type { CrawlerEvents } from '../../src/crawl/crawler.ts';
import type { CrawlerStats } from '../../src/crawl/crawler-stats.ts';
import { MetricsHub } from '../../src/web/metrics/hub.ts';
import { MetricsServer } from '../../src/web/metrics-server.ts';
import { parseExposition, type Exposition } from '../helpers/prometheus.ts';

export interface Measured {
  dht: DHT;
  hub: MetricsHub;
  server: MetricsServer;
  /** GET /metrics, parsed strictly. */
  scrape(): Promise<Exposition>;
  close(): Promise<void>;
}

/** A standalone node on `host` (no bootstrap, no upkeep: it sends only what it answers or is asked to). */
export function quietNode(host: string, backend: Backend, options: DHTOptions = {}): DHT {
  return new DHT({ host, port: 0, ipv6: false, bootstrap: [], maintenance: false, backend, timeoutMs: 1_000, ...options });
}

export async function measuredNode(host: string, backend: Backend, options: DHTOptions = {}): Promise<Measured> {
  const dht = quietNode(host, backend, options);
  const hub = new MetricsHub().addNode(dht);
  const server = await MetricsServer.start({ host: '127.0.0.1', port: 0 }, { hub, title: 'btdht test', intervalMs: 200 });
  await dht.start();
  return {
    dht,
    hub,
    server,
    scrape: async () => {
      const response = await fetch(`${server.url}/metrics`);
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
      if (!response.headers.get('content-type')?.startsWith('text/plain; version=0.0.4')) throw new Error(`/metrics content-type ${response.headers.get('content-type')}`);
      return parseExposition(await response.text());
    },
    close: async () => {
      await server.close();
      hub.close();
      await dht.stop();
    },
  };
}

/** Send `count` datagrams that are not KRPC (no transaction id: nothing to answer) from `host` to `to`; resolves with the bytes sent. */
export async function sendJunk(host: string, to: { host: string; port: number }, count: number): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  let bytes = 0;
  try {
    for (let i = 0; i < count; i++) {
      const datagram = Buffer.from(`not bencode ${i}`);
      bytes += datagram.length;
      await new Promise<void>((resolve, reject) => socket.send(datagram, to.port, to.host, (error) => (error ? reject(error) : resolve())));
    }
  } finally {
    socket.close();
  }
  return bytes;
}

/** Wait until `check` holds (polled), at most `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function endpointOf(dht: DHT): string {
  const { host, port } = dht.address();
  return `${host}:${port}`;
}

/**
 * A bare KRPC client on a UDP socket: exactly the queries a test sends, and
 * nothing else (no table upkeep, no answers to the node's own pings).
 */
export class RawClient {
  readonly #socket: Socket;
  readonly #waiting = new Map<string, (reply: Record<string, unknown>) => void>();
  #tid = 0;
  readonly id = new Uint8Array(20).fill(0x42);
  /** UDP payload bytes sent and received (every datagram, answers or not). */
  bytesSent = 0;
  bytesReceived = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      this.bytesReceived += data.length;
      try {
        const reply = bencode.decode(data) as Record<string, unknown>;
        const t = Buffer.from(reply['t'] as Uint8Array).toString('hex');
        this.#waiting.get(t)?.(reply);
        this.#waiting.delete(t);
      } catch {
        // not for us to judge here
      }
    });
  }

  static async open(host: string): Promise<RawClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    return new RawClient(socket);
  }

  /** Send one query; resolves with the answer (response or error), or undefined after `ms`. */
  query(to: { host: string; port: number }, method: string, args: Record<string, unknown> = {}, ms = 2_000): Promise<Record<string, unknown> | undefined> {
    const t = Buffer.from([this.#tid >> 8, this.#tid++ & 0xff]);
    const datagram = bencode.encode({ t, y: 'q', q: method, a: { id: this.id, ...args } });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(t.toString('hex'));
        resolve(undefined);
      }, ms);
      this.#waiting.set(t.toString('hex'), (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.bytesSent += datagram.length;
      this.#socket.send(datagram, to.port, to.host);
    });
  }

  close(): void {
    this.#socket.close();
  }
}

/** A crawler's numbers, fixed, and its events sent by the test (the crawl metrics without a crawl). */
export function fakeCrawler(stats: CrawlerStats): { source: { stats: () => CrawlerStats; on: Emitter<CrawlerEvents>['on'] }; events: Emitter<CrawlerEvents> } {
  const events = new Emitter<CrawlerEvents>();
  return { source: { stats: () => stats, on: (event, listener) => events.on(event, listener) }, events };
}

export const CRAWL_STATS: CrawlerStats = {
  uptimeMs: 1_000,
  infohashes: { seen: { get_peers: 7, announce_peer: 3, sample: 11 }, unique: { get_peers: 5, announce_peer: 2, sample: 9 }, perSecond: { get_peers: 0, announce_peer: 0, sample: 0 }, uniquePerSecond: 0, tracked: 16, walks: 2 },
  metadata: {
    enabled: true,
    queued: 4,
    retryWaiting: 1,
    inFlight: 2,
    fetched: 6,
    failed: 1,
    failures: { 'no-peers': 2, 'peers-failed': 1, timeout: 0, 'invalid-info': 0, overloaded: 0, aborted: 0 },
    peerFailures: {},
    penalized: 0,
    retries: 2,
    alreadyFetched: 1,
    dropped: 0,
    speculative: 0,
    woken: 0,
    joined: 0,
    fromStore: 0,
    lookups: 3,
    lookupPeers: 9,
    holderAsks: 0,
    holderPeers: 0,
    perMinute: { fetched: 0, failed: 0 },
  },
  connections: { open: 3, connecting: 1 },
  store: { itemsWritten: 30, batches: 4, pending: 5, itemsDropped: 0, shedBatches: 0, errors: 0 },
  torrentFiles: { written: 0, failed: 0 },
};
