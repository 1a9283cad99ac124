/**
 * The fetcher's bounds: connections globally and per peer, pending fetches,
 * joined duplicate fetches, and the penalty box's memory and expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataFetcher } from '../../src/crawl/metadata/index.ts';
import { PenaltyBox } from '../../src/crawl/metadata/penalty-box.ts';
import { ConnectionSlots } from '../../src/crawl/metadata/slots.ts';
import { startFakePeer, type FakePeer } from './helpers/fake-peer.ts';
import { v1Single, type InfoFixture } from './helpers/info-fixtures.ts';

describe('MetadataFetcher limits', () => {
  const peers: FakePeer[] = [];
  const torrents: Array<{ fixture: InfoFixture; peer: FakePeer }> = [];

  beforeAll(async () => {
    // 4 peers, 4 torrents each; every answer held back 60 ms so connections overlap.
    for (let p = 0; p < 4; p++) {
      const fixtures = Array.from({ length: 4 }, (_, i) => v1Single(`limits-${p}-${i}`, 1000 + i));
      const peer = await startFakePeer({
        host: `127.0.0.${81 + p}`,
        behavior: 'honest',
        infos: new Map(fixtures.map((f) => [f.infohash, f.info])),
        delayMs: 60,
      });
      peers.push(peer);
      for (const fixture of fixtures) torrents.push({ fixture, peer });
    }
  });

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
  });

  it('never holds more connections than allowed, globally and per peer, and still fetches everything', async () => {
    const fetcher = new MetadataFetcher({ maxConnections: 3, maxConnectionsPerPeer: 1, peerTimeoutMs: 5000 });
    let maxOpen = 0;
    const sampler = setInterval(() => {
      const s = fetcher.stats();
      maxOpen = Math.max(maxOpen, s.openConnections + s.connecting);
    }, 2);
    try {
      const before = peers.map((p) => p.connections);
      const results = await Promise.all(torrents.map(({ fixture, peer }) => fetcher.fetch(fixture.infohash, [{ host: peer.host, port: peer.port }])));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(peers.map((p, i) => p.connections - before[i]!)).toEqual([4, 4, 4, 4]);
      // Seen from each peer: one metadata exchange at a time.
      for (const p of peers) expect(p.maxActive).toBe(1);
      expect(maxOpen).toBeLessThanOrEqual(3);
      expect(maxOpen).toBeGreaterThanOrEqual(2); // the limit was reached, not avoided by luck
    } finally {
      clearInterval(sampler);
      await fetcher.close();
    }
    expect(fetcher.stats()).toMatchObject({ openConnections: 0, connecting: 0, pending: 0 });
  });

  it('joins a second fetch of the same infohash, and refuses fetches past maxPending', async () => {
    const fetcher = new MetadataFetcher({ maxPending: 2 });
    try {
      const [a, b, c] = torrents;
      const first = fetcher.fetch(a!.fixture.infohash, [{ host: a!.peer.host, port: a!.peer.port }]);
      const again = fetcher.fetch(a!.fixture.infohash.toUpperCase(), []);
      expect(again).toBe(first);
      const second = fetcher.fetch(b!.fixture.infohash, [{ host: b!.peer.host, port: b!.peer.port }]);
      const third = await fetcher.fetch(c!.fixture.infohash, [{ host: c!.peer.host, port: c!.peer.port }]);
      expect(third).toMatchObject({ ok: false, reason: 'overloaded' });
      expect((await first).ok).toBe(true);
      expect((await second).ok).toBe(true);
      expect(fetcher.stats().failed.overloaded).toBe(1);
      expect(() => fetcher.fetch('abc')).toThrow(TypeError);
    } finally {
      await fetcher.close();
    }
  });

  it('ends fetches in flight on close, with reason aborted', async () => {
    const fetcher = new MetadataFetcher();
    const { fixture, peer } = torrents[5]!;
    const pending = fetcher.fetch(fixture.infohash, [{ host: peer.host, port: peer.port }]);
    await fetcher.close();
    expect(await pending).toMatchObject({ ok: false, reason: 'aborted' });
    expect(await fetcher.fetch(fixture.infohash, [])).toMatchObject({ ok: false, reason: 'aborted' });
  });
});

describe('PenaltyBox', () => {
  it('forgets after the penalty, and keeps at most its capacity (oldest out first)', () => {
    let now = 0;
    const box = new PenaltyBox(3, 1000, () => now);
    box.penalize('a');
    now = 10;
    box.penalize('b');
    box.penalize('c');
    box.penalize('d'); // over capacity: 'a' goes
    expect(box.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((h) => box.has(h))).toEqual([false, true, true, true]);
    now = 1009;
    expect(box.has('b')).toBe(true);
    now = 1010;
    expect(box.has('b')).toBe(false);
    expect(box.size).toBe(2);
    box.penalize('c'); // renewed
    now = 1500;
    expect(box.has('c')).toBe(true);
    expect(box.has('d')).toBe(false);
  });

  it('stays bounded under a stream of distinct hosts', () => {
    const box = new PenaltyBox(1000, 60_000, () => 0);
    for (let i = 0; i < 100_000; i++) box.penalize(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(box.size).toBe(1000);
  });
});

describe('ConnectionSlots', () => {
  it('lets a waiter for a free peer pass one stuck behind a saturated peer', async () => {
    const slots = new ConnectionSlots(2, 1);
    const a1 = await slots.acquire('a');
    const order: string[] = [];
    const a2 = slots.acquire('a').then((release) => {
      order.push('a2');
      return release;
    });
    const b1 = slots.acquire('b').then((release) => {
      order.push('b1');
      return release;
    });
    await b1;
    expect(order).toEqual(['b1']);
    expect(slots.inUse).toBe(2);
    expect(slots.waiting).toBe(1);
    a1();
    a1(); // a second release is a no-op
    (await a2)();
    expect(order).toEqual(['b1', 'a2']);
    (await b1)();
    expect(slots.inUse).toBe(0);

    const held = await slots.acquire('c');
    const controller = new AbortController();
    const aborted = slots.acquire('c', controller.signal);
    controller.abort();
    await expect(aborted).rejects.toThrow();
    expect(slots.waiting).toBe(0);
    held();
  });
});
