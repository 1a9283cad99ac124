/**
 * The crawl mode end to end on loopback: 110 DHT nodes on real UDP sockets
 * (127.0.0.2 ...), webtorrent seeding 50 torrents made with create-torrent
 * (real clients written by others, on five of the nodes' addresses), each
 * torrent announced into the DHT by the node on its seeder's address with the
 * seeder's TCP port. A crawler started afterwards must find ≥ 95% of the
 * infohashes (sample walks: the announces happened before it existed) and
 * fetch and verify ≥ 90% of the torrents in bounded time; its SQLite database
 * then holds exactly those rows, with the names and sizes webtorrent parsed,
 * and each .torrent file hashes to its infohash.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { DHT } from '../../src/dht/dht.ts';
import { Crawler } from '../../src/crawl/crawler.ts';
import { endpointOf, nodeHost, startLoopbackNodes } from '../../src/crawl/demo/swarm.ts';
import { openSqliteStore, type CrawlStore } from '../../src/crawl/store/index.ts';
import { TorrentFileWriter } from '../../src/crawl/store/torrent-files.ts';
import { startSeeders, type Seeders, type SeededTorrent } from './helpers/seeders.ts';

const NODES = 110;
const TORRENTS = 50;
/** Seeders sit on these nodes' addresses (nodeHost(i)), so an announce from the node names the seeder. */
const SEEDER_NODES = [10, 30, 50, 70, 90];
const CRAWL_DEADLINE_MS = 60_000;

/** webtorrent's file paths start with the torrent name for multi-file torrents; ours are relative to it. */
function expectedPaths(t: SeededTorrent): string[] {
  if (t.files.length === 1 && t.files[0]!.path === t.name) return [t.name];
  return t.files.map((f) => f.path.slice(t.name.length + 1)).sort();
}

let seeders: Seeders;

beforeAll(async () => {
  seeders = await startSeeders({ torrents: TORRENTS, hosts: SEEDER_NODES.map(nodeHost), timeoutMs: 90_000 });
}, 120_000);

afterAll(async () => {
  await seeders?.stop();
});

describe.each(backends)(`crawl of a loopback network: ${NODES} DHT nodes, ${TORRENTS} torrents seeded by webtorrent (%s core)`, (backend) => {
  let nodes: DHT[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'btdht-crawl-e2e-'));
    const core = await loadCore(backend);
    nodes = await startLoopbackNodes({ count: NODES, core });
    // Announce each torrent from the node on its seeder's address, one at a time per node.
    const byHost = new Map(nodes.map((dht) => [dht.address().host, dht]));
    await Promise.all(
      SEEDER_NODES.map(async (index) => {
        const announcer = nodes[index]!;
        for (const torrent of seeders.torrents.filter((t) => t.peer.host === nodeHost(index))) {
          expect(byHost.get(torrent.peer.host)).toBe(announcer);
          expect(await announcer.announcePeer(torrent.infohash, torrent.peer.port)).toBeGreaterThan(0);
        }
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(nodes.map((dht) => dht.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds ≥ 95% of the infohashes, fetches and verifies ≥ 90%, and stores exactly those rows', async () => {
    const seeded = new Map(seeders.torrents.map((t) => [t.infohash, t]));
    const path = join(dir, 'crawl.sqlite');
    const torrentsDir = join(dir, 'torrents');
    const store: CrawlStore = await openSqliteStore({ path });
    const crawlerNode = new DHT({ host: '127.0.0.250', port: 0, backend, bootstrap: [0, 55, 109].map((i) => endpointOf(nodes[i]!)) });
    const crawler = new Crawler(crawlerNode, {
      store,
      torrentsDir,
      walkIntervalMs: 2_000,
      retryDelayMs: 1_000,
      maxRetryDelayMs: 4_000,
      lookupTimeoutMs: 5_000,
      fetcher: { connectTimeoutMs: 2_000, peerTimeoutMs: 10_000, totalTimeoutMs: 20_000 },
    });
    const fetchedBy = new Map<string, string>();
    let stats;
    const began = performance.now();
    try {
      await crawlerNode.start();
      await crawler.start();
      const deadline = Date.now() + CRAWL_DEADLINE_MS;
      while (Date.now() < deadline && crawler.stats().metadata.fetched < TORRENTS) await new Promise((resolve) => setTimeout(resolve, 200));
      await crawler.stop();
      stats = crawler.stats();
    } finally {
      await crawler.stop();
      await crawlerNode.stop();
      await store.close();
    }
    const seconds = (performance.now() - began) / 1000;

    // What the database holds, read back in full.
    const db = new Database(path, { readonly: true });
    const infohashRows = db.prepare('SELECT infohash FROM infohashes').all() as Array<{ infohash: string }>;
    const torrentRows = db.prepare('SELECT infohash, name, size, files, peer FROM torrents').all() as Array<{ infohash: string; name: string; size: number; files: string; peer: string }>;
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    // No extra rows: every row is one of the seeded torrents, each once.
    expect(infohashRows.every((r) => seeded.has(r.infohash))).toBe(true);
    expect(torrentRows.every((r) => seeded.has(r.infohash))).toBe(true);
    expect(new Set(torrentRows.map((r) => r.infohash)).size).toBe(torrentRows.length);
    const found = infohashRows.length;
    expect(found).toBeGreaterThanOrEqual(Math.ceil(TORRENTS * 0.95));
    expect(stats.infohashes.unique.sample + stats.infohashes.unique.get_peers + stats.infohashes.unique.announce_peer).toBe(found);

    // Every stored torrent is the seeded one: name, size and files as webtorrent parsed them, served by its seeder.
    let verified = 0;
    for (const row of torrentRows) {
      const t = seeded.get(row.infohash)!;
      expect(row.name).toBe(t.name);
      expect(row.size).toBe(t.length);
      expect((JSON.parse(row.files) as Array<{ path: string }>).map((f) => f.path).sort()).toEqual(expectedPaths(t));
      expect(row.peer).toBe(`${t.peer.host}:${t.peer.port}`);
      fetchedBy.set(row.infohash, row.peer);
      verified++;
    }
    expect(verified).toBe(stats.metadata.fetched);
    expect(verified).toBeGreaterThanOrEqual(Math.ceil(TORRENTS * 0.9));
    expect(stats.store.itemsDropped + stats.store.shedBatches + stats.store.errors).toBe(0);

    // Each .torrent file holds the info dictionary that hashes to its infohash.
    const files = new TorrentFileWriter(torrentsDir);
    for (const infohash of fetchedBy.keys()) {
      const bytes = readFileSync(files.pathFor(infohash));
      const info = bytes.subarray('d4:info'.length, bytes.length - 1);
      expect(createHash('sha1').update(info).digest('hex')).toBe(infohash);
    }
    expect(stats.torrentFiles).toEqual({ written: verified, failed: 0 });
    console.info(
      `crawl e2e (${backend}): found ${found}/${TORRENTS} (${((100 * found) / TORRENTS).toFixed(0)}%), ` +
        `fetched and verified ${verified}/${TORRENTS} (${((100 * verified) / TORRENTS).toFixed(0)}%) in ${seconds.toFixed(1)} s; ` +
        `${stats.metadata.lookups} lookups, ${stats.metadata.retries} retries`,
    );
  }, CRAWL_DEADLINE_MS + 30_000);
});
