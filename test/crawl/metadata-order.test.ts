/**
 * The order and pace of a fetch's peers: one peer at a time while it serves
 * (a second session to a torrent whose first peer is serving it is CPU for
 * nothing), a failed peer replaced at once, a stalled one joined after
 * `staggerMs`; hosts that served lately first, hosts that only failed lately
 * last — and nobody skipped for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostStanding } from '../../src/crawl/metadata/host-standing.ts';
import { MetadataFetcher } from '../../src/crawl/metadata/index.ts';
import { startFakePeer, type FakePeer } from './helpers/fake-peer.ts';
import { v1Single, type InfoFixture } from './helpers/info-fixtures.ts';

describe('HostStanding', () => {
  it('ranks served hosts first and failed ones last, forgets after its memory, stays within its capacity', () => {
    let now = 1_000;
    const standing = new HostStanding(2, 100, () => now);
    expect(standing.standing('10.0.0.1')).toBe(1);
    standing.served('10.0.0.1');
    standing.failed('10.0.0.2');
    expect(standing.standing('10.0.0.1')).toBe(0);
    expect(standing.standing('10.0.0.2')).toBe(2);
    // A host that served keeps its standing through a failure (it has other torrents)...
    standing.failed('10.0.0.1');
    expect(standing.standing('10.0.0.1')).toBe(0);
    // ...and a failed host that serves is first.
    standing.served('10.0.0.2');
    expect(standing.standing('10.0.0.2')).toBe(0);
    // Capacity 2: the oldest served host goes first.
    standing.served('10.0.0.3');
    expect(standing.standing('10.0.0.1')).toBe(1);
    expect(standing.standing('10.0.0.3')).toBe(0);
    now += 101;
    expect(standing.standing('10.0.0.2')).toBe(1);
    expect(standing.standing('10.0.0.3')).toBe(1);
  });
});

describe('MetadataFetcher: peer order and stagger', () => {
  const peers: FakePeer[] = [];
  const fixtures: InfoFixture[] = [];
  let honestA: FakePeer; // serves every fixture, host 127.0.0.61
  let honestB: FakePeer; // another port on the same host
  let honestC: FakePeer; // serves every fixture, host 127.0.0.62
  let stall: FakePeer;
  let reject: FakePeer;

  beforeAll(async () => {
    for (let i = 0; i < 6; i++) fixtures.push(v1Single(`order-${i}`, 40_000 + i, 3));
    const infos = new Map(fixtures.map((f) => [f.infohash, f.info]));
    honestA = await startFakePeer({ host: '127.0.0.61', behavior: 'honest', infos });
    honestB = await startFakePeer({ host: '127.0.0.61', behavior: 'honest', infos });
    honestC = await startFakePeer({ host: '127.0.0.62', behavior: 'honest', infos });
    stall = await startFakePeer({ host: '127.0.0.63', behavior: 'stall' });
    reject = await startFakePeer({ host: '127.0.0.64', behavior: 'reject', info: fixtures[0]!.info });
    peers.push(honestA, honestB, honestC, stall, reject);
  });

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
  });

  const at = (p: FakePeer): { host: string; port: number } => ({ host: p.host, port: p.port });

  it('tries one peer while it serves, replaces a failed one at once, and puts a host that served first', async () => {
    // A stagger far longer than any loopback session: a second peer can only start because the first failed.
    const fetcher = new MetadataFetcher({ staggerMs: 30_000, connectTimeoutMs: 2_000, peerTimeoutMs: 5_000, totalTimeoutMs: 20_000 });
    try {
      const stallBefore = stall.connections;
      const first = await fetcher.fetch(fixtures[0]!.infohash, [at(honestA), at(stall)]);
      expect(first.ok).toBe(true);
      expect(first.attempts.map((a) => a.outcome)).toEqual(['ok']);
      expect(stall.connections).toBe(stallBefore);

      // The refusing peer first (both unknown): it fails, and the next one starts without waiting for the stagger.
      const startedAt = Date.now();
      const second = await fetcher.fetch(fixtures[1]!.infohash, [at(reject), at(honestC)]);
      expect(second.ok).toBe(true);
      expect(second.attempts.map((a) => a.outcome)).toEqual(['rejected', 'ok']);
      expect(Date.now() - startedAt).toBeLessThan(15_000);

      // Given after the unknown stalling peer, another port on a host that served goes first: the stall is never asked.
      const third = await fetcher.fetch(fixtures[2]!.infohash, [at(stall), at(honestB)]);
      expect(third.ok).toBe(true);
      expect(third.attempts.map((a) => a.outcome)).toEqual(['ok']);
      expect(third.attempts[0]!.peer).toEqual(at(honestB));
      expect(stall.connections).toBe(stallBefore);

      // A host that refused lately goes after an unknown one, but is not skipped: alone, it is asked again.
      const rejectBefore = reject.connections;
      const fourth = await fetcher.fetch(fixtures[3]!.infohash, [at(reject), at(honestC)]);
      expect(fourth.attempts.map((a) => a.outcome)).toEqual(['ok']);
      expect(reject.connections).toBe(rejectBefore);
      const fifth = await fetcher.fetch(fixtures[4]!.infohash, [at(reject)]);
      expect(fifth).toMatchObject({ ok: false, reason: 'peers-failed' });
      expect(fifth.attempts.map((a) => a.outcome)).toEqual(['rejected']);
    } finally {
      await fetcher.close();
    }
  });

  it('joins a stalled first peer with the next one after staggerMs', async () => {
    const fetcher = new MetadataFetcher({ staggerMs: 200, connectTimeoutMs: 2_000, peerTimeoutMs: 20_000, totalTimeoutMs: 20_000 });
    try {
      const stallBefore = stall.connections;
      const startedAt = Date.now();
      const result = await fetcher.fetch(fixtures[5]!.infohash, [at(stall), at(honestC)]);
      expect(result.ok).toBe(true);
      // The stalled session was running (and is aborted now), the honest one won after the stagger.
      expect(result.attempts.map((a) => a.outcome)).toEqual(['ok']);
      expect(result.attempts[0]!.peer).toEqual(at(honestC));
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
      expect(Date.now() - startedAt).toBeLessThan(15_000);
      await expect.poll(() => stall.connections, { timeout: 5_000 }).toBe(stallBefore + 1);
    } finally {
      await fetcher.close();
    }
  });
});
