/**
 * The harvest layer: a crawler node among 200 simulated nodes counts
 * infohashes by source (get_peers, announce_peer with the announcer as a known
 * peer, sampleWalk), dedups them, and its batches land in a SQLite store; the
 * seen-set keeps its cap and remembers evicted infohashes in a bloom filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { randomId, randomIdInPrefix } from '../../src/util/id.ts';
import { toHex } from '../../src/util/hex.ts';
import type { DHT } from '../../src/dht/dht.ts';
import { Harvester, SeenSet } from '../../src/crawl/harvest/index.ts';
import { openSqliteStore } from '../../src/crawl/store/index.ts';
import type { CrawlBatch } from '../../src/crawl/store/index.ts';
import { buildSwarm } from '../helpers/sim-swarm.ts';
import type { Swarm } from '../helpers/sim-swarm.ts';

const NODES = 200;

describe('SeenSet', () => {
  it('keeps at most cap infohashes, evicting the least recently seen into the bloom filter', () => {
    const seen = new SeenSet<number>({ cap: 100, evictedCapacity: 10_000, falsePositiveRate: 0.01, seeds: [1, 2] });
    const random = seededRandom(3);
    const keys = Array.from({ length: 1_000 }, () => toHex(randomId(random)));
    keys.forEach((key, i) => {
      expect(seen.touch(key, () => i).before).toBe('new');
      if (i === 50) expect(seen.touch(keys[0]!, () => -1).before).toBe('tracked'); // keys[0] becomes recent again
      expect(seen.size).toBeLessThanOrEqual(100);
    });
    expect(seen.size).toBe(100);
    // keys[0] was refreshed at i = 50 but 949 came after: evicted now, still known as seen.
    for (const key of keys.slice(0, 900)) expect(seen.status(key)).toBe('evicted');
    for (const key of keys.slice(900)) expect(seen.status(key)).toBe('tracked');
    expect(seen.peek(keys[999]!)).toBe(999);
    // Re-seeing an evicted one says so, and tracks it again.
    expect(seen.touch(keys[1]!, () => 1).before).toBe('evicted');
    expect(seen.status(keys[1]!)).toBe('tracked');
    const stats = seen.stats();
    expect(stats.evicted).toBe(901);
    expect(stats.tracked).toBe(100);
  });

  it('reports never-seen infohashes as new at about the stated false-positive rate, in bounded memory', () => {
    const seen = new SeenSet<true>({ cap: 1_000, evictedCapacity: 20_000, falsePositiveRate: 0.01, seeds: [7, 11] });
    const random = seededRandom(9);
    for (let i = 0; i < 21_000; i++) seen.touch(toHex(randomId(random)), () => true);
    const stats = seen.stats();
    expect(stats.tracked).toBe(1_000);
    expect(stats.evicted).toBe(20_000);
    // 9.59 bits per key at 1%: about 24 KB for 20,000, fixed however many come.
    expect(stats.bloomBytes).toBeLessThanOrEqual(Math.ceil((20_000 * 9.6) / 8) + 8);
    expect(stats.bloomBytes).toBeGreaterThan(20_000);
    let falsePositives = 0;
    const probes = 20_000;
    for (let i = 0; i < probes; i++) if (seen.status(toHex(randomId(random))) !== 'new') falsePositives++;
    expect(falsePositives / probes).toBeLessThan(0.02);
    expect(stats.bloomFalsePositiveRate).toBeGreaterThan(0.005);
    expect(stats.bloomFalsePositiveRate).toBeLessThan(0.015);
    // Memory does not grow with more keys.
    for (let i = 0; i < 5_000; i++) seen.touch(toHex(randomId(random)), () => true);
    expect(seen.stats().bloomBytes).toBe(stats.bloomBytes);
    expect(seen.size).toBe(1_000);
  });
});

describe.each(backends)(`Harvester on a simulated network of ${NODES} nodes (%s core)`, (backend) => {
  let swarm: Swarm;
  let crawler: DHT;
  let harvester: Harvester;
  const batches: CrawlBatch[] = [];
  const random = seededRandom(42);
  let near: Uint8Array[] = [];
  let far: Uint8Array[] = [];
  const announcers = new Map<string, { host: string; port: number }[]>();

  beforeAll(async () => {
    const core = await loadCore(backend);
    swarm = await buildSwarm({ core, size: NODES, seed: 8, network: { loss: 0 }, node: { maintenance: false } });
    crawler = swarm.nodes[0]!;
    harvester = new Harvester(crawler, { clock: swarm.net.clock, batchSize: 25, flushIntervalMs: 1_000, walkIntervalMs: 3_600_000, onBatch: (b) => void batches.push(b) });
    harvester.start({ walk: false });
    // Infohashes sharing 16 bits with the crawler's id: it is among their nearest nodes, so lookups reach it.
    near = Array.from({ length: 4 }, () => randomIdInPrefix(crawler.id, 16, random));
    far = Array.from({ length: 4 }, () => randomId(random));
    const others = swarm.nodes.slice(1);
    // get_peers from 10 nodes per near infohash, then announces from 3 (explicit port) and 1 (implied port).
    for (const infohash of near) {
      for (let i = 0; i < 10; i++) await swarm.settle(others[(i * 17) % others.length]!.getPeers(infohash));
      const list: { host: string; port: number }[] = [];
      for (let i = 0; i < 3; i++) {
        const node = others[(i * 31 + 5) % others.length]!;
        await swarm.settle(node.announcePeer(infohash, { port: 40_000 + i }));
        list.push({ host: node.address().host, port: 40_000 + i });
      }
      const implied = others[77]!;
      await swarm.settle(implied.announcePeer(infohash, { impliedPort: true }));
      list.push({ host: implied.address().host, port: implied.address().port });
      announcers.set(toHex(infohash), list);
    }
    // Far infohashes are announced elsewhere: only a sample walk can find them.
    for (const infohash of far) await swarm.settle(others[3]!.announcePeer(infohash, { port: 50_000 }));
  }, 240_000);

  afterAll(async () => {
    await harvester?.stop();
    await swarm?.stop();
  });

  it('counts incoming get_peers and announce_peer separately, per infohash', () => {
    const stats = harvester.stats();
    expect(stats.seen.get_peers).toBeGreaterThanOrEqual(near.length); // each near infohash looked up through the crawler
    expect(stats.unique.get_peers + stats.unique.announce_peer).toBeGreaterThanOrEqual(near.length);
    expect(stats.seen.sample).toBe(0);
    for (const infohash of near) {
      const { status, record } = harvester.lookup(toHex(infohash));
      expect(status).toBe('tracked');
      expect(record!.bySource.get_peers).toBeGreaterThan(0);
      expect(record!.bySource.announce_peer).toBe(4);
      expect(record!.timesSeen).toBe(record!.bySource.get_peers + record!.bySource.announce_peer);
      expect(record!.firstSeen).toBeLessThanOrEqual(record!.lastSeen);
    }
    for (const infohash of far) expect(harvester.lookup(toHex(infohash)).record?.bySource.announce_peer ?? 0).toBe(0);
  });

  it('records each announcer as a known peer, honouring implied_port', () => {
    for (const infohash of near) {
      const peers = harvester.lookup(toHex(infohash)).record!.peers;
      const expected = announcers.get(toHex(infohash))!;
      expect(peers.length).toBe(expected.length);
      for (const peer of expected) expect(peers).toContainEqual(peer);
      expect(peers[0]).toEqual(expected[expected.length - 1]); // newest first: the implied-port announcer
    }
  });

  it('emits batches of store observations matching the sightings', async () => {
    await harvester.flush();
    const observations = batches.flatMap((b) => b.observations ?? []);
    const stats = harvester.stats();
    expect(observations.length).toBe(stats.seen.get_peers + stats.seen.announce_peer + stats.seen.sample);
    expect(batches.every((b) => (b.observations?.length ?? 0) <= 25)).toBe(true);
    const announced = observations.filter((o) => o.source === 'announce_peer');
    expect(announced.length).toBe(stats.seen.announce_peer);
    expect(announced.every((o) => o.peer !== undefined && /^[0-9a-f]{40}$/.test(o.infohash))).toBe(true);
  });

  it('finds infohashes stored elsewhere with a sample walk, counted as their own source', async () => {
    const before = harvester.stats().seen.sample;
    const walker = new Harvester(crawler, { clock: swarm.net.clock, walkIntervalMs: 3_600_000, onBatch: () => undefined });
    walker.start({ walk: true });
    await swarm.net.runUntil(() => walker.stats().walks.finished >= 1, { timeoutMs: 600_000 });
    await walker.stop();
    const stats = walker.stats();
    expect(stats.walks.finished).toBe(1);
    for (const infohash of [...near, ...far]) expect(walker.lookup(toHex(infohash)).record?.bySource.sample ?? 0).toBeGreaterThan(0);
    // A walk yields each infohash once: sightings equal unique ones.
    expect(stats.seen.sample).toBe(stats.unique.sample);
    expect(stats.seen.get_peers).toBe(0);
    expect(harvester.stats().seen.sample).toBe(before);
  }, 240_000);

  it("writes the harvester's batches into a SQLite store and reads them back", async () => {
    await harvester.flush();
    const dir = mkdtempSync(join(tmpdir(), 'btdht-harvest-'));
    try {
      const store = await openSqliteStore({ path: join(dir, 'crawl.sqlite') });
      for (const batch of batches) await store.write(batch);
      const observations = batches.flatMap((b) => b.observations ?? []);
      expect((await store.counts()).infohashes).toBe(new Set(observations.map((o) => o.infohash)).size);
      for (const infohash of near) {
        const hex = toHex(infohash);
        const record = harvester.lookup(hex).record!;
        const row = (await store.getInfohash(hex))!;
        expect(row.timesSeen).toBe(record.timesSeen);
        expect(row.seenGetPeers).toBe(record.bySource.get_peers);
        expect(row.seenAnnounce).toBe(record.bySource.announce_peer);
        expect(row.firstSeen).toBe(record.firstSeen);
        expect(row.lastSeen).toBe(record.lastSeen);
        expect(new Set(row.peers.map((p) => `${p.host}:${p.port}`))).toEqual(new Set(record.peers.map((p) => `${p.host}:${p.port}`)));
      }
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
