import { describe, expect, it } from 'vitest';
import { MemoryPeerStore, maxValuesFor } from '../../src/dht/peer-store.ts';
import type { PeerStore } from '../../src/dht/peer-store.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { encodeCompactAddress, decodeCompactPeers } from '../../src/krpc/compact.ts';
import { bytesKey } from '../../src/util/bytes.ts';

const MINUTE = 60_000;
const ih = (n: number): Uint8Array => new Uint8Array(20).fill(n);
const peer = (n: number, port = 6881): Uint8Array => encodeCompactAddress(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port)!;
const hosts = (values: Uint8Array[]): string[] => decodeCompactPeers(values).map((p) => `${p.host}:${p.port}`).sort();

function store(options: Partial<{ maxPerInfohash: number; maxTotal: number }> = {}): MemoryPeerStore {
  return new MemoryPeerStore({ random: seededRandom(1), ...options });
}

describe('MemoryPeerStore', () => {
  it('stores peers per infohash and returns them', () => {
    const s: PeerStore = store();
    s.add(ih(1), peer(1), 0);
    s.add(ih(1), peer(2), 0);
    s.add(ih(2), peer(3), 0);
    expect(hosts(s.get(ih(1), 100, 0))).toEqual(['10.0.0.1:6881', '10.0.0.2:6881']);
    expect(hosts(s.get(ih(3), 100, 0))).toEqual([]);
    expect(s.size).toBe(3);
    expect(s.infohashCount).toBe(2);
  });

  it('keeps one entry per peer; a re-announce refreshes it', () => {
    const s = store();
    s.add(ih(1), peer(1), 0);
    s.add(ih(1), peer(1), 20 * MINUTE);
    expect(s.size).toBe(1);
    expect(s.get(ih(1), 100, 45 * MINUTE)).toHaveLength(1); // 25 min after the re-announce
    expect(s.get(ih(1), 100, 50 * MINUTE)).toHaveLength(0); // 30 min after it
  });

  it('expires peers 30 minutes after their last announce', () => {
    const s = store();
    s.add(ih(1), peer(1), 0);
    s.add(ih(1), peer(2), 10 * MINUTE);
    expect(hosts(s.get(ih(1), 100, 30 * MINUTE - 1))).toHaveLength(2);
    expect(hosts(s.get(ih(1), 100, 30 * MINUTE))).toEqual(['10.0.0.2:6881']);
    s.expire(40 * MINUTE);
    expect(s.size).toBe(0);
    expect(s.infohashCount).toBe(0);
  });

  it('caps peers per infohash, evicting the oldest announce', () => {
    const s = store({ maxPerInfohash: 3 });
    for (let i = 1; i <= 5; i++) s.add(ih(1), peer(i), i);
    expect(hosts(s.get(ih(1), 100, 10))).toEqual(['10.0.0.3:6881', '10.0.0.4:6881', '10.0.0.5:6881']);
    s.add(ih(2), peer(9), 11);
    expect(s.size).toBe(4);
  });

  it('caps peers in total, evicting the oldest announce anywhere', () => {
    const s = store({ maxTotal: 4 });
    s.add(ih(1), peer(1), 1);
    s.add(ih(2), peer(2), 2);
    s.add(ih(1), peer(3), 3);
    s.add(ih(3), peer(4), 4);
    s.add(ih(1), peer(1), 5); // refresh: peer 1 is now the newest
    s.add(ih(4), peer(5), 6); // evicts peer 2 (ih 2), the oldest
    expect(s.size).toBe(4);
    expect(s.get(ih(2), 100, 6)).toEqual([]);
    expect(s.infohashCount).toBe(3);
    expect(hosts(s.get(ih(1), 100, 6))).toEqual(['10.0.0.1:6881', '10.0.0.3:6881']);
  });

  it('returns at most `max`, a random subset without duplicates', () => {
    const s = store();
    for (let i = 0; i < 500; i++) s.add(ih(1), peer(i), 0);
    const a = s.get(ih(1), 100, 0);
    const b = s.get(ih(1), 100, 0);
    expect(a).toHaveLength(100);
    expect(new Set(a.map(bytesKey)).size).toBe(100);
    expect(a.map(bytesKey)).not.toEqual(b.map(bytesKey));
  });

  it('peerItems: the same draw as compactPeers, each peer as a bencoded list item (IPv4 and IPv6, all or a subset)', () => {
    for (const length of [6, 18] as const) {
      for (const count of [3, 500]) {
        const packed = new MemoryPeerStore({ random: seededRandom(5), peerLength: length });
        const items = new MemoryPeerStore({ random: seededRandom(5), peerLength: length });
        for (let i = 0; i < count; i++) {
          const p = length === 6 ? peer(i) : encodeCompactAddress(`fd00::${(i + 1).toString(16)}`, 6881)!;
          packed.add(ih(1), p, 0);
          items.add(ih(1), p, 0);
        }
        for (let round = 0; round < 3; round++) {
          const want = packed.compactPeers(ih(1), 100, 0).slice();
          const got = items.peerItems(ih(1), 100, 0).slice();
          const prefix = length === 6 ? '6:' : '18:';
          const expected: number[] = [];
          for (let at = 0; at < want.length; at += length) expected.push(...Buffer.from(prefix), ...want.subarray(at, at + length));
          expect(Buffer.from(got).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
          expect(want.length).toBe(Math.min(count, 100) * length);
        }
        expect(items.peerItems(ih(2), 100, 0)).toHaveLength(0);
      }
    }
  });

  it('sizes get_peers answers to a packet: 100 IPv4 peers, fewer IPv6 ones', () => {
    expect(maxValuesFor(6)).toBe(100);
    expect(maxValuesFor(18)).toBeLessThan(100);
    expect(maxValuesFor(18) * (18 + 3)).toBeLessThanOrEqual(1000);
  });
});
