/**
 * The nodes whose BEP 51 samples listed an infohash (src/crawl/harvest/sample-holders.ts):
 * `samples` read from the raw answer wherever it sits among the keys, hostile
 * or truncated bytes never read past the dictionary, the table bounded.
 */
import { describe, expect, it } from 'vitest';
import bencode from 'bencode';
import { SampleHolders, samplesOf } from '../../src/crawl/harvest/sample-holders.ts';
import type { KrpcResponse } from '../../src/ground/messages.ts';
import { toHex } from '../../src/util/hex.ts';

const ih = (n: number): Uint8Array => new Uint8Array(20).fill(n);

/** A response whose `r` dictionary is `r`, framed by other bytes as in a datagram. */
function answer(r: Record<string, unknown>): KrpcResponse {
  const body = bencode.encode(r) as Uint8Array;
  const datagram = new Uint8Array(body.length + 10);
  datagram.set(body, 5);
  return { y: 'r', t: new Uint8Array([1]), r: {}, datagram, bodyStart: 5, bodyEnd: 5 + body.length } as unknown as KrpcResponse;
}

const from = (host: string) => ({ host, port: 6881, family: 4 as const });

describe('samplesOf', () => {
  it('finds the samples string after keys of every kind, and only a top-level one', () => {
    const samples = new Uint8Array([...ih(1), ...ih(2)]);
    const r = answer({ id: ih(9), interval: 21600, nodes: new Uint8Array(26), num: 2, samples, zz: [1, { samples: ih(7) }] });
    const range = samplesOf(r.datagram, r.bodyStart, r.bodyEnd)!;
    expect(r.datagram.subarray(range.start, range.end)).toEqual(samples);
    // A nested `samples` (inside a list or dict value) is not the answer's.
    const nested = answer({ id: ih(9), x: { samples: ih(7) } });
    expect(samplesOf(nested.datagram, nested.bodyStart, nested.bodyEnd)).toBeUndefined();
  });

  it('gives up on bytes that are not a dictionary or run past its end', () => {
    const r = answer({ id: ih(9), samples: ih(1) });
    for (let end = r.bodyStart; end < r.bodyEnd - 1; end++) {
      const range = samplesOf(r.datagram, r.bodyStart, end);
      if (range !== undefined) expect(range.end).toBeLessThanOrEqual(end);
    }
    const junk = new TextEncoder().encode('d7:samples99999:abce');
    expect(samplesOf(junk, 0, junk.length)).toBeUndefined();
    const notDict = new TextEncoder().encode('l7:samples20:aaaaaaaaaaaaaaaaaaaae');
    expect(samplesOf(notDict, 0, notDict.length)).toBeUndefined();
    const badLength = new TextEncoder().encode('d7:samples-1:e');
    expect(samplesOf(badLength, 0, badLength.length)).toBeUndefined();
  });
});

describe('SampleHolders', () => {
  it('remembers the first two nodes listing each infohash, once each, until taken', () => {
    const holders = new SampleHolders();
    const samples = new Uint8Array([...ih(1), ...ih(2), 0xaa]); // a trailing partial infohash is ignored
    holders.note(answer({ id: ih(9), samples }), from('127.0.0.1'));
    holders.note(answer({ id: ih(9), samples }), from('127.0.0.1'));
    holders.note(answer({ id: ih(8), samples: ih(1) }), from('127.0.0.2'));
    holders.note(answer({ id: ih(7), samples: ih(1) }), from('127.0.0.3'));
    expect(holders.size).toBe(2);
    expect(holders.take(toHex(ih(1))).map((h) => h.host)).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(holders.take(toHex(ih(1)))).toEqual([]);
    expect(holders.take(toHex(ih(2))).map((h) => h.host)).toEqual(['127.0.0.1']);
    expect(holders.size).toBe(0);
  });

  it('ignores answers without samples and stays within its cap, oldest forgotten first', () => {
    const holders = new SampleHolders(3);
    holders.note(answer({ id: ih(9), nodes: new Uint8Array(26) }), from('127.0.0.1'));
    expect(holders.size).toBe(0);
    for (let n = 1; n <= 5; n++) holders.note(answer({ id: ih(9), samples: ih(n) }), from(`127.0.0.${n}`));
    expect(holders.size).toBe(3);
    expect(holders.take(toHex(ih(1)))).toEqual([]);
    expect(holders.take(toHex(ih(5))).map((h) => h.host)).toEqual(['127.0.0.5']);
    expect(() => new SampleHolders(0)).toThrow(/cap/);
  });
});
