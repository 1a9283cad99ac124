import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import bencode from 'bencode';
import { backends } from '../helpers/backends.ts';
import { plain } from '../helpers/bytes.ts';
import { referenceDecode } from '../helpers/reference-bencode.ts';
import { loadCore, type Core } from '../../src/core/index.ts';
import { BencodeError } from '../../src/core/bencode-types.ts';
import { type BencodeInput } from '../../src/ground/bencode.ts';

const RUNS = 3000;

const latin1Char = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const latin1Key = fc.string({ unit: latin1Char, maxLength: 6 });
// The bencode package decodes keys as UTF-8 text and assigns them (so __proto__ would set the prototype).
const asciiKey = fc.string({ unit: 'binary-ascii', maxLength: 6 }).filter((k) => k !== '__proto__');

const bigBeyondSafe = fc.oneof(
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 200n }),
  fc.bigInt({ min: -(2n ** 200n), max: -(2n ** 53n) - 1n }),
);

/** Everything decode can produce: bytes, safe integers, bigints beyond 2^53, lists, latin1-keyed dicts. */
const { value: anyValue } = fc.letrec<{ value: BencodeInput; list: BencodeInput[]; dict: Record<string, BencodeInput> }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 24 }),
    fc.maxSafeInteger(),
    bigBeyondSafe,
    tie('list'),
    tie('dict'),
  ),
  list: fc.array(tie('value'), { maxLength: 5 }),
  dict: fc.dictionary(latin1Key, tie('value'), { maxKeys: 5 }),
}));

/** What the bencode package handles faithfully: ASCII keys, safe integers, bytes and JS strings. */
const { value: compatValue } = fc.letrec<{ value: BencodeInput; list: BencodeInput[]; dict: Record<string, BencodeInput> }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 24 }),
    fc.maxSafeInteger(),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    tie('list'),
    tie('dict'),
  ),
  list: fc.array(tie('value'), { maxLength: 5 }),
  dict: fc.dictionary(asciiKey, tie('value'), { maxKeys: 5, noNullPrototype: true }),
}));

/** Strings decode to their UTF-8 bytes: the expected decoded form of a compat value. */
function asDecoded(value: unknown): unknown {
  if (typeof value === 'string') return plain(new TextEncoder().encode(value));
  if (value instanceof Uint8Array) return plain(value);
  if (Array.isArray(value)) return value.map(asDecoded);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asDecoded(v)]));
  }
  return value;
}

const ALPHABET = [...'ilde0123456789:-'].map((c) => c.charCodeAt(0));
/** Byte strings spliced from bencode fragments, so faults happen deep inside values, not at byte 0. */
const TOKENS = ['i', 'e', 'l', 'd', '-', '0', '1', '9', '10', ':', '0:', '1:a', '1:b', '2:ab', '3:abc', 'i0e', 'i-1e', 'i42e', 'le', 'de', 'x', '\xff'];
const bencodeish = fc.array(fc.constantFrom(...TOKENS), { maxLength: 16 })
  .map((tokens) => Uint8Array.from(tokens.join(''), (c) => c.charCodeAt(0)));

type Mutation = { kind: 'flip' | 'insert' | 'delete' | 'set'; at: number; byte: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'insert', 'delete', 'set'),
  at: fc.nat(),
  byte: fc.oneof(fc.constantFrom(...ALPHABET), fc.integer({ min: 0, max: 255 })),
});

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = [...bytes];
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + (m.kind === 'insert' ? 1 : 0));
    if (m.kind === 'insert') out.splice(at, 0, m.byte);
    else if (out.length === 0) continue;
    else if (m.kind === 'delete') out.splice(at, 1);
    else if (m.kind === 'flip') out[at] = out[at]! ^ (1 << (m.byte & 7));
    else out[at] = m.byte;
  }
  return Uint8Array.from(out);
}

type Outcome = { value: unknown } | { code: string; offset: number };

/** Decode's result or its fault; anything thrown that is not a BencodeError fails the test. */
function outcome(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): Outcome {
  try {
    return { value: plain(decode(bytes)) };
  } catch (error) {
    if (!(error instanceof BencodeError)) throw new Error(`decode threw a non-BencodeError: ${String(error)}`);
    return { code: error.code, offset: error.offset };
  }
}

describe.each(backends)('bencode properties on the %s backend', (backend) => {
  let core: Core;
  let js: Core;
  beforeAll(async () => {
    core = await loadCore(backend);
    js = await loadCore('js');
  });

  it('round-trips any value: decode(encode(v)) = v, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const bytes = core.encode(value);
        const decoded = core.decode(bytes);
        expect(plain(decoded)).toEqual(plain(value));
        expect(core.encode(decoded)).toEqual(bytes);
        expect(bytes).toEqual(js.encode(value));
      }),
      { numRuns: RUNS },
    );
  });

  it('encodes byte for byte like the bencode package, and each decodes the other', () => {
    fc.assert(
      fc.property(compatValue, (value) => {
        const ours = core.encode(value);
        const theirs = bencode.encode(value);
        expect([...ours]).toEqual([...theirs]);
        expect(plain(core.decode(theirs))).toEqual(asDecoded(value));
        expect(plain(bencode.decode(ours))).toEqual(asDecoded(value));
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with the reference decoder and the js backend on random bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 48 }), bencodeish), (bytes) => {
        const expected = outcome(referenceDecode, bytes);
        expect(outcome(core.decode, bytes)).toEqual(expected);
        expect(outcome(js.decode, bytes)).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('agrees with the reference decoder and the js backend on mutated valid encodings', () => {
    fc.assert(
      fc.property(anyValue, fc.array(mutation, { minLength: 1, maxLength: 4 }), (value, mutations) => {
        const bytes = mutate(js.encode(value), mutations);
        const expected = outcome(referenceDecode, bytes);
        expect(outcome(core.decode, bytes)).toEqual(expected);
        expect(outcome(js.decode, bytes)).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });
});
