/**
 * The crawl benchmark's world at small scale (bench/crawl/world.ts, which
 * `npm run bench:crawl` runs at 2,000 nodes and 500 torrents): 200 btdht
 * nodes on real UDP, 40 torrents — honest ones, mixed ones (an honest seeder
 * beside a hostile one), and ones whose only seeders never answer, refuse
 * ut_metadata or send wrong metadata — all announced before the crawler
 * exists. A crawler (the public Crawler API on a 16-id node) must fetch and
 * store every torrent with an honest seeder, with the seeded name and size,
 * and, after trying every torrent whose seeders are all hostile, store none
 * of them. Waits on conditions with a deadline, never a fixed sleep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { DHT } from '../../src/dht/dht.ts';
import { Crawler } from '../../src/crawl/crawler.ts';
import { openSqliteStore, type CrawlStore } from '../../src/crawl/store/index.ts';
import { fetchable, startCrawlWorld, type CrawlWorld } from '../../bench/crawl/world.ts';
import { waitUntil } from './helpers/cli-child.ts';

const backend = backends[0] ?? 'wasm';
const NODES = 200;
const TORRENTS = 40;
const DEADLINE_MS = 60_000;

describe(`crawl world, small (${NODES} nodes, ${TORRENTS} torrents with hostile seeders, ${backend} core)`, () => {
  let world: CrawlWorld;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'btdht-crawl-world-'));
    world = await startCrawlWorld({ nodes: NODES, torrents: TORRENTS, core: await loadCore(backend), net: 64, seed: Date.now() % 1_000_000_007 });
  }, 90_000);

  afterAll(async () => {
    await world?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every torrent with an honest seeder and none whose seeders are all hostile', async () => {
    const kinds = new Set(world.torrents.map((t) => t.kind));
    expect([...kinds].sort()).toEqual(['honest', 'lying', 'mixed', 'refusing', 'silent']);
    const reachable = world.torrents.filter((t) => fetchable(t.kind));
    const hostileOnly = world.torrents.filter((t) => !fetchable(t.kind));

    const dht = new DHT({ host: '127.64.200.1', port: 0, bootstrap: world.bootstrap, ids: 16, backend });
    let store: CrawlStore | undefined;
    let crawler: Crawler | undefined;
    try {
      await dht.start();
      store = await openSqliteStore({ path: join(dir, 'crawl.sqlite') });
      const s = store;
      // Short peer timeouts so a silent seeder's attempt ends within the test; the crawler's logic is unchanged.
      crawler = new Crawler(dht, { store: s, batchDelayMs: 200, fetcher: { connectTimeoutMs: 2_000, peerTimeoutMs: 3_000, totalTimeoutMs: 10_000 } });
      await crawler.start();
      // Done when every reachable torrent is stored and every hostile-only one had an attempt recorded.
      await waitUntil(
        async () => {
          for (const t of reachable) if (!(await s.isFetched(t.infohash))) return false;
          for (const t of hostileOnly) if (((await s.getInfohash(t.infohash))?.fetchAttempts ?? 0) < 1) return false;
          return true;
        },
        DEADLINE_MS,
        'every honest torrent stored and every hostile-only one tried',
      );
      const { holderAsks, holderPeers } = crawler.stats().metadata;
      await crawler.stop();
      crawler = undefined;
      // Every infohash came from a BEP 51 sample: its peers were asked of the sampling node first
      // (one get_peers, no lookup); most answers give them (a lost datagram falls back to a lookup).
      expect(holderAsks).toBeGreaterThanOrEqual(reachable.length);
      expect(holderPeers).toBeGreaterThanOrEqual(reachable.length / 2);

      for (const t of reachable) {
        const row = await s.getTorrent(t.infohash);
        expect(row, `${t.kind} ${t.name}`).toMatchObject({ name: t.name, size: t.size });
      }
      for (const t of hostileOnly) expect(await s.isFetched(t.infohash), `${t.kind} ${t.name}`).toBe(false);
      expect((await s.counts()).torrents).toBe(reachable.length);
      // Every kind of hostile seeder was actually tried.
      const tried = world.hostileConnections();
      expect(tried.silent).toBeGreaterThan(0);
      expect(tried.refusing).toBeGreaterThan(0);
      expect(tried.lying).toBeGreaterThan(0);
    } finally {
      await crawler?.stop();
      await store?.close();
      await dht.stop();
    }
  }, 90_000);
});
