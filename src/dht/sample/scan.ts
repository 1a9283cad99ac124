/**
 * The BEP 51 fields of a sample_infohashes answer (`samples`, `num`,
 * `interval`), read in place from the answer's bencoded `r` dictionary: the
 * KRPC decoder already gave `id` and `nodes`, so the walker (one answer per
 * node it asks) and the crawler's sample holders need no second decode and no
 * copy of the rest. Top-level keys only (a nested `samples` is not the one);
 * every read is bounded by `end`, anything that is not bencode gives undefined.
 */

/** Where the fields are: `samples` as a byte range of the buffer, the integers as numbers. */
export interface SampleFields {
  samples?: { start: number; end: number };
  num?: number;
  interval?: number;
}

const SAMPLES = [0x73, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x73]; // 'samples'
const NUM = [0x6e, 0x75, 0x6d]; // 'num'
const INTERVAL = [0x69, 0x6e, 0x74, 0x65, 0x72, 0x76, 0x61, 0x6c]; // 'interval'
/** Digits read of an integer; longer ones (far past any count or interval) read as the largest safe integer. */
const MAX_DIGITS = 15;

/** The fields of the bencoded dictionary at `bytes[start]`, or undefined if it is not one. */
export function scanSampleFields(bytes: Uint8Array, start: number, end: number): SampleFields | undefined {
  if (end > bytes.length || bytes[start] !== 0x64) return undefined; // 'd'
  const fields: SampleFields = {};
  let p = start + 1;
  while (p < end && bytes[p] !== 0x65) {
    const key = stringAt(bytes, p, end);
    if (key === undefined) return undefined;
    const valueAt = key.end;
    const after = skipValue(bytes, valueAt, end);
    if (after < 0) return undefined;
    if (is(bytes, key, SAMPLES)) {
      const value = stringAt(bytes, valueAt, end);
      if (value !== undefined) fields.samples = { start: value.start, end: value.end };
    } else if (is(bytes, key, NUM)) {
      const n = integerAt(bytes, valueAt, after);
      if (n !== undefined) fields.num = n;
    } else if (is(bytes, key, INTERVAL)) {
      const n = integerAt(bytes, valueAt, after);
      if (n !== undefined) fields.interval = n;
    }
    p = after;
  }
  return p < end ? fields : undefined;
}

function is(bytes: Uint8Array, range: { start: number; end: number }, name: readonly number[]): boolean {
  if (range.end - range.start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[range.start + i] !== name[i]) return false;
  return true;
}

/** The payload range of the byte string `<length>:<bytes>` at `p`, or undefined. */
function stringAt(b: Uint8Array, p: number, end: number): { start: number; end: number } | undefined {
  let n = 0;
  let digits = 0;
  while (p < end && b[p]! >= 0x30 && b[p]! <= 0x39 && digits < 10) {
    n = n * 10 + (b[p++]! - 0x30);
    digits++;
  }
  if (digits === 0 || p >= end || b[p] !== 0x3a) return undefined;
  const from = p + 1;
  return from + n > end ? undefined : { start: from, end: from + n };
}

/** The integer `i<digits>e` spanning exactly [p, after), or undefined. */
function integerAt(b: Uint8Array, p: number, after: number): number | undefined {
  if (b[p] !== 0x69 || b[after - 1] !== 0x65) return undefined; // i…e
  let q = p + 1;
  const negative = b[q] === 0x2d;
  if (negative) q++;
  if (q >= after - 1) return undefined;
  let n = 0;
  for (let digits = 0; q < after - 1; q++, digits++) {
    const c = b[q]!;
    if (c < 0x30 || c > 0x39) return undefined;
    n = digits < MAX_DIGITS ? n * 10 + (c - 0x30) : Number.MAX_SAFE_INTEGER;
  }
  return negative ? -n : n;
}

/** The offset after the bencoded value at `p`, or -1 if it runs past `end` or is not bencode. */
function skipValue(b: Uint8Array, p: number, end: number): number {
  const c = b[p];
  if (c === 0x69) {
    // i<digits>e
    const e = b.indexOf(0x65, p);
    return e < 0 || e >= end ? -1 : e + 1;
  }
  if (c === 0x6c || c === 0x64) {
    p++;
    while (p < end && b[p] !== 0x65) {
      p = skipValue(b, p, end);
      if (p < 0) return -1;
    }
    return p < end ? p + 1 : -1;
  }
  const string = stringAt(b, p, end);
  return string === undefined ? -1 : string.end;
}
