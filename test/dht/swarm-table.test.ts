/**
 * The packed swarm table against a plain model (arrays of records, searched
 * linearly): random puts, removals and expiries over few infohashes and keys
 * (so refreshes, caps, renumbering and hash deletions all happen often), the
 * two must agree after every step.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NONE, SwarmTable } from '../../src/dht/swarm-table.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { bytesKey } from '../../src/util/bytes.ts';

interface ModelEntry {
  infohash: string;
  key: string;
  bytes: string;
  time: number;
  tag: number;
}

const EXPIRY = 100;
const ENTRY = 6;
const KEY = 4;

function ih(n: number): Uint8Array {
  const out = new Uint8Array(20);
  out[0] = n;
  out[19] = n * 7;
  return out;
}

function entry(key: number, rest: number): Uint8Array {
  return new Uint8Array([key, key * 3, 0, 1, rest, rest >> 8]);
}

/** The table's contents: per infohash, its entries oldest first. */
function tableView(table: SwarmTable, infohashes: number): Map<string, string[]> {
  const view = new Map<string, string[]>();
  for (let n = 0; n < infohashes; n++) {
    const i = table.find(ih(n));
    if (i === NONE) continue;
    const entries: string[] = [];
    for (let e = table.first(i); e !== NONE; e = table.next(e)) {
      expect(table.owner(e)).toBe(i);
      entries.push(`${bytesKey(table.data.subarray(e * ENTRY, e * ENTRY + ENTRY))}/${table.tag(e)}`);
    }
    expect(entries).toHaveLength(table.count(i));
    view.set(bytesKey(ih(n)), entries);
  }
  return view;
}

function modelView(model: ModelEntry[]): Map<string, string[]> {
  const view = new Map<string, string[]>();
  for (const m of model) {
    const list = view.get(m.infohash) ?? [];
    list.push(`${m.bytes}/${m.tag}`);
    view.set(m.infohash, list);
  }
  return view;
}

type Op = { kind: 'put'; infohash: number; key: number; rest: number; dt: number } | { kind: 'remove'; pick: number } | { kind: 'expire'; dt: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('put' as const), infohash: fc.nat(11), key: fc.nat(9), rest: fc.nat(65_535), dt: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), dt: fc.nat(60) }) },
);

describe('SwarmTable', () => {
  it('agrees with a plain model through random puts, removals and expiries', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 30 }), (ops, maxPer, maxTotal) => {
        const removed: number[] = [];
        const table = new SwarmTable({ entryBytes: ENTRY, keyBytes: KEY, maxPerInfohash: maxPer, maxTotal, expiryMs: EXPIRY, random: seededRandom(3), onRemove: (e) => removed.push(e) });
        // Model order: oldest write first.
        let model: ModelEntry[] = [];
        let now = 0;
        const drop = (m: ModelEntry): void => {
          model = model.filter((x) => x !== m);
        };
        for (const o of ops) {
          if (o.kind === 'put') {
            now += o.dt;
            const bytes = entry(o.key, o.rest);
            const infohash = bytesKey(ih(o.infohash));
            const key = bytesKey(bytes.subarray(0, KEY));
            const old = model.find((m) => m.infohash === infohash && m.key === key);
            if (old) drop(old);
            model.push({ infohash, key, bytes: bytesKey(bytes), time: now, tag: o.rest });
            const mine = model.filter((m) => m.infohash === infohash);
            if (mine.length > maxPer) drop(mine[0]!);
            if (model.length > maxTotal) drop(model[0]!);
            const e = table.put(ih(o.infohash), bytes, now, o.rest);
            expect(bytesKey(table.data.subarray(e * ENTRY, e * ENTRY + ENTRY))).toBe(bytesKey(bytes));
          } else if (o.kind === 'remove') {
            if (model.length === 0) continue;
            const m = model[o.pick % model.length]!;
            const n = ih(m.infohash.charCodeAt(0));
            const i = table.find(n);
            expect(i).not.toBe(NONE);
            const e = table.findEntry(i, new Uint8Array([...m.key].map((c) => c.charCodeAt(0))));
            expect(e).not.toBe(NONE);
            table.remove(e);
            drop(m);
          } else {
            now += o.dt;
            table.expire(now);
            model = model.filter((m) => now - m.time < EXPIRY);
          }
          expect(table.size).toBe(model.length);
          expect(table.infohashCount).toBe(new Set(model.map((m) => m.infohash)).size);
          expect(tableView(table, 12)).toEqual(modelView(model));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds every entry and infohash after many deletions from crowded hash tables', () => {
    const table = new SwarmTable({ entryBytes: 6, keyBytes: 6, maxPerInfohash: 1_000, maxTotal: 4_000, expiryMs: 1e9, random: seededRandom(7) });
    const random = seededRandom(8);
    const live = new Map<string, { infohash: Uint8Array; peer: Uint8Array }>();
    for (let round = 0; round < 6; round++) {
      while (live.size < 3_000) {
        const infohash = ih(0);
        random(infohash.subarray(0, 1)); // 256 infohashes, ~12 entries each
        const peer = new Uint8Array(6);
        random(peer);
        const e = table.put(infohash, peer, round);
        live.set(bytesKey(infohash) + bytesKey(peer), { infohash, peer });
        expect(table.findEntry(table.owner(e), peer)).toBe(e);
      }
      const keys = [...live.keys()];
      for (let k = 0; k < keys.length; k += 2) {
        const v = live.get(keys[k]!)!;
        table.remove(table.findEntry(table.find(v.infohash), v.peer));
        live.delete(keys[k]!);
      }
      for (const v of live.values()) {
        const i = table.find(v.infohash);
        expect(i).not.toBe(NONE);
        expect(table.findEntry(i, v.peer)).not.toBe(NONE);
      }
      expect(table.size).toBe(live.size);
    }
  });

  it('never holds more entry slots than its cap allows, however many distinct entries pass', () => {
    const table = new SwarmTable({ entryBytes: 6, keyBytes: 6, maxPerInfohash: 50, maxTotal: 1_000, expiryMs: 1e9, random: seededRandom(5) });
    const random = seededRandom(9);
    const infohash = new Uint8Array(20);
    const peer = new Uint8Array(6);
    for (let i = 0; i < 20_000; i++) {
      random(infohash);
      random(peer);
      table.put(infohash, peer, i);
    }
    expect(table.size).toBe(1_000);
    expect(table.infohashCount).toBe(1_000);
    const grown = table.footprint;
    for (let i = 0; i < 20_000; i++) {
      random(infohash);
      random(peer);
      table.put(infohash, peer, 20_000 + i);
    }
    // The arrays stopped growing at the cap: the second 20,000 reused them.
    expect(table.footprint).toBe(grown);
    expect(grown).toBeLessThan(1_001 * 6 * 20 * 2);
  });

  it('costs a few KB for its first entry whatever its cap, and keeps every entry while it grows', () => {
    const table = new SwarmTable({ entryBytes: 6, keyBytes: 6, maxPerInfohash: 100_000, maxTotal: 100_000, expiryMs: 1e9, random: seededRandom(11) });
    const random = seededRandom(12);
    const infohash = new Uint8Array(20);
    const peers: Uint8Array[] = [];
    const add = (): void => {
      const peer = new Uint8Array(6);
      random(peer);
      peers.push(peer);
      table.put(infohash, peer, peers.length);
    };
    add();
    // Not reserved at the cap (100,000 entries would be megabytes): a fresh node's first announce stays cheap.
    expect(table.footprint).toBeLessThan(16 * 1024);
    // Across the doublings and the jump to the reserve (past 4,096 entries).
    while (peers.length < 10_000) add();
    const ih = table.find(infohash);
    expect(table.count(ih)).toBe(10_000);
    let i = 0;
    for (let e = table.first(ih); e !== NONE; e = table.next(e), i++) {
      expect(table.data.subarray(e * 6, e * 6 + 6)).toEqual(peers[i]);
      expect(table.findEntry(ih, peers[i]!)).toBe(e);
    }
    expect(i).toBe(10_000);
  });

  it('draws uniform samples of distinct infohashes', () => {
    const table = new SwarmTable({ entryBytes: 6, keyBytes: 6, maxPerInfohash: 5, maxTotal: 1_000, expiryMs: 1e9, random: seededRandom(5) });
    for (let n = 0; n < 40; n++) table.put(ih(n), entry(1, n), 0);
    const out = new Int32Array(10);
    const seen = new Array<number>(40).fill(0);
    const random = seededRandom(11);
    for (let round = 0; round < 4_000; round++) {
      const k = table.sample(10, random, out);
      expect(k).toBe(10);
      const picked = [...out.subarray(0, k)];
      expect(new Set(picked).size).toBe(10);
      for (const i of picked) seen[i]!++;
    }
    // Each of 40 is drawn 1,000 times in expectation (σ ≈ 27).
    for (const times of seen) expect(Math.abs(times - 1_000)).toBeLessThan(150);
    expect(table.sample(100, random, new Int32Array(100))).toBe(40);
  });
});
