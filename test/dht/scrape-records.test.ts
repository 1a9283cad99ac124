/** BEP 33 announce accounting: unique <infohash, IP>, seed status, the 6000 cap, expiry, noseed values. */
import { describe, expect, it } from 'vitest';
import { ScrapeRecords, bloomEstimate, bloomHas } from '../../src/dht/scrape/index.ts';

const infohash = new Uint8Array(20).fill(7);
const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

describe('ScrapeRecords', () => {
  it('one record per IP: a re-announce updates port and seed status', () => {
    const records = new ScrapeRecords();
    expect(records.record(infohash, '10.0.0.1', 1000, false, 0)).toBe(true);
    expect(records.record(infohash, '10.0.0.1', 2000, false, 1)).toBe(true);
    expect(records.counts(infohash, 2)).toEqual({ seeds: 0, peers: 1 });
    expect(records.values(infohash, 10, false, 2)).toEqual([new Uint8Array([10, 0, 0, 1, 2000 >> 8, 2000 & 255])]);
    let filters = records.filters(infohash, 2)!;
    expect(bloomHas(filters.peers, new Uint8Array([10, 0, 0, 1]))).toBe(true);
    records.record(infohash, '10.0.0.1', 2000, true, 3);
    expect(records.counts(infohash, 4)).toEqual({ seeds: 1, peers: 0 });
    filters = records.filters(infohash, 4)!;
    expect(bloomHas(filters.seeds, new Uint8Array([10, 0, 0, 1]))).toBe(true);
    expect(bloomHas(filters.peers, new Uint8Array([10, 0, 0, 1]))).toBe(false);
    expect(records.size).toBe(1);
  });

  it('IPv6 addresses are recorded by their 16 bytes', () => {
    const records = new ScrapeRecords();
    records.record(infohash, '2001:db8::1', 6881, true, 0);
    const ipBytes = new Uint8Array(16);
    ipBytes.set([0x20, 0x01, 0x0d, 0xb8]);
    ipBytes[15] = 1;
    expect(bloomHas(records.filters(infohash, 0)!.seeds, ipBytes)).toBe(true);
    expect(records.record(infohash, 'not-an-ip', 6881, true, 0)).toBe(false);
  });

  it('nothing recorded: no filters', () => {
    expect(new ScrapeRecords().filters(infohash, 0)).toBeUndefined();
  });

  it('keeps max(seeds, peers) at 6000: a new IP is refused, a known one still updates', () => {
    const records = new ScrapeRecords();
    for (let i = 0; i < 6000; i++) expect(records.record(infohash, ip(i), 6881, false, 0)).toBe(true);
    expect(records.isFull(infohash, 0)).toBe(true);
    expect(records.record(infohash, ip(6000), 6881, false, 0)).toBe(false);
    expect(records.record(infohash, ip(6001), 6881, true, 0)).toBe(false);
    expect(records.record(infohash, ip(5), 7000, true, 0)).toBe(true);
    expect(records.counts(infohash, 0)).toEqual({ seeds: 1, peers: 5999 });
    const estimate = bloomEstimate(records.filters(infohash, 0)!.peers);
    expect(Math.abs(estimate - 5999) / 5999).toBeLessThan(0.1);
    expect(records.isFull(new Uint8Array(20), 0)).toBe(false);
  });

  it('records expire; the filters are rebuilt without them', () => {
    const records = new ScrapeRecords({ expiryMs: 100 });
    records.record(infohash, '10.0.0.1', 1, false, 0);
    records.record(infohash, '10.0.0.2', 1, false, 50);
    const before = records.filters(infohash, 60)!;
    expect(bloomHas(before.peers, new Uint8Array([10, 0, 0, 1]))).toBe(true);
    const after = records.filters(infohash, 120)!;
    expect(bloomHas(after.peers, new Uint8Array([10, 0, 0, 2]))).toBe(true);
    expect(bloomHas(after.peers, new Uint8Array([10, 0, 0, 1]))).toBe(false);
    expect(records.filters(infohash, 200)).toBeUndefined();
    expect(records.size).toBe(0);
    expect(records.infohashCount).toBe(0);
  });

  it('noseed puts peers before seeds, each most recent first', () => {
    const records = new ScrapeRecords();
    records.record(infohash, '10.0.0.1', 1, true, 0);
    records.record(infohash, '10.0.0.2', 1, false, 1);
    records.record(infohash, '10.0.0.3', 1, true, 2);
    records.record(infohash, '10.0.0.4', 1, false, 3);
    const last = (values: Uint8Array[]): number[] => values.map((v) => v[3]!);
    expect(last(records.values(infohash, 10, false, 4))).toEqual([4, 3, 2, 1]);
    expect(last(records.values(infohash, 10, true, 4))).toEqual([4, 2, 3, 1]);
    expect(last(records.values(infohash, 2, true, 4))).toEqual([4, 2]);
  });

  it('caps the records in total, the oldest going first', () => {
    const records = new ScrapeRecords({ maxTotal: 3 });
    for (let i = 0; i < 5; i++) records.record(new Uint8Array(20).fill(i), '10.0.0.1', 1, false, i);
    expect(records.size).toBe(3);
    expect(records.filters(new Uint8Array(20).fill(0), 5)).toBeUndefined();
    expect(records.filters(new Uint8Array(20).fill(4), 5)).toBeDefined();
  });

  it('the filters of a large swarm, kept between asks, follow every change to it', () => {
    const records = new ScrapeRecords({ expiryMs: 1_000 });
    const v4 = (i: number): Uint8Array => new Uint8Array([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
    for (let i = 0; i < 400; i++) records.record(infohash, ip(i), 6881, false, i);
    const first = records.filters(infohash, 400)!;
    expect(bloomHas(first.peers, v4(3))).toBe(true);
    expect(records.filters(infohash, 400)).toEqual(first); // asked again, unchanged
    // A peer turns seed.
    records.record(infohash, ip(399), 6881, true, 401);
    const turned = records.filters(infohash, 401)!;
    expect(bloomHas(turned.seeds, v4(399))).toBe(true);
    expect(bloomEstimate(turned.seeds)).toBeCloseTo(1, 0);
    // A new IP joins.
    records.record(infohash, ip(5_000), 6881, false, 402);
    expect(bloomHas(records.filters(infohash, 402)!.peers, v4(5_000))).toBe(true);
    // The first 301 expire (announced at 0..300, now 1,300).
    const later = records.filters(infohash, 1_300)!;
    expect(records.counts(infohash, 1_300)).toEqual({ seeds: 1, peers: 99 });
    expect(Math.abs(bloomEstimate(later.peers) - 99)).toBeLessThan(10);
    expect(bloomHas(later.peers, v4(300))).toBe(false);
    // Changes after a copy was handed out do not reach the copy.
    later.peers.fill(0);
    expect(bloomEstimate(records.filters(infohash, 1_300)!.peers)).toBeGreaterThan(90);
  });
});
