/**
 * The BEP 51 fields read in place from a sample_infohashes answer
 * (src/dht/sample/scan.ts, used by the walker and the crawler's sample
 * holders instead of decoding the answer a second time): the same values as a
 * full bencode decode, top-level keys only, and nothing read past the bytes
 * given whatever they hold.
 */
import { describe, expect, it } from 'vitest';
import bencode from 'bencode';
import { scanSampleFields } from '../../src/dht/sample/scan.ts';
import { seededRandom } from '../../src/ground/random.ts';

const ih = (n: number): Uint8Array => new Uint8Array(20).fill(n);
const encode = (value: unknown): Uint8Array => bencode.encode(value) as Uint8Array;

/** The fields as a full decode sees them: byte string samples, integer num and interval. */
function byDecode(bytes: Uint8Array): { samples?: Uint8Array; num?: number; interval?: number } {
  const r = bencode.decode(bytes) as Record<string, unknown>;
  return {
    ...(r['samples'] instanceof Uint8Array ? { samples: r['samples'] } : {}),
    ...(typeof r['num'] === 'number' ? { num: r['num'] } : {}),
    ...(typeof r['interval'] === 'number' ? { interval: r['interval'] } : {}),
  };
}

function byScan(bytes: Uint8Array): { samples?: Uint8Array; num?: number; interval?: number } | undefined {
  const fields = scanSampleFields(bytes, 0, bytes.length);
  if (fields === undefined) return undefined;
  return {
    ...(fields.samples ? { samples: bytes.slice(fields.samples.start, fields.samples.end) } : {}),
    ...(fields.num !== undefined ? { num: fields.num } : {}),
    ...(fields.interval !== undefined ? { interval: fields.interval } : {}),
  };
}

describe('scanSampleFields', () => {
  it('reads what a full decode reads, wherever the keys sit and whatever else the answer holds', () => {
    const answers: Record<string, unknown>[] = [
      { id: ih(9), interval: 21600, nodes: new Uint8Array(208), num: 57, samples: new Uint8Array([...ih(1), ...ih(2)]) },
      { id: ih(9), nodes: new Uint8Array(26) }, // a node without BEP 51: answered like find_node
      { id: ih(9), interval: 0, num: 0, samples: new Uint8Array(0) },
      { id: ih(9), interval: -5, num: -1, samples: ih(3), v: 'LT', zz: [1, { samples: ih(7), num: 9 }], a: { interval: 3 } },
      { id: ih(9), interval: 'soon', num: [2], samples: 12 }, // wrong types: not told
      { samples: ih(4), num: 123456789012, interval: 99999999999 },
    ];
    for (const r of answers) {
      const bytes = encode(r);
      expect(byScan(bytes), JSON.stringify(Object.keys(r))).toEqual(byDecode(bytes));
    }
  });

  it('ignores a nested samples, num or interval', () => {
    const bytes = encode({ id: ih(9), x: { samples: ih(7), num: 4, interval: 60 }, y: [{ samples: ih(8) }] });
    expect(byScan(bytes)).toEqual({});
  });

  it('reads only inside [start, end): a dictionary framed by other bytes, and every truncation refused', () => {
    const body = encode({ id: ih(9), interval: 60, num: 2, samples: new Uint8Array([...ih(1), ...ih(2)]) });
    const framed = new Uint8Array(body.length + 10).fill(0x65);
    framed.set(body, 5);
    const fields = scanSampleFields(framed, 5, 5 + body.length)!;
    expect(framed.subarray(fields.samples!.start, fields.samples!.end)).toEqual(new Uint8Array([...ih(1), ...ih(2)]));
    expect(fields.num).toBe(2);
    expect(fields.interval).toBe(60);
    for (let end = 5; end < 5 + body.length; end++) expect(scanSampleFields(framed, 5, end), `end ${end}`).toBeUndefined();
  });

  it('never throws and never points past its bytes on mangled answers', () => {
    const random = seededRandom(42);
    const body = encode({ id: ih(9), interval: 21600, nodes: new Uint8Array(52), num: 7, samples: new Uint8Array(140), zz: [1, { a: 'b' }] });
    const one = new Uint8Array(1);
    const pick = (n: number): number => {
      random(one);
      return one[0]! % n;
    };
    for (let round = 0; round < 2_000; round++) {
      const bytes = body.slice();
      for (let flips = 1 + pick(4); flips > 0; flips--) bytes[pick(bytes.length)] = [0x30, 0x39, 0x3a, 0x64, 0x65, 0x69, 0x6c, 0x2d, pick(256)][pick(9)]!;
      const fields = scanSampleFields(bytes, 0, bytes.length);
      if (fields?.samples) {
        expect(fields.samples.start).toBeGreaterThanOrEqual(0);
        expect(fields.samples.end).toBeLessThanOrEqual(bytes.length);
        expect(fields.samples.end).toBeGreaterThanOrEqual(fields.samples.start);
      }
    }
    expect(scanSampleFields(new Uint8Array([0x6c, 0x65]), 0, 2)).toBeUndefined(); // a list
    expect(scanSampleFields(new Uint8Array(0), 0, 0)).toBeUndefined();
    expect(scanSampleFields(new Uint8Array([0x64]), 0, 5)).toBeUndefined(); // end past the bytes
  });
});
