/**
 * Hostile peers on loopback, all at once beside honest ones: each is rejected
 * for its own reason, remembered if it was hostile, the honest fetches are not
 * disturbed, and only verified torrents reach the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataFetcher, type FetchResult, type PeerFailure } from '../../src/crawl/metadata/index.ts';
import { openSqliteStore } from '../../src/crawl/store/index.ts';
import { startFakePeer, type FakePeer, type PeerBehavior } from './helpers/fake-peer.ts';
import { hybrid, v1Multi, v1Single, v2Only, type InfoFixture } from './helpers/info-fixtures.ts';

/** Each hostile behaviour, the outcome it must get, and whether the peer is remembered as bad. */
const HOSTILE: Array<{ behavior: PeerBehavior; outcome: PeerFailure; penalized: boolean }> = [
  { behavior: 'wrong-info', outcome: 'wrong-hash', penalized: true },
  { behavior: 'oversized', outcome: 'too-large', penalized: true },
  { behavior: 'endless', outcome: 'flood', penalized: true },
  { behavior: 'huge-message', outcome: 'flood', penalized: true },
  { behavior: 'bad-piece', outcome: 'garbage', penalized: true },
  { behavior: 'reject', outcome: 'rejected', penalized: false },
  { behavior: 'stall', outcome: 'timeout', penalized: false },
];

const PEER_TIMEOUT_MS = 1500;

describe('MetadataFetcher against hostile peers', () => {
  const peers: FakePeer[] = [];
  const honest: Array<{ fixture: InfoFixture; peer: FakePeer }> = [];
  const hostile: Array<{ fixture: InfoFixture; peer: FakePeer; outcome: PeerFailure; penalized: boolean }> = [];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'btdht-hostile-'));
    const fixtures = [v1Single('honest-single', 50_000, 2000), v1Multi('honest-multi'), v2Only('honest-v2'), hybrid('honest-hybrid')];
    for (const [i, fixture] of fixtures.entries()) {
      const peer = await startFakePeer({ host: `127.0.0.${31 + i}`, behavior: 'honest', info: fixture.info });
      peers.push(peer);
      honest.push({ fixture, peer });
    }
    for (const [i, h] of HOSTILE.entries()) {
      // 2000 piece hashes: a 40 KB dictionary, three BEP 9 pieces.
      const fixture = v1Single(`hostile-${h.behavior}`, 1_000_000, 2000);
      const peer = await startFakePeer({ host: `127.0.0.${41 + i}`, behavior: h.behavior, info: fixture.info });
      peers.push(peer);
      hostile.push({ fixture, peer, outcome: h.outcome, penalized: h.penalized });
    }
  });

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects each hostile peer for its reason while the honest fetches succeed, and stores only verified torrents', async () => {
    const fetcher = new MetadataFetcher({ connectTimeoutMs: 1000, peerTimeoutMs: PEER_TIMEOUT_MS, totalTimeoutMs: 10_000 });
    const store = await openSqliteStore({ path: join(dir, 'crawl.sqlite') });
    try {
      const started = [...honest, ...hostile].map(({ fixture, peer }) => fetcher.fetch(fixture.infohash, [{ host: peer.host, port: peer.port }]));
      const results = await Promise.all(started);
      // What a crawler does with results: verified torrents are recorded, failures counted.
      await store.write({
        torrents: results.flatMap((r: FetchResult) =>
          r.ok ? [{ infohash: r.torrent.infohash, name: r.torrent.name, size: r.torrent.totalSize, files: r.torrent.files, fetchedAt: Date.now(), peer: r.torrent.peer }] : [],
        ),
        failures: results.flatMap((r) => (r.ok ? [] : [{ infohash: r.infohash, at: Date.now(), reason: r.reason }])),
      });

      const honestResults = results.slice(0, honest.length);
      for (const [i, result] of honestResults.entries()) {
        const { fixture } = honest[i]!;
        expect(result.ok, fixture.name).toBe(true);
        if (!result.ok) continue;
        expect(result.torrent.name).toBe(fixture.name);
        expect(result.torrent.totalSize).toBe(fixture.size);
        expect(result.torrent.files.map((f) => f.path)).toEqual(fixture.paths);
      }
      expect(honestResults.map((r) => r.ok && r.torrent.verifiedBy)).toEqual(['sha1', 'sha1', 'sha256', 'sha1']);

      for (const [i, result] of results.slice(honest.length).entries()) {
        const h = hostile[i]!;
        expect(result.ok, h.fixture.name).toBe(false);
        expect(result.attempts.map((a) => a.outcome), h.fixture.name).toEqual([h.outcome]);
        expect(fetcher.isPenalized(h.peer.host), h.fixture.name).toBe(h.penalized);
      }

      const counts = await store.counts();
      expect(counts.torrents).toBe(honest.length);
      for (const { fixture } of honest) expect((await store.getTorrent(fixture.infohash))?.name).toBe(fixture.name);
      for (const { fixture } of hostile) {
        expect(await store.isFetched(fixture.infohash)).toBe(false);
        expect((await store.getInfohash(fixture.infohash))?.fetchAttempts).toBe(1);
      }

      // The floods were cut off long before the peers' own cap.
      const stats = fetcher.stats();
      expect(stats.bytesReceived).toBeLessThan(8 * 1024 * 1024);
      expect(stats.peerFailures.flood).toBe(2);
    } finally {
      await fetcher.close();
      await store.close();
    }
  });

  it('skips a remembered peer and retries the torrent with the next one', async () => {
    // One peer at a time, so the liar is surely tried (and fails) before the honest peer.
    const fetcher = new MetadataFetcher({ maxPeersPerFetch: 1, connectTimeoutMs: 1000, peerTimeoutMs: PEER_TIMEOUT_MS, totalTimeoutMs: 10_000 });
    try {
      const liar = hostile.find((h) => h.outcome === 'wrong-hash')!;
      const target = honest[0]!;
      // The liar is asked first (it has no such torrent, it lies anyway), then the honest peer.
      const first = await fetcher.fetch(target.fixture.infohash, [
        { host: liar.peer.host, port: liar.peer.port },
        { host: target.peer.host, port: target.peer.port },
      ]);
      expect(first.ok).toBe(true);
      expect(first.attempts.map((a) => a.outcome)).toEqual(['wrong-hash', 'ok']);
      expect(fetcher.isPenalized(liar.peer.host)).toBe(true);

      // Remembered: a later fetch does not even connect to it.
      const before = liar.peer.connections;
      const second = await fetcher.fetch(honest[1]!.fixture.infohash, [{ host: liar.peer.host, port: liar.peer.port }]);
      expect(second).toMatchObject({ ok: false, reason: 'no-peers', attempts: [] });
      expect(liar.peer.connections).toBe(before);
    } finally {
      await fetcher.close();
    }
  });

  it('survives peers that send random bytes, before or after the handshake', async () => {
    const noisy: FakePeer[] = [];
    const fetcher = new MetadataFetcher({ maxPeersPerFetch: 16, connectTimeoutMs: 1000, peerTimeoutMs: PEER_TIMEOUT_MS, totalTimeoutMs: 10_000 });
    try {
      for (let i = 0; i < 16; i++) {
        noisy.push(await startFakePeer({ host: `127.0.0.${61 + i}`, behavior: i % 2 === 0 ? 'noise' : 'noise-early' }));
      }
      const target = v1Single('noise-target', 1000);
      const results = await Promise.all(noisy.map((p) => fetcher.fetch(target.infohash, [{ host: p.host, port: p.port }])));
      // One fetch (same infohash, joined) with every noisy peer: it must fail, quietly.
      expect(results.every((r) => !r.ok)).toBe(true);
      expect(results[0]!.attempts).toHaveLength(noisy.length);
      expect(results[0]!.attempts.some((a) => a.outcome === 'ok')).toBe(false);
    } finally {
      await fetcher.close();
      await Promise.all(noisy.map((p) => p.close()));
    }
  });

  it('refuses metadata above its cap before asking for a piece', async () => {
    const fetcher = new MetadataFetcher({ maxMetadataSize: 20_000, peerTimeoutMs: PEER_TIMEOUT_MS });
    try {
      const { fixture, peer } = honest[0]!; // a 40 KB dictionary
      const result = await fetcher.fetch(fixture.infohash, [{ host: peer.host, port: peer.port }]);
      expect(result).toMatchObject({ ok: false, reason: 'peers-failed', attempts: [{ outcome: 'too-large' }] });
    } finally {
      await fetcher.close();
    }
  });

  it('gives up on the whole fetch at its total timeout', async () => {
    const stall = hostile.find((h) => h.outcome === 'timeout')!;
    const fetcher = new MetadataFetcher({ peerTimeoutMs: 60_000, totalTimeoutMs: 400 });
    try {
      const result = await fetcher.fetch(stall.fixture.infohash, [{ host: stall.peer.host, port: stall.peer.port }]);
      expect(result).toMatchObject({ ok: false, reason: 'timeout' });
      expect(fetcher.stats().failed.timeout).toBe(1);
    } finally {
      await fetcher.close();
    }
  });
});
