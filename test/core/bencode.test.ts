import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { latin1, text } from '../helpers/bytes.ts';
import { referenceDecode } from '../helpers/reference-bencode.ts';
import { loadCore } from '../../src/core/index.ts';
import { BencodeError, MAX_DEPTH, MAX_ITEMS } from '../../src/core/bencode-types.ts';
import { type DecodeErrorCode } from '../../src/ground/bencode.ts';

/** [input (latin1), expected code, expected offset], offsets per docs/CORE-SPEC.md. */
const faults: [string, DecodeErrorCode, number][] = [
  ['', 'unexpected-end', 0],
  ['x', 'invalid-byte', 0],
  ['e', 'invalid-byte', 0],
  ['-1', 'invalid-byte', 0],
  // integers
  ['i', 'unexpected-end', 1],
  ['i-', 'unexpected-end', 2],
  ['ie', 'empty-integer', 1],
  ['i-e', 'empty-integer', 2],
  ['ia', 'invalid-byte', 1],
  ['i--1e', 'invalid-byte', 2],
  ['i+1e', 'invalid-byte', 1],
  ['i-0e', 'negative-zero', 2],
  ['i-01e', 'negative-zero', 2],
  ['i-0', 'negative-zero', 2],
  ['i03e', 'leading-zero', 1],
  ['i00', 'leading-zero', 1],
  ['i0', 'unexpected-end', 2],
  ['i12', 'unexpected-end', 3],
  ['i1x', 'invalid-byte', 2],
  ['i1.5e', 'invalid-byte', 2],
  ['i0x', 'invalid-byte', 2],
  [`i${'1'.repeat(65)}e`, 'number-too-long', 65],
  [`i-${'9'.repeat(65)}e`, 'number-too-long', 66],
  [`i${'1'.repeat(70)}`, 'number-too-long', 65],
  // strings
  ['0', 'unexpected-end', 1],
  ['3', 'unexpected-end', 1],
  ['03:abc', 'leading-zero', 0],
  ['00:', 'leading-zero', 0],
  ['3x', 'invalid-byte', 1],
  ['3:ab', 'length-exceeds-buffer', 0],
  ['1:', 'length-exceeds-buffer', 0],
  ['1234567890:', 'length-exceeds-buffer', 0],
  ['12345678901:', 'number-too-long', 10],
  ['99999999999', 'number-too-long', 10],
  // lists
  ['l', 'unexpected-end', 1],
  ['li1e', 'unexpected-end', 4],
  ['lxe', 'invalid-byte', 1],
  ['l4:abe', 'length-exceeds-buffer', 1],
  ['li1eie', 'empty-integer', 5],
  // dicts
  ['d', 'unexpected-end', 1],
  ['di1ei1ee', 'invalid-byte', 1],
  ['dle', 'invalid-byte', 1],
  ['d01:ai1ee', 'leading-zero', 1],
  ['d1:a', 'unexpected-end', 4],
  ['d1:ae', 'invalid-byte', 4],
  ['d1:ai1e', 'unexpected-end', 7],
  ['d1:bi1e1:ai1ee', 'unsorted-keys', 7],
  ['d1:ai1e1:ai2ee', 'duplicate-key', 7],
  ['d2:aai1e1:ai2ee', 'unsorted-keys', 8],
  ['d0:i1e0:i2ee', 'duplicate-key', 6],
  ['d1:bi1e1:ai1', 'unsorted-keys', 7],
  ['d1:a4:xye', 'length-exceeds-buffer', 4],
  // top level
  ['i1ei2e', 'trailing-bytes', 3],
  ['0:0:', 'trailing-bytes', 2],
  ['dex', 'trailing-bytes', 2],
  ['lee', 'trailing-bytes', 2],
];

function nested(open: string, depth: number, inner = ''): string {
  return open.repeat(depth) + inner + 'e'.repeat(depth);
}

/** A list of `count` empty strings: count + 1 values in all. */
function listOfEmpties(count: number): Uint8Array {
  const bytes = new Uint8Array(2 + 2 * count);
  bytes[0] = 0x6c;
  for (let i = 0; i < count; i++) {
    bytes[1 + 2 * i] = 0x30;
    bytes[2 + 2 * i] = 0x3a;
  }
  bytes[bytes.length - 1] = 0x65;
  return bytes;
}

function expectFault(decode: (b: Uint8Array) => unknown, input: Uint8Array, code: DecodeErrorCode, offset: number): void {
  let thrown: unknown;
  try {
    decode(input);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(BencodeError);
  expect({ code: (thrown as BencodeError).code, offset: (thrown as BencodeError).offset }).toEqual({ code, offset });
}

describe('reference decoder (the oracle the fuzz suites trust)', () => {
  it.each(faults)('%j → %s@%i', (input, code, offset) => {
    expectFault(referenceDecode, latin1(input), code, offset);
  });
});

describe.each(backends)('bencode on the %s backend', (backend) => {
  describe('decode faults', () => {
    it.each(faults)('%j → %s@%i', async (input, code, offset) => {
      const core = await loadCore(backend);
      expectFault(core.decode, latin1(input), code, offset);
    });

    it('accepts MAX_DEPTH nested containers and rejects one more, at its offset', async () => {
      const core = await loadCore(backend);
      expect(core.decode(latin1(nested('l', MAX_DEPTH)))).toBeDefined();
      expectFault(core.decode, latin1(nested('l', MAX_DEPTH + 1)), 'too-deep', MAX_DEPTH);
      // dicts count the same: d1:a nesting, the 65th dict starts after 64 × 4 bytes
      const dicts = 'd1:a'.repeat(MAX_DEPTH) + 'de' + 'e'.repeat(MAX_DEPTH);
      expectFault(core.decode, latin1(dicts), 'too-deep', MAX_DEPTH * 4);
      const mixed = 'ld1:a'.repeat(MAX_DEPTH / 2) + 'le' + 'ee'.repeat(MAX_DEPTH / 2);
      expectFault(core.decode, latin1(mixed), 'too-deep', (MAX_DEPTH / 2) * 5);
    });

    it('counts values up to MAX_ITEMS, list items and top level included', async () => {
      const core = await loadCore(backend);
      const atLimit = core.decode(listOfEmpties(MAX_ITEMS - 1));
      expect(Array.isArray(atLimit) && atLimit.length).toBe(MAX_ITEMS - 1);
      // the value that makes the count MAX_ITEMS + 1 is the last empty string
      expectFault(core.decode, listOfEmpties(MAX_ITEMS), 'too-many-items', 1 + 2 * (MAX_ITEMS - 1));
    });

    it('reports an invalid byte, not too-many-items, where the value past the limit would start', async () => {
      const core = await loadCore(backend);
      const bytes = listOfEmpties(MAX_ITEMS);
      const at = 1 + 2 * (MAX_ITEMS - 1);
      bytes[at] = 0x78;
      expectFault(core.decode, bytes, 'invalid-byte', at);
    });

    it('does not count dict keys toward MAX_ITEMS', async () => {
      const core = await loadCore(backend);
      const entries = MAX_ITEMS - 1;
      let body = '';
      for (let i = 0; i < entries; i++) body += `5:${String(i).padStart(5, '0')}0:`;
      const dict = core.decode(latin1(`d${body}e`));
      expect(Object.keys(dict as object)).toHaveLength(entries);
      const over = `d${body}5:999990:e`;
      expectFault(core.decode, latin1(over), 'too-many-items', over.length - 3);
    });

    it('reports the first fault met left to right', async () => {
      const core = await loadCore(backend);
      // unsorted keys come before the bad integer that follows them
      expectFault(core.decode, latin1('d1:bi1e1:ai-0ee'), 'unsorted-keys', 7);
      // a bad value before the duplicate key
      expectFault(core.decode, latin1('d1:ai01e1:ai1ee'), 'leading-zero', 5);
    });
  });

  describe('decode values', () => {
    it('decodes integers as numbers when safe and bigints beyond 2^53', async () => {
      const core = await loadCore(backend);
      expect(core.decode(latin1('i0e'))).toBe(0);
      expect(core.decode(latin1('i-42e'))).toBe(-42);
      expect(core.decode(latin1('i9007199254740991e'))).toBe(Number.MAX_SAFE_INTEGER);
      expect(core.decode(latin1('i-9007199254740991e'))).toBe(Number.MIN_SAFE_INTEGER);
      expect(core.decode(latin1('i9007199254740992e'))).toBe(9007199254740992n);
      expect(core.decode(latin1('i-9007199254740993e'))).toBe(-9007199254740993n);
      expect(core.decode(latin1('i123456789012345678901234567890e'))).toBe(123456789012345678901234567890n);
      const max = '9'.repeat(64);
      expect(core.decode(latin1(`i-${max}e`))).toBe(-BigInt(max));
    });

    it('decodes byte strings as bytes, binary safe', async () => {
      const core = await loadCore(backend);
      const decoded = core.decode(Uint8Array.of(0x33, 0x3a, 0x00, 0xff, 0x80));
      expect(decoded).toBeInstanceOf(Uint8Array);
      expect([...(decoded as Uint8Array)]).toEqual([0x00, 0xff, 0x80]);
      expect([...(core.decode(latin1('0:')) as Uint8Array)]).toEqual([]);
    });

    it('decodes nested lists and dicts, keys as latin1 strings', async () => {
      const core = await loadCore(backend);
      const value = core.decode(latin1('d0:de1:ald1:xi-1eel0:ee1:bi2e2:\xff\x80lee'));
      expect(value).toEqual({
        a: [{ x: -1 }, [new Uint8Array(0)]],
        b: 2,
        '\xff\x80': [],
        '': {},
      });
    });

    it('sorts keys bytewise, not by char class or length first', async () => {
      const core = await loadCore(backend);
      expect(Object.keys(core.decode(latin1('d1:Ai1e1:ai2e2:aai3e1:bi4e1:\x80i5ee')) as object))
        .toEqual(['A', 'a', 'aa', 'b', '\x80']);
    });

    it('keeps a __proto__ key as an own property', async () => {
      const core = await loadCore(backend);
      const value = core.decode(latin1('d9:__proto__i1ee')) as Record<string, unknown>;
      expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(1);
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    });
  });

  describe('encode', () => {
    it('encodes each type', async () => {
      const core = await loadCore(backend);
      expect(text(core.encode(0))).toBe('i0e');
      expect(text(core.encode(-0))).toBe('i0e');
      expect(text(core.encode(-42))).toBe('i-42e');
      expect(text(core.encode(Number.MAX_SAFE_INTEGER))).toBe('i9007199254740991e');
      expect(text(core.encode(1e21))).toBe('i1000000000000000000000e');
      expect(text(core.encode(-(2n ** 70n)))).toBe(`i-${2n ** 70n}e`);
      expect(text(core.encode(Uint8Array.of(0, 255)))).toBe('2:\x00\xff');
      expect(text(core.encode(''))).toBe('0:');
      expect(text(core.encode('spam'))).toBe('4:spam');
      expect(text(core.encode([]))).toBe('le');
      expect(text(core.encode({}))).toBe('de');
      expect(text(core.encode([1, 'a', [new Uint8Array(0)], { k: 2n }]))).toBe('li1e1:al0:ed1:ki2eee');
    });

    it('encodes JS strings as UTF-8', async () => {
      const core = await loadCore(backend);
      expect([...core.encode('é€😀')]).toEqual([...latin1('9:'), ...new TextEncoder().encode('é€😀')]);
    });

    it('sorts dict keys bytewise and skips undefined values', async () => {
      const core = await loadCore(backend);
      const dict = { b: 1, a: 2, aa: 3, B: 4, '\xe9': 5, '': 6, '10': 7, '9': 8, skipped: undefined };
      expect(text(core.encode(dict))).toBe('d0:i6e2:10i7e1:9i8e1:Bi4e1:ai2e2:aai3e1:bi1e1:\xe9i5ee');
    });

    it('round-trips through decode', async () => {
      const core = await loadCore(backend);
      const value = { t: latin1('aa'), y: latin1('r'), r: { id: new Uint8Array(20).fill(7), values: [latin1('abcdef')] }, n: -(2n ** 64n) };
      expect(core.decode(core.encode(value))).toEqual(value);
      const bytes = latin1('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe');
      expect(core.encode(core.decode(bytes))).toEqual(bytes);
    });

    it.each<[string, unknown, RegExp]>([
      ['boolean', true, /boolean/],
      ['null', null, /null/],
      ['undefined', undefined, /undefined/],
      ['float', 1.5, /number|1\.5/],
      ['NaN', NaN, /number|NaN/],
      ['Infinity', Infinity, /number|Infinity/],
      ['function', () => 1, /function/],
      ['symbol', Symbol('x'), /symbol/],
      ['undefined list item', [1, undefined], /undefined/],
      ['float nested in a dict', { a: [0.5] }, /number|0\.5/],
      ['Map', new Map(), /Map/],
      ['Date', new Date(0), /Date/],
      ['Int16Array', new Int16Array(2), /Int16Array/],
    ])('rejects a %s with a TypeError naming it', async (_, value, message) => {
      const core = await loadCore(backend);
      expect(() => core.encode(value as never)).toThrow(TypeError);
      expect(() => core.encode(value as never)).toThrow(message);
    });

    it('rejects a dict key with a char above U+00FF', async () => {
      const core = await loadCore(backend);
      expect(() => core.encode({ 'ā': 1 })).toThrow(TypeError);
    });

    it('is still usable after a TypeError midway', async () => {
      const core = await loadCore(backend);
      expect(() => core.encode([1, 2, { a: true } as never])).toThrow(TypeError);
      expect(text(core.encode([3]))).toBe('li3ee');
    });

    it('encodes values larger than its initial buffer', async () => {
      const core = await loadCore(backend);
      const big = new Uint8Array(300_000).fill(0x61);
      const encoded = core.encode([big, big]);
      expect(encoded.length).toBe(2 * (7 + 300_000) + 2);
      const decoded = core.decode(encoded) as Uint8Array[];
      expect(decoded.map((b) => b.length)).toEqual([300_000, 300_000]);
      expect(decoded.every((b) => b.every((x) => x === 0x61))).toBe(true);
      expect(text(encoded.subarray(0, 8))).toBe('l300000:');
    });
  });
});
