/**
 * The fetcher against real seeders written by others: webtorrent seeding
 * torrents made by create-torrent, on loopback. Every torrent is fetched,
 * verified against its infohash, and read back with the name, size and files
 * that webtorrent itself parsed from the .torrent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataFetcher } from '../../src/crawl/metadata/index.ts';
import { startSeeders, type Seeders, type SeededTorrent } from './helpers/seeders.ts';

const TORRENTS = 12;
const HOSTS = ['127.0.0.21', '127.0.0.22', '127.0.0.23'];

/** webtorrent's file paths start with the torrent name for multi-file torrents; ours are relative to it. */
function expectedPaths(t: SeededTorrent): string[] {
  if (t.files.length === 1 && t.files[0]!.path === t.name) return [t.name];
  return t.files.map((f) => f.path.slice(t.name.length + 1)).sort();
}

describe('MetadataFetcher against webtorrent seeders', () => {
  let seeders: Seeders;

  beforeAll(async () => {
    seeders = await startSeeders({ torrents: TORRENTS, hosts: HOSTS });
  });

  afterAll(async () => {
    await seeders?.stop();
  });

  it('fetches and verifies every torrent, with the same name, size and files', async () => {
    const fetcher = new MetadataFetcher({ connectTimeoutMs: 2000, peerTimeoutMs: 10_000, totalTimeoutMs: 20_000 });
    try {
      const results = await Promise.all(seeders.torrents.map((t) => fetcher.fetch(t.infohash, [t.peer])));
      expect(results.map((r) => r.ok)).toEqual(seeders.torrents.map(() => true));
      for (const [i, result] of results.entries()) {
        const seeded = seeders.torrents[i]!;
        if (!result.ok) throw new Error('unreachable');
        const torrent = result.torrent;
        expect(torrent.infohash).toBe(seeded.infohash);
        expect(torrent.verifiedBy).toBe('sha1');
        expect(torrent.name).toBe(seeded.name);
        expect(torrent.totalSize).toBe(seeded.length);
        expect(torrent.files.map((f) => f.path).sort()).toEqual(expectedPaths(seeded));
        expect(torrent.files.reduce((sum, f) => sum + f.length, 0)).toBe(seeded.length);
        expect(torrent.peer).toEqual(seeded.peer);
      }
      // The 400-file torrent needs a multi-piece metadata exchange (over 16 KiB).
      const big = results.find((r) => r.ok && r.torrent.files.length === 400);
      expect(big?.ok && big.torrent.info.length).toBeGreaterThan(16_384);
      const stats = fetcher.stats();
      expect(stats.fetched).toBe(TORRENTS);
      expect(stats.penalized).toBe(0);
    } finally {
      await fetcher.close();
    }
    expect(fetcher.stats()).toMatchObject({ openConnections: 0, connecting: 0, pending: 0 });
  });

  it('asks peersFor when the given peer is wrong, and gets it from the one it returns', async () => {
    const target = seeders.torrents[2]!;
    const other = seeders.torrents.find((t) => t.peer.port !== target.peer.port);
    const asked: string[] = [];
    const fetcher = new MetadataFetcher({
      maxPeersPerFetch: 1, // the given peer first; peersFor only once it has failed
      connectTimeoutMs: 2000,
      peerTimeoutMs: 5000,
      totalTimeoutMs: 20_000,
      peersFor: async function* (infohash) {
        asked.push(Buffer.from(infohash).toString('hex'));
        yield target.peer;
      },
    });
    try {
      // A seeder that does not have the torrent: it hangs up on our handshake.
      const result = await fetcher.fetch(target.infohash, other === undefined ? [] : [other.peer]);
      expect(result.ok).toBe(true);
      expect(asked).toEqual([target.infohash]);
      if (result.ok) expect(result.torrent.peer).toEqual(target.peer);
      if (other !== undefined) {
        expect(result.attempts.map((a) => a.peer)).toEqual([other.peer, target.peer]);
        expect(result.attempts[0]!.outcome).not.toBe('ok');
        expect(fetcher.isPenalized(other.peer.host)).toBe(false); // it only lacked the torrent
      }
    } finally {
      await fetcher.close();
    }
  });
});
