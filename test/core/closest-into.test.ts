/**
 * closestInto(target, k, out) is `closest` written into the caller's buffer: held
 * to the same bytes as `closest` (same backend) and as the js backend's `closest`,
 * over random tables, targets and k; `out` too small, larger than needed, and a
 * subarray with a byteOffset.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { seededBytes } from '../helpers/bytes.ts';
import { toHex } from '../../src/util/hex.ts';
import { loadCore, type Core } from '../../src/core/index.ts';
import type { RoutingTable } from '../../src/core/routing-types.ts';

/** A table (one on each of two cores) from a seed: random ids, some near ours, a few bad nodes. */
function build(cores: Core[], seed: number, size: number, addressLength: 6 | 18, k: number): RoutingTable[] {
  const random = seededBytes(seed);
  const own = random(20);
  const tables = cores.map((core) => core.createRoutingTable({ id: own, addressLength, k }));
  for (let i = 0; i < size; i++) {
    const id = random(20);
    if (i % 3 === 0) id.set(own.subarray(0, 1 + (i % 6))); // near our id: deep buckets
    const address = random(addressLength);
    for (const t of tables) t.add(id, address, i, i % 4 !== 0);
  }
  const nodes = tables[0]!.nodes();
  for (let i = 0; i < nodes.length; i += 7) {
    for (const t of tables) {
      t.failed(nodes[i]!.id);
      t.failed(nodes[i]!.id); // bad at the default maxFailures of 2: closest skips it
    }
  }
  return tables;
}

const SENTINEL = 0xa5;

describe.each(backends)('closestInto on the %s backend', (backend) => {
  let core: Core;
  let js: Core;
  beforeAll(async () => {
    [core, js] = await Promise.all([loadCore(backend), loadCore('js')]);
  });

  it('writes the bytes closest returns (and the js backend returns), over random tables, targets and k (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.integer({ min: 0, max: 600 }),
        fc.constantFrom<6 | 18>(6, 18),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(8, 8.5, 2000, Infinity, -1, Number.NaN)), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 64 }),
        (seed, size, addressLength, bucketK, ks, slack) => {
          const [ours, reference] = build([core, js], seed, size, addressLength, bucketK);
          const random = seededBytes(seed ^ 0x5a5a);
          const width = 20 + addressLength;
          for (const k of ks) {
            const target = random(20);
            const expected = toHex(reference!.closest(target, k));
            expect(toHex(ours!.closest(target, k))).toBe(expected);
            const room = Math.min(Number.isFinite(k) ? Math.max(0, Math.floor(k)) : ours!.size, ours!.size) * width + slack;
            const backing = new Uint8Array(room + 16).fill(SENTINEL);
            const out = backing.subarray(7, 7 + room);
            const written = ours!.closestInto(target, k, out);
            expect(toHex(out.subarray(0, written))).toBe(expected);
            expect(backing.subarray(0, 7).every((b) => b === SENTINEL)).toBe(true);
            expect(backing.subarray(7 + written).every((b) => b === SENTINEL)).toBe(true);
          }
          ours!.dispose();
          reference!.dispose();
        },
      ),
      { numRuns: 40, seed: 55 },
    );
  });

  it('throws a RangeError and writes nothing when out has no room for min(k, size) nodes', () => {
    const [t] = build([core], 9, 300, 6, 8);
    const target = seededBytes(10)(20);
    const out = new Uint8Array(8 * 26 - 1).fill(SENTINEL);
    expect(() => t!.closestInto(target, 8, out)).toThrow(RangeError);
    expect(() => t!.closestInto(target, 8, out)).toThrow(/closestInto out holds 207 bytes: 8 nodes of 26 bytes need 208/);
    expect(out.every((b) => b === SENTINEL)).toBe(true);
    // exactly room for 8 is enough; so is room for fewer when k asks fewer
    expect(t!.closestInto(target, 8, new Uint8Array(208))).toBe(208);
    expect(t!.closestInto(target, 7, out)).toBe(182);
    expect(t!.closestInto(target, 0, new Uint8Array(0))).toBe(0);
    // a table smaller than k needs room for its nodes only
    const small = core.createRoutingTable({ id: new Uint8Array(20), addressLength: 18 });
    small.add(new Uint8Array(20).fill(1), new Uint8Array(18).fill(2), 0, true);
    const one = new Uint8Array(38);
    expect(small.closestInto(target, 8, one)).toBe(38);
    expect(toHex(one)).toBe(toHex(small.closest(target, 8)));
    expect(() => small.closestInto(target, 8, new Uint8Array(37))).toThrow(RangeError);
    small.dispose();
    t!.dispose();
  });

  it('rejects a bad target or out with a TypeError, as closest does', () => {
    const [t] = build([core], 3, 50, 6, 8);
    const out = new Uint8Array(208);
    expect(() => t!.closestInto(new Uint8Array(19), 8, out)).toThrow(TypeError);
    expect(() => t!.closestInto(new Uint8Array(20), 8, [] as unknown as Uint8Array)).toThrow(/closestInto out must be a Uint8Array/);
    t!.dispose();
    if (backend === 'wasm') expect(() => t!.closestInto(new Uint8Array(20), 8, out)).toThrow(/after dispose/); // its region is gone
  });

  it("leaves the caller's bytes alone on later calls", () => {
    const [t] = build([core], 21, 2000, 6, 8);
    const random = seededBytes(22);
    const first = random(20);
    const out = new Uint8Array(208);
    const written = t!.closestInto(first, 8, out);
    const kept = toHex(out.subarray(0, written));
    for (let i = 0; i < 50; i++) {
      t!.closest(random(20), 8);
      t!.closestInto(random(20), 8, new Uint8Array(208));
    }
    expect(toHex(out.subarray(0, written))).toBe(kept);
    expect(toHex(t!.closest(first, 8))).toBe(kept);
    t!.dispose();
  });
});
