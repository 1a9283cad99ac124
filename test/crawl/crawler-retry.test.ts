/**
 * The crawler's fetch loop on a loopback swarm: an infohash whose only
 * announced peer is dead fails, and its retry — after a backoff, from a fresh
 * get_peers — reaches the seeder announced meanwhile; an infohash nobody
 * serves is tried maxAttempts times with growing waits, then given up, and
 * the store says so. With a queue of 2 and one fetch at a time, what the full
 * queue refused is taken back from the store and fetched all the same.
 */
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { DHT } from '../../src/dht/dht.ts';
import { Crawler } from '../../src/crawl/crawler.ts';
import { makeDemoTorrent } from '../../src/crawl/demo/torrent-maker.ts';
import { MetadataSeeder } from '../../src/crawl/demo/seeder.ts';
import { nodeHost, startCrawlSwarm, type CrawlSwarm } from '../../src/crawl/demo/swarm.ts';
import { openSqliteStore } from '../../src/crawl/store/index.ts';
import type { FetchFailure } from '../../src/crawl/metadata/types.ts';
import type { FetchedTorrent } from '../../src/crawl/metadata/types.ts';

const RETRY_MS = 400;

/** A TCP port on `host` that nothing listens on (bound, then released). */
async function deadPort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe.each(backends)('Crawler retries and bounds on a loopback swarm (%s core)', (backend) => {
  let swarm: CrawlSwarm;
  let late: MetadataSeeder | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'btdht-crawl-retry-'));
    swarm = await startCrawlSwarm({ nodes: 20, torrents: 6, core: await loadCore(backend), seederDelayMs: 50 });
  }, 60_000);

  afterAll(async () => {
    await late?.close();
    await swarm?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('retries from a fresh get_peers after a backoff, gives up after maxAttempts, and refills what a full queue refused', async () => {
    const seed = 77;
    const revived = makeDemoTorrent(900, seed); // announced dead at first, then by a live seeder
    const orphan = makeDemoTorrent(901, seed); // nobody ever serves it
    expect(await swarm.nodes[5]!.announcePeer(revived.infohash, await deadPort(nodeHost(5)))).toBeGreaterThan(0);
    expect(await swarm.nodes[6]!.announcePeer(orphan.infohash, await deadPort(nodeHost(6)))).toBeGreaterThan(0);

    const failures: Array<{ infohash: string; reason: FetchFailure; retry: boolean; at: number }> = [];
    const fetched: FetchedTorrent[] = [];
    let revive: Promise<void> | undefined;
    const store = await openSqliteStore({ path: join(dir, 'crawl.sqlite') });
    const node = new DHT({ host: '127.0.0.246', port: 0, backend, bootstrap: swarm.bootstrap });
    const crawler = new Crawler(node, {
      store,
      queueCap: 2,
      concurrency: 1,
      maxAttempts: 3,
      retryDelayMs: RETRY_MS,
      maxRetryDelayMs: 4 * RETRY_MS,
      refillIntervalMs: 300,
      batchDelayMs: 100,
      walkIntervalMs: 500,
      lookupTimeoutMs: 3_000,
      fetcher: { connectTimeoutMs: 1_000, peerTimeoutMs: 3_000, totalTimeoutMs: 8_000 },
      onTorrent: (torrent) => fetched.push(torrent),
      onFailure: (infohash, reason, retry) => {
        failures.push({ infohash, reason, retry, at: performance.now() });
        if (infohash === revived.infohash && revive === undefined) {
          // Its seeder comes up now, announced by another node: only a fresh lookup finds it.
          revive = (async () => {
            late = await MetadataSeeder.start({ host: nodeHost(8), torrents: [revived] });
            await swarm.nodes[8]!.announcePeer(revived.infohash, late.port);
          })();
        }
      },
    });
    let mostInFlight = 0;
    try {
      await node.start();
      await crawler.start();
      const deadline = Date.now() + 60_000;
      const given = (): number => failures.filter((f) => f.infohash === orphan.infohash).length;
      while (Date.now() < deadline && (fetched.length < 7 || given() < 3)) {
        mostInFlight = Math.max(mostInFlight, crawler.stats().metadata.inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await crawler.stop();
    } finally {
      await crawler.stop();
      await node.stop();
    }
    const stats = crawler.stats();
    try {
      // All the swarm's torrents and the revived one, each once; the orphan given up.
      expect(new Set(fetched.map((t) => t.infohash))).toEqual(new Set([...swarm.torrents.map((t) => t.infohash), revived.infohash]));
      expect(fetched).toHaveLength(7);
      expect(stats.metadata.fetched).toBe(7);
      expect(stats.metadata.failed).toBe(1);

      // The revived one: one failure (its dead peer), then the live seeder, reached through a new lookup.
      const revivedFailures = failures.filter((f) => f.infohash === revived.infohash);
      expect(revivedFailures.map((f) => [f.reason, f.retry])).toEqual([['peers-failed', true]]);
      expect(fetched.find((t) => t.infohash === revived.infohash)!.peer).toEqual({ host: nodeHost(8), port: late!.port });
      expect(late!.handshakes(revived.infohash)).toBeGreaterThanOrEqual(1);

      // The orphan: three attempts, waits growing (base, then twice the base, ±20%), then given up.
      const orphanFailures = failures.filter((f) => f.infohash === orphan.infohash);
      expect(orphanFailures.map((f) => f.retry)).toEqual([true, true, false]);
      expect(orphanFailures[1]!.at - orphanFailures[0]!.at).toBeGreaterThanOrEqual(0.8 * RETRY_MS - 20);
      expect(orphanFailures[2]!.at - orphanFailures[1]!.at).toBeGreaterThanOrEqual(0.8 * 2 * RETRY_MS - 20);
      expect(stats.metadata.retries).toBe(3);

      // Bounds: one fetch at a time; what the queue of 2 refused came back from the store.
      expect(mostInFlight).toBe(1);
      expect(stats.metadata.dropped).toBeGreaterThan(0);
      expect(stats.metadata.fromStore).toBeGreaterThan(0);

      // The store: failures counted on the rows, the orphan unfetched and not offered again.
      const orphanRow = (await store.getInfohash(orphan.infohash))!;
      expect([orphanRow.fetchAttempts, orphanRow.lastFailure, orphanRow.fetchedAt]).toEqual([3, 'peers-failed', null]);
      const revivedRow = (await store.getInfohash(revived.infohash))!;
      expect(revivedRow.fetchAttempts).toBe(1);
      expect(revivedRow.fetchedAt).not.toBeNull();
      expect(await store.listUnfetched({ limit: 10, maxAttempts: 3 })).toEqual([]);
      expect((await store.counts()).torrents).toBe(7);
    } finally {
      await store.close();
    }
  }, 90_000);
});
