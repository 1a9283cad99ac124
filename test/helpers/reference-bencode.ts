/**
 * A deliberately plain strict bencode decoder, written line by line from
 * docs/CORE-SPEC.md, as an oracle for the backends' error codes and offsets.
 * Slow and simple on purpose: it shares no code with either backend.
 */
import { BencodeError, MAX_DEPTH, MAX_INTEGER_DIGITS, MAX_ITEMS } from '../../src/core/bencode-types.ts';
import { type BencodeValue } from '../../src/ground/bencode.ts';

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const ch = (s: string): number => s.charCodeAt(0);

export function referenceDecode(bytes: Uint8Array): BencodeValue {
  const len = bytes.length;
  let items = 0;

  function value(p: number, depth: number): [BencodeValue, number] {
    if (p === len) throw new BencodeError('unexpected-end', len);
    const c = bytes[p]!;
    const starts = c === ch('i') || c === ch('l') || c === ch('d') || isDigit(c);
    if (!starts) throw new BencodeError('invalid-byte', p);
    items++;
    if (items > MAX_ITEMS) throw new BencodeError('too-many-items', p);
    if (c === ch('i')) return integer(p);
    if (c === ch('l')) return list(p, depth + 1);
    if (c === ch('d')) return dict(p, depth + 1);
    return string(p);
  }

  function integer(s: number): [BencodeValue, number] {
    let q = s + 1;
    const negative = bytes[q] === ch('-');
    if (negative) q++;
    if (q === len) throw new BencodeError('unexpected-end', len);
    if (bytes[q] === ch('e')) throw new BencodeError('empty-integer', q);
    if (!isDigit(bytes[q])) throw new BencodeError('invalid-byte', q);
    if (bytes[q] === ch('0')) {
      if (negative) throw new BencodeError('negative-zero', q);
      if (q + 1 < len && isDigit(bytes[q + 1])) throw new BencodeError('leading-zero', q);
    }
    let digits = '';
    let p = q;
    while (p < len && isDigit(bytes[p])) {
      if (digits.length === MAX_INTEGER_DIGITS) throw new BencodeError('number-too-long', p);
      digits += String.fromCharCode(bytes[p]!);
      p++;
    }
    if (p === len) throw new BencodeError('unexpected-end', len);
    if (bytes[p] !== ch('e')) throw new BencodeError('invalid-byte', p);
    const big = BigInt((negative ? '-' : '') + digits);
    const asNumber = Number(big);
    return [Number.isSafeInteger(asNumber) && BigInt(asNumber) === big ? asNumber : big, p + 1];
  }

  function string(s: number): [Uint8Array, number] {
    if (bytes[s] === ch('0') && s + 1 < len && isDigit(bytes[s + 1])) throw new BencodeError('leading-zero', s);
    let digits = '';
    let p = s;
    while (p < len && isDigit(bytes[p])) {
      if (digits.length === 10) throw new BencodeError('number-too-long', p);
      digits += String.fromCharCode(bytes[p]!);
      p++;
    }
    if (p === len) throw new BencodeError('unexpected-end', len);
    if (bytes[p] !== ch(':')) throw new BencodeError('invalid-byte', p);
    const n = Number(digits);
    if (p + 1 + n > len) throw new BencodeError('length-exceeds-buffer', s);
    return [bytes.slice(p + 1, p + 1 + n), p + 1 + n];
  }

  function list(s: number, depth: number): [BencodeValue, number] {
    if (depth > MAX_DEPTH) throw new BencodeError('too-deep', s);
    const out: BencodeValue[] = [];
    let p = s + 1;
    for (;;) {
      if (p === len) throw new BencodeError('unexpected-end', len);
      if (bytes[p] === ch('e')) return [out, p + 1];
      const [item, next] = value(p, depth);
      out.push(item);
      p = next;
    }
  }

  function compareKeys(a: Uint8Array, b: Uint8Array): number {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  }

  function dict(s: number, depth: number): [BencodeValue, number] {
    if (depth > MAX_DEPTH) throw new BencodeError('too-deep', s);
    const out: Record<string, BencodeValue> = {};
    let previous: Uint8Array | undefined;
    let p = s + 1;
    for (;;) {
      if (p === len) throw new BencodeError('unexpected-end', len);
      if (bytes[p] === ch('e')) return [out, p + 1];
      if (!isDigit(bytes[p])) throw new BencodeError('invalid-byte', p);
      const keyStart = p;
      const [key, afterKey] = string(p);
      if (previous !== undefined) {
        const order = compareKeys(key, previous);
        if (order === 0) throw new BencodeError('duplicate-key', keyStart);
        if (order < 0) throw new BencodeError('unsorted-keys', keyStart);
      }
      previous = key;
      const [item, next] = value(afterKey, depth);
      Object.defineProperty(out, String.fromCharCode(...key), { value: item, enumerable: true, writable: true, configurable: true });
      p = next;
    }
  }

  const [result, end] = value(0, 0);
  if (end !== len) throw new BencodeError('trailing-bytes', end);
  return result;
}
