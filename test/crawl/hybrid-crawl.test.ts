/**
 * A hybrid torrent (BEP 52: v1 + v2) announced into a loopback DHT under both
 * of its infohashes, its SHA-1 and its truncated SHA-256, is crawled once:
 * one row known by both hashes, one .torrent file, and the index finds it by
 * its name and serves it by either hash.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.ts';
import { Crawler } from '../../src/crawl/crawler.ts';
import { startCrawlSwarm, type CrawlSwarm } from '../../src/crawl/demo/swarm.ts';
import { DHT } from '../../src/dht/dht.ts';
import { openSqliteStore } from '../../src/crawl/store/index.ts';
import { openSqliteReader } from '../../src/web/index/sqlite-reader.ts';
import { wordSearch } from '../../src/web/index/query.ts';
import { backends } from '../helpers/backends.ts';
import { hybrid } from './helpers/info-fixtures.ts';

const backend = backends[0] ?? 'wasm';

describe('a hybrid torrent crawled under both of its infohashes', () => {
  let swarm: CrawlSwarm;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'btdht-hybrid-'));
    swarm = await startCrawlSwarm({ nodes: 20, torrents: 1, core: await loadCore(backend) });
  }, 60_000);
  afterAll(async () => {
    await swarm?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is stored once: one row found by either hash, one .torrent file, searchable', async () => {
    const torrent = hybrid('Hybrid Crawl Specimen');
    const v2 = createHash('sha256').update(torrent.info).digest('hex');
    const v2Key = v2.slice(0, 40);
    const seeder = swarm.seeders[0]!;
    const announcer = swarm.nodes.find((n) => n.address().host === seeder.host)!;
    seeder.add({ infohash: torrent.infohash, info: torrent.info });
    seeder.add({ infohash: v2Key, info: torrent.info });
    expect(await announcer.announcePeer(torrent.infohash, seeder.port)).toBeGreaterThan(0);
    expect(await announcer.announcePeer(v2Key, seeder.port)).toBeGreaterThan(0);

    const path = join(dir, 'crawl.sqlite');
    const torrentsDir = join(dir, 'torrents');
    const store = await openSqliteStore({ path });
    const node = new DHT({ host: '127.0.0.240', port: 0, backend, bootstrap: swarm.bootstrap });
    const crawler = new Crawler(node, { store, torrentsDir, walkIntervalMs: 1_000, retryDelayMs: 500, lookupTimeoutMs: 5_000 });
    try {
      await node.start();
      await crawler.start();
      // The demo torrent and both hashes of the hybrid: settled when fetched or found already stored.
      const deadline = Date.now() + 40_000;
      const settled = (): number => crawler.stats().metadata.fetched + crawler.stats().metadata.alreadyFetched;
      while (Date.now() < deadline && !((await store.isFetched(torrent.infohash)) && (await store.isFetched(v2Key)) && settled() >= 2)) {
        await new Promise((r) => setTimeout(r, 200));
      }
      await crawler.stop();
      const byV1 = await store.getTorrent(torrent.infohash);
      expect(byV1).toMatchObject({ infohash: torrent.infohash, infohashV2: v2, name: 'Hybrid Crawl Specimen', size: 70_010 });
      expect(await store.getTorrent(v2Key)).toEqual(byV1);
      expect(await store.getTorrent(v2)).toEqual(byV1);
      expect(await store.isFetched(v2Key)).toBe(true);
      expect((await store.counts()).torrents).toBe(2); // the demo's torrent and the hybrid, once
      // One .torrent file for the hybrid, under its v1 hash.
      const files = readdirSync(torrentsDir, { recursive: true }).map(String).filter((f) => f.endsWith('.torrent'));
      expect(files.filter((f) => f.includes(torrent.infohash))).toHaveLength(1);
      expect(files.filter((f) => f.includes(v2Key))).toHaveLength(0);
      expect(files).toHaveLength(2);
    } finally {
      await crawler.stop();
      await node.stop();
      await store.close();
    }
    const reader = await openSqliteReader(path);
    try {
      const found = await reader.search(wordSearch('specimen'));
      expect(found.torrents.map((t) => [t.infohash, t.infohashV2])).toEqual([[torrent.infohash, v2]]);
      expect((await reader.torrent(v2))?.infohash).toBe(torrent.infohash);
    } finally {
      await reader.close();
    }
  }, 90_000);
});
