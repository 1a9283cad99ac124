/**
 * Quick self-check of the wasm backend on its own (the shared suites in
 * test/core/ hold both backends to the spec and to each other).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmCore } from '../../src/core/wasm/index.ts';
import { AddResult, BencodeError, type BencodeValue } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** An id sharing exactly `shared` leading bits with `id`. */
function idSharing(id: Uint8Array, shared: number, fill: number): Uint8Array {
  const out = new Uint8Array(20).fill(fill);
  for (let bit = 0; bit <= shared && bit < 160; bit++) {
    const mask = 0x80 >> (bit & 7);
    const ours = id[bit >> 3]! & mask;
    const value = bit < shared ? ours : ours ^ mask;
    out[bit >> 3] = (out[bit >> 3]! & ~mask) | value;
  }
  return out;
}

let core: Core;
beforeAll(async () => {
  core = await loadWasmCore();
});

describe('wasm core smoke', () => {
  it('round-trips values through encode and decode', () => {
    const values: BencodeValue[] = [
      0,
      -42,
      Number.MAX_SAFE_INTEGER,
      2n ** 64n,
      -(2n ** 70n),
      ascii('spam'),
      new Uint8Array(0),
      [],
      [1, [2, [ascii('x')]], {}],
      { a: 1, b: ascii('B'), nested: { list: [ascii(''), 7] }, '\u00ff': 3 },
    ];
    for (const value of values) {
      const bytes = core.encode(value);
      expect(core.decode(bytes)).toEqual(value);
      expect(core.encode(core.decode(bytes))).toEqual(bytes);
    }
    expect(core.encode({ b: 1, a: 'é', c: undefined })).toEqual(ascii('d1:a2:\u00c3\u00a91:bi1ee'));
  });

  it('decodes inputs larger than the fixed input region', () => {
    const list = Array.from({ length: 30000 }, (_, i) => i);
    const bytes = core.encode(list);
    expect(bytes.length).toBeGreaterThan(65536);
    expect(core.decode(bytes)).toEqual(list);
  });

  it('reports the error code and offset of bad input', () => {
    const cases: [string, string, number][] = [
      ['', 'unexpected-end', 0],
      ['i03e', 'leading-zero', 1],
      ['i-0e', 'negative-zero', 2],
      ['d1:bi1e1:ai2ee', 'unsorted-keys', 7],
      ['d1:ai1e1:ai2ee', 'duplicate-key', 7],
      ['4:abc', 'length-exceeds-buffer', 0],
      ['i1ex', 'trailing-bytes', 3],
      ['l'.repeat(65), 'too-deep', 64],
    ];
    for (const [input, code, offset] of cases) {
      let error: unknown;
      try {
        core.decode(ascii(input));
      } catch (e) {
        error = e;
      }
      expect(error, input).toBeInstanceOf(BencodeError);
      expect((error as BencodeError).code, input).toBe(code);
      expect((error as BencodeError).offset, input).toBe(offset);
    }
  });

  it('decodes a ping query to subarrays of the datagram', () => {
    const datagram = ascii('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe');
    const message = core.decodeKrpc(datagram);
    expect(message).toMatchObject({ y: 'q', q: 'ping', bodyStart: 4, bodyEnd: 33 });
    if (message.y !== 'q') throw new Error('not a query');
    expect(message.t).toEqual(ascii('aa'));
    expect(message.a.id).toEqual(ascii('abcdefghij0123456789'));
    expect(message.a.id!.buffer).toBe(datagram.buffer);
    expect(message.datagram).toBe(datagram);
  });

  it('keeps t and q on semantic failures', () => {
    const failure = core.decodeKrpc(ascii('d1:ad2:id3:abc4:porti1.ee1:q9:get_peers1:t2:xy1:y1:qe'));
    expect(failure).toMatchObject({ y: 'invalid', code: 'invalid-byte' });
    // A port beyond 2^53 is a valid integer but not a safe one: wrong-type at its value.
    const text = 'd1:ad4:porti99999999999999999999ee1:q9:get_peers1:t2:xy1:y1:qe';
    const wrong = core.decodeKrpc(ascii(text));
    const offset = text.indexOf('i99');
    expect(wrong).toEqual({ y: 'invalid', code: 'wrong-type', offset, field: 'port', t: ascii('xy'), q: 'get_peers' });
  });

  it('encodes a get_peers response byte for byte', () => {
    const bytes = core.encodeKrpc({
      y: 'r',
      t: ascii('aa'),
      r: { id: ascii('abcdefghij0123456789'), token: ascii('tok'), values: [ascii('axje.u'), ascii('idhtnm')] },
      extra: { p: 1 },
    });
    const expected = 'd1:rd2:id20:abcdefghij01234567891:pi1e5:token3:tok6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re';
    expect(new TextDecoder().decode(bytes)).toBe(expected);
  });

  it('hashes: sha1("abc") and crc32c("123456789")', () => {
    expect(hex(core.sha1(ascii('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(hex(core.sha1(new Uint8Array(0)))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(hex(core.sha1(ascii('a'.repeat(1_000_000).slice(0, 56))))).toHaveLength(40);
    expect(core.crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(core.crc32c(new Uint8Array(0))).toBe(0);
  });

  it('keeps a routing table: add, split, closest, failures, dispose', () => {
    const id = new Uint8Array(20).fill(0x55);
    const table = core.createRoutingTable({ id, k: 2, cacheSize: 1 });
    const address = (n: number): Uint8Array => new Uint8Array([127, 0, 0, 1, 0x1a, n]);
    const far1 = idSharing(id, 0, 1);
    const far2 = idSharing(id, 0, 2);
    const far3 = idSharing(id, 0, 3);
    const near = idSharing(id, 30, 4);
    expect(table.add(id, address(0), 0, true)).toBe(AddResult.Rejected);
    expect(table.add(far1, address(1), 1, true)).toBe(AddResult.Added);
    expect(table.add(far2, address(2), 2, false)).toBe(AddResult.Added);
    expect(table.add(near, address(3), 3, true)).toBe(AddResult.Added); // splits: far ones go to bucket 0
    expect(table.bucketCount).toBe(2);
    expect(table.add(far3, address(4), 4, true)).toBe(AddResult.Cached);
    expect(table.add(far1, address(9), 5, true)).toBe(AddResult.Updated);
    expect(table.get(far1)).toEqual({ id: far1, address: address(9), lastSeen: 5, responded: true, failures: 0 });
    expect(table.size).toBe(3);

    const closest = table.closest(near, 2);
    expect(closest.length).toBe(52);
    expect(closest.subarray(0, 20)).toEqual(near);

    expect(table.failed(far2)).toBe('failed');
    expect(table.failed(far2)).toBe('removed'); // the cached far3 takes its place
    expect(table.has(far2)).toBe(false);
    expect(table.has(far3)).toBe(true);
    expect(table.nodes().map((n) => hex(n.id))).toEqual([far1, far3, near].map(hex));
    table.dispose();
    expect(() => table.size).toThrow();
  });
});
