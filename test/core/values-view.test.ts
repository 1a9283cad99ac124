/**
 * The packed `values` view of a received get_peers response: the decoders give
 * one view of the datagram, read item by item on demand; a view over any bytes
 * (hostile, truncated, lying about its count) reads safely and stops.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.ts';
import { ValuesView } from '../../src/ground/messages.ts';

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array): string => String.fromCharCode(...b);

describe('ValuesView', () => {
  it('reads the items of a list, each a view of the same buffer', () => {
    const bytes = latin1('6:abcdef18:0123456789abcdefgh0:6:ghijkl');
    const view = new ValuesView(bytes, 4);
    expect([...view].map(text)).toEqual(['abcdef', '0123456789abcdefgh', '', 'ghijkl']);
    expect(view.toArray().map((v) => v.buffer === bytes.buffer)).toEqual([true, true, true, true]);
    expect(text(view.at(1)!)).toBe('0123456789abcdefgh');
    expect(view.at(1)!.byteOffset).toBe(11);
    expect(text(view.at(3)!)).toBe('ghijkl');
    expect([view.at(4), view.at(-1), view.at(0.5)]).toEqual([undefined, undefined, undefined]);
  });

  it('stops at the first malformed item and never reads past the bytes', () => {
    const cases: [string, number, string[]][] = [
      ['6:abcdef7:short', 2, ['abcdef']], // length past the end
      ['6:abcdefx:abc', 2, ['abcdef']], // no digit
      ['6:abcdef6abcdef', 2, ['abcdef']], // no colon
      ['99999999999:a', 1, []], // more than 10 digits
      ['6:abcdef', 5, ['abcdef']], // count larger than the items
      ['6:abcdef6:ghijkl', 1, ['abcdef']], // count smaller: only that many
      ['', 3, []],
    ];
    for (const [bytes, count, items] of cases) {
      const view = new ValuesView(latin1(bytes), count);
      expect([...view].map(text)).toEqual(items);
      expect(view.at(count - 1) === undefined).toBe(items.length < count);
    }
  });

  it('reads any bytes without throwing, every item inside them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -2, max: 40 }), (bytes, count) => {
        const items = [...new ValuesView(bytes, count)];
        expect(items.length).toBeLessThanOrEqual(Math.max(count, 0));
        for (const item of items) expect(item.byteOffset + item.length).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('of() packs items that read back the same', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 60 }), (values) => {
        const view = ValuesView.of(values);
        expect(view.length).toBe(values.length);
        expect(view.toArray()).toEqual(values);
      }),
    );
  });

  for (const backend of ['wasm', 'js'] as const) {
    it(`is what decodeKrpc gives for values on the ${backend} backend: one view of the datagram, same items`, async () => {
      const core = await loadCore(backend);
      const values = Array.from({ length: 50 }, (_, i) => Uint8Array.of(10, 0, 0, i, 0x1a, i));
      values.push(new Uint8Array(18).fill(7));
      const datagram = core.encodeKrpc({ y: 'r', t: latin1('aa'), r: { id: new Uint8Array(20), values } });
      const decoded = core.decodeKrpc(datagram);
      if (decoded.y !== 'r') throw new Error(`not a response: ${decoded.y}`);
      const view = decoded.r.values!;
      expect(view).toBeInstanceOf(ValuesView);
      expect(view.length).toBe(51);
      expect(view.bytes.buffer).toBe(datagram.buffer);
      expect(text(view.bytes)).toBe(text(datagram).slice(text(datagram).indexOf('6:valuesl') + 9, -'ee1:t2:aa1:y1:re'.length));
      expect(view.toArray()).toEqual(values);
      const empty = core.decodeKrpc(core.encodeKrpc({ y: 'r', t: latin1('aa'), r: { id: new Uint8Array(20), values: [] } }));
      if (empty.y !== 'r') throw new Error('not a response');
      expect([empty.r.values!.length, [...empty.r.values!].length]).toEqual([0, 0]);
    });
  }
});
