/**
 * One suite, every CrawlStore backend: SQLite (temp file) and PostgreSQL (the
 * server in BTDHT_TEST_POSTGRES_URL; without it the PostgreSQL half fails and
 * says how to start one, unless BTDHT_NO_POSTGRES=1 leaves it out).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_KNOWN_PEERS, StoreBatcher, type CrawlStore, type InfohashObservation, type TorrentRecord } from '../../src/crawl/store/index.ts';
import { POSTGRES_MISSING, postgresWanted, storeBackends, type StoreSite } from './helpers/stores.ts';

const ih = (n: number): string => n.toString(16).padStart(40, '0');

function torrent(n: number, overrides: Partial<TorrentRecord> = {}): TorrentRecord {
  return {
    infohash: ih(n),
    name: `torrent ${n} — ünïcode ✓`,
    size: 1_000_000_000_000 + n, // beyond 32 bits
    files: [
      { path: 'a/b.txt', length: 1 },
      { path: 'c.bin', length: 1_000_000_000_000 + n - 1 },
    ],
    fetchedAt: 1_700_000_000_000 + n,
    peer: { host: '127.0.0.1', port: 6881 },
    ...overrides,
  };
}

describe.each(storeBackends())('CrawlStore conformance: $name', ({ name, site: makeSite }) => {
  let site: StoreSite;
  let store: CrawlStore;

  beforeEach(async () => {
    site = makeSite();
    store = await site.open();
  });

  afterEach(async () => {
    await store?.close();
    await site?.destroy();
  });

  it(`is a ${name} store and starts empty`, async () => {
    expect(store.kind).toBe(name);
    expect(await store.counts()).toEqual({ infohashes: 0, torrents: 0 });
    expect(await store.isFetched(ih(1))).toBe(false);
    expect(await store.getInfohash(ih(1))).toBeUndefined();
    expect(await store.getTorrent(ih(1))).toBeUndefined();
    expect(await store.listUnfetched({ limit: 10 })).toEqual([]);
  });

  it('folds observations: first and last seen, times seen, per-source counters, across batches', async () => {
    const obs: InfohashObservation[] = [
      { infohash: ih(1), source: 'get_peers', at: 2000 },
      { infohash: ih(1), source: 'announce_peer', at: 1000, peer: { host: '10.0.0.1', port: 1 } },
      { infohash: ih(1), source: 'sample', at: 3000 },
      { infohash: ih(2), source: 'get_peers', at: 500 },
    ];
    await store.write({ observations: obs });
    await store.write({ observations: [{ infohash: ih(1), source: 'get_peers', at: 4000 }, { infohash: ih(1), source: 'get_peers', at: 100 }] });
    expect(await store.getInfohash(ih(1))).toMatchObject({
      firstSeen: 100,
      lastSeen: 4000,
      timesSeen: 5,
      seenGetPeers: 3,
      seenAnnounce: 1,
      seenSample: 1,
      peers: [{ host: '10.0.0.1', port: 1 }],
      fetchAttempts: 0,
      lastAttemptAt: null,
      lastFailure: null,
      fetchedAt: null,
    });
    expect(await store.getInfohash(ih(2))).toMatchObject({ firstSeen: 500, lastSeen: 500, timesSeen: 1, seenGetPeers: 1 });
    expect(await store.counts()).toEqual({ infohashes: 2, torrents: 0 });
  });

  it(`keeps at most ${MAX_KNOWN_PEERS} distinct known peers, newest first, IPv6 included`, async () => {
    const peerObs = (i: number, at: number): InfohashObservation => ({
      infohash: ih(7),
      source: 'announce_peer',
      at,
      peer: i % 2 === 0 ? { host: `10.0.0.${i}`, port: 1000 + i } : { host: `2001:db8::${i}`, port: 1000 + i },
    });
    await store.write({ observations: [1, 2, 3].map((i) => peerObs(i, i)) });
    await store.write({ observations: [peerObs(2, 50), ...[4, 5, 6, 7, 8, 9, 10].map((i) => peerObs(i, 10 + i))] });
    const row = (await store.getInfohash(ih(7)))!;
    expect(row.peers).toHaveLength(MAX_KNOWN_PEERS);
    // The second batch, newest first (10.0.0.2 seen again at 50, the newest), then what fits of the first.
    expect(row.peers.map((p) => p.port)).toEqual([1002, 1010, 1009, 1008, 1007, 1006, 1005, 1004]);
    expect(row.peers[1]).toEqual({ host: '10.0.0.10', port: 1010 });
    expect(row.peers[2]).toEqual({ host: '2001:db8::9', port: 1009 });
    expect(row.timesSeen).toBe(11);
  });

  it('records torrents: the first write wins, the infohash is marked fetched, unfetched lists skip it', async () => {
    await store.write({ observations: [1, 2, 3].map((n) => ({ infohash: ih(n), source: 'get_peers' as const, at: n * 10 })) });
    await store.write({ torrents: [torrent(1), torrent(9)] }); // 9 was never observed
    await store.write({ torrents: [torrent(1, { name: 'second', size: 1 })] });
    expect(await store.getTorrent(ih(1))).toEqual({ ...torrent(1), firstSeen: 10, seeders: null, leechers: null, swarmCheckedAt: null });
    expect(await store.isFetched(ih(1))).toBe(true);
    expect(await store.isFetched(ih(2))).toBe(false);
    expect(await store.fetchedAmong([ih(1), ih(2), ih(9), ih(10)])).toEqual(new Set([ih(1), ih(9)]));
    expect(await store.fetchedAmong([])).toEqual(new Set());
    expect((await store.getInfohash(ih(1)))?.fetchedAt).toBe(torrent(1).fetchedAt);
    expect((await store.getInfohash(ih(9)))).toMatchObject({ fetchedAt: torrent(9).fetchedAt, timesSeen: 0 });
    expect((await store.listUnfetched({ limit: 10 })).map((r) => r.infohash)).toEqual([ih(3), ih(2)]);
    expect(await store.counts()).toEqual({ infohashes: 4, torrents: 2 });
  });

  it('stores a hybrid once, found by either hash: one row, both hashes fetched and looked up', async () => {
    const v2 = 'ab'.repeat(32);
    const v2Key = v2.slice(0, 40);
    await store.write({ observations: [{ infohash: v2Key, source: 'sample', at: 5 }, { infohash: ih(1), source: 'get_peers', at: 50 }] });
    await store.write({ torrents: [torrent(1, { infohashV2: v2 })] });
    // Fetched again by its other hash: the first write wins, still one row.
    await store.write({ torrents: [torrent(1, { infohashV2: v2, name: 'again' })] });
    expect(await store.counts()).toEqual({ infohashes: 2, torrents: 1 });
    const stored = { ...torrent(1, { infohashV2: v2 }), firstSeen: 5, seeders: null, leechers: null, swarmCheckedAt: null };
    expect(await store.getTorrent(ih(1))).toEqual(stored);
    expect(await store.getTorrent(v2Key)).toEqual(stored);
    expect(await store.getTorrent(v2.toUpperCase())).toEqual(stored);
    expect(await store.getTorrent('cd'.repeat(32))).toBeUndefined();
    expect(await store.getTorrent('not a hash')).toBeUndefined();
    expect(await store.isFetched(v2Key)).toBe(true);
    expect(await store.fetchedAmong([ih(1), v2Key, ih(2)])).toEqual(new Set([ih(1), v2Key]));
    expect(await store.listUnfetched({ limit: 10 })).toEqual([]);
    // A v2-only torrent is keyed by its truncated hash.
    const only = 'cd'.repeat(32);
    await store.write({ torrents: [torrent(0, { infohash: only.slice(0, 40), infohashV2: only })] });
    expect((await store.getTorrent(only))?.infohash).toBe(only.slice(0, 40));
    // A bad v2 hash is a caller's bug: the batch is refused whole.
    await expect(store.write({ torrents: [torrent(3, { infohashV2: 'xyz' })] })).rejects.toThrow(/v2 infohash/);
    expect(await store.isFetched(ih(3))).toBe(false);
  });

  it('records swarm checks by either hash; an older check never overwrites a newer one', async () => {
    const v2 = 'ab'.repeat(32);
    await store.write({ torrents: [torrent(1, { infohashV2: v2 }), torrent(2)] });
    expect(await store.recordSwarm([{ infohash: v2.slice(0, 40), seeders: 7, leechers: 3, at: 200 }, { infohash: ih(9), seeders: 1, leechers: 1, at: 1 }])).toBe(1);
    expect(await store.getTorrent(ih(1))).toMatchObject({ seeders: 7, leechers: 3, swarmCheckedAt: 200 });
    expect(await store.recordSwarm([{ infohash: ih(1), seeders: 1, leechers: 1, at: 100 }])).toBe(0);
    expect(await store.recordSwarm([{ infohash: v2, seeders: 9, leechers: 0, at: 300 }, { infohash: ih(2), seeders: 0, leechers: 4, at: 300 }])).toBe(2);
    expect(await store.getTorrent(ih(1))).toMatchObject({ seeders: 9, leechers: 0, swarmCheckedAt: 300 });
    expect(await store.getTorrent(ih(2))).toMatchObject({ seeders: 0, leechers: 4, swarmCheckedAt: 300 });
    await expect(store.recordSwarm([{ infohash: ih(2), seeders: -1, leechers: 0, at: 400 }])).rejects.toThrow(/seeders/);
  });

  it('prunes past its limits: the oldest first or the least seeded first, in batches; removed torrents stay fetched', async () => {
    // first_seen follows n (each observed at n); 1..30 stored.
    await store.write({ observations: Array.from({ length: 30 }, (_, i) => ({ infohash: ih(i + 1), source: 'sample' as const, at: 1000 + i })) });
    await store.write({ torrents: Array.from({ length: 30 }, (_, i) => torrent(i + 1)) });
    expect(await store.prune({ maxTorrents: 30, by: 'oldest' })).toBe(0);
    expect(await store.prune({ maxTorrents: 25, by: 'oldest' })).toBe(5);
    expect((await store.counts()).torrents).toBe(25);
    for (let n = 1; n <= 5; n++) expect(await store.getTorrent(ih(n))).toBeUndefined();
    expect(await store.getTorrent(ih(6))).toBeDefined();
    // Removed, not forgotten: never fetched again.
    expect(await store.isFetched(ih(1))).toBe(true);
    expect((await store.listUnfetched({ limit: 100 })).map((r) => r.infohash)).not.toContain(ih(1));
    // Least seeded: unchecked ones first, then the fewest seeders.
    await store.recordSwarm(Array.from({ length: 25 }, (_, i) => ({ infohash: ih(i + 6), seeders: i === 3 ? 0 : 100 - i, leechers: 0, at: 1 })).filter((_, i) => i !== 20));
    expect(await store.prune({ maxTorrents: 22, by: 'least-seeded' })).toBe(3);
    expect(await store.getTorrent(ih(26))).toBeUndefined(); // never checked
    expect(await store.getTorrent(ih(9))).toBeUndefined(); // 0 seeders
    expect(await store.getTorrent(ih(30))).toBeUndefined(); // 76 seeders, the fewest left
    expect(await store.getTorrent(ih(29))).toBeDefined();
    await expect(store.prune({ maxTorrents: 0, by: 'oldest' })).rejects.toThrow(/maxTorrents/);
  });

  it('keeps the database within a byte limit', async () => {
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `folder ${i}/a file with a long name number ${i}.bin`, length: i + 1 }));
    for (let b = 0; b < 4; b++) await store.write({ torrents: Array.from({ length: 250 }, (_, i) => torrent(b * 250 + i + 1, { files })) });
    const before = await store.usedBytes();
    const limit = Math.floor(before / 2);
    const removed = await store.prune({ maxBytes: limit, by: 'oldest' });
    expect(removed).toBeGreaterThanOrEqual(500);
    expect((await store.counts()).torrents).toBe(1000 - removed);
    if (name === 'sqlite') expect(await store.usedBytes()).toBeLessThanOrEqual(limit);
    // Writing as many again reuses the freed space: the database stays near its bound.
    await store.write({ torrents: Array.from({ length: 250 }, (_, i) => torrent(2000 + i, { files })) });
    await store.prune({ maxBytes: limit, by: 'oldest' });
    if (name === 'sqlite') expect(await store.usedBytes()).toBeLessThanOrEqual(limit);
    expect(await store.getTorrent(ih(2249))).toBeDefined();
  });

  it('counts failures and filters the unfetched list by attempts and by time', async () => {
    await store.write({ observations: [1, 2, 3, 4].map((n) => ({ infohash: ih(n), source: 'sample' as const, at: n })) });
    await store.write({
      failures: [
        { infohash: ih(1), at: 100, reason: 'no-peers' },
        { infohash: ih(1), at: 300, reason: 'timeout' },
        { infohash: ih(2), at: 200, reason: 'peers-failed' },
      ],
    });
    await store.write({ failures: [{ infohash: ih(1), at: 250, reason: 'no-peers' }] });
    expect(await store.getInfohash(ih(1))).toMatchObject({ fetchAttempts: 3, lastAttemptAt: 300 });
    expect(await store.getInfohash(ih(2))).toMatchObject({ fetchAttempts: 1, lastAttemptAt: 200, lastFailure: 'peers-failed' });
    const list = async (q: Parameters<CrawlStore['listUnfetched']>[0]): Promise<string[]> => (await store.listUnfetched(q)).map((r) => r.infohash);
    expect(await list({ limit: 10 })).toEqual([ih(4), ih(3), ih(2), ih(1)]);
    expect(await list({ limit: 2 })).toEqual([ih(4), ih(3)]);
    expect(await list({ limit: 10, maxAttempts: 2 })).toEqual([ih(4), ih(3), ih(2)]);
    expect(await list({ limit: 10, attemptedBefore: 250 })).toEqual([ih(4), ih(3), ih(2)]);
    expect(await list({ limit: 10, maxAttempts: 1 })).toEqual([ih(4), ih(3)]);
  });

  it('writes a batch all or nothing: one bad infohash rejects the whole batch', async () => {
    await expect(
      store.write({ observations: [{ infohash: ih(1), source: 'get_peers', at: 1 }, { infohash: 'NOT-HEX', source: 'get_peers', at: 1 }] }),
    ).rejects.toThrow(TypeError);
    await expect(store.write({ torrents: [torrent(2)], failures: [{ infohash: ih(0xabc).toUpperCase(), at: 1, reason: 'x' }] })).rejects.toThrow(TypeError);
    expect(await store.counts()).toEqual({ infohashes: 0, torrents: 0 });
  });

  it('stores names with NUL bytes (as U+FFFD) and long file lists', async () => {
    const files = Array.from({ length: 5000 }, (_, i) => ({ path: `dir ${i % 7}/file\u0000${i}.bin`, length: i }));
    await store.write({ torrents: [torrent(5, { name: 'nul\u0000name', files })] });
    const back = (await store.getTorrent(ih(5)))!;
    expect(back.name).toBe('nul\uFFFDname');
    expect(back.files).toHaveLength(5000);
    expect(back.files[4999]).toEqual({ path: 'dir 1/file\uFFFD4999.bin', length: 4999 });
  });

  it('keeps everything across close and reopen', async () => {
    await store.write({ observations: [{ infohash: ih(1), source: 'get_peers', at: 1 }], torrents: [torrent(2)] });
    await store.close();
    store = await site.open();
    expect(await store.counts()).toEqual({ infohashes: 2, torrents: 1 });
    expect(await store.getTorrent(ih(2))).toMatchObject(torrent(2));
  });

  it('takes a large batch in one write, and a batcher flushes by size and on demand', async () => {
    const emptySize = await store.sizeBytes();
    expect(emptySize).toBeGreaterThan(0);
    const many = Array.from({ length: 20_000 }, (_, i) => ({ infohash: ih(i + 1), source: 'get_peers' as const, at: i }));
    await store.write({ observations: many });
    expect((await store.counts()).infohashes).toBe(20_000);
    // 20,000 rows of 40-hex infohashes (plus their index) take well over 20,000 × 40 bytes.
    expect(await store.sizeBytes()).toBeGreaterThan(emptySize + 20_000 * 40);

    const errors: unknown[] = [];
    const batcher = new StoreBatcher(store, { maxItems: 100, maxDelayMs: 60_000, onError: (e) => errors.push(e) });
    for (let i = 0; i < 250; i++) batcher.observe({ infohash: ih(100_000 + i), source: 'sample', at: i });
    batcher.torrent(torrent(100_000));
    batcher.failure({ infohash: ih(100_001), at: 5, reason: 'timeout' });
    await batcher.flush();
    expect(batcher.stats()).toMatchObject({ batches: 3, itemsWritten: 252, itemsDropped: 0, pending: 0 });
    expect(await store.isFetched(ih(100_000))).toBe(true);
    expect((await store.getInfohash(ih(100_001)))?.fetchAttempts).toBe(1);
    expect((await store.counts()).infohashes).toBe(20_250);

    batcher.observe({ infohash: 'bad', source: 'sample', at: 1 });
    await batcher.flush();
    expect(batcher.stats()).toMatchObject({ itemsDropped: 1 });
    expect(errors).toHaveLength(1);
  });
});

// Left out (not skipped) when BTDHT_NO_POSTGRES=1.
if (postgresWanted()) {
  describe('PostgreSQL test server', () => {
    it('is given in BTDHT_TEST_POSTGRES_URL', () => {
      const url = process.env['BTDHT_TEST_POSTGRES_URL'];
      if (url === undefined || url === '') throw new Error(POSTGRES_MISSING);
      expect(url).toMatch(/^postgres(ql)?:\/\//);
    });
  });
}
