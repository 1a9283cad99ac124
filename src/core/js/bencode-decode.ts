/**
 * Strict generic bencode decode (docs/CORE-SPEC.md "Strict bencode decode"):
 * builds the value tree in one pass over the shared scanner's checks. Byte
 * strings are views of the input (no copy).
 */
import { BencodeError, MAX_DEPTH } from '../bencode-types.ts';
import { type BencodeDict, type BencodeList, type BencodeValue } from '../../ground/bencode.ts';
import { latin1Decode } from '../latin1.ts';
import { BencodeScanner, CH_D, CH_E, CH_I, CH_L, compareBytes, integerValue } from './bencode-scan.ts';

const scanner = new BencodeScanner();
/** Offset after the value last built. */
let pos = 0;

function fault(): never {
  throw new BencodeError(scanner.code, scanner.offset);
}

function buildValue(p: number, depth: number): BencodeValue {
  const c = scanner.begin(p);
  if (c < 0) fault();
  if (c === CH_I) {
    const end = scanner.scanInteger(p);
    if (end < 0) fault();
    pos = end;
    return integerValue(scanner.bytes, scanner.digitsStart, end - 1, scanner.negative);
  }
  if (c === CH_L) return buildList(p, depth + 1);
  if (c === CH_D) return buildDict(p, depth + 1);
  const end = scanner.scanString(p);
  if (end < 0) fault();
  pos = end;
  return scanner.view(scanner.strStart, end);
}

function buildList(s: number, depth: number): BencodeList {
  if (depth > MAX_DEPTH) throw new BencodeError('too-deep', s);
  const list: BencodeList = [];
  const b = scanner.bytes;
  let p = s + 1;
  for (;;) {
    if (p >= scanner.len) throw new BencodeError('unexpected-end', scanner.len);
    if (b[p] === CH_E) {
      pos = p + 1;
      return list;
    }
    list.push(buildValue(p, depth));
    p = pos;
  }
}

function buildDict(s: number, depth: number): BencodeDict {
  if (depth > MAX_DEPTH) throw new BencodeError('too-deep', s);
  const dict: BencodeDict = {};
  const b = scanner.bytes;
  let p = s + 1;
  let prevStart = 0;
  let prevEnd = -1;
  for (;;) {
    if (p >= scanner.len) throw new BencodeError('unexpected-end', scanner.len);
    const c = b[p]!;
    if (c === CH_E) {
      pos = p + 1;
      return dict;
    }
    if (c < 0x30 || c > 0x39) throw new BencodeError('invalid-byte', p);
    const keyEnd = scanner.scanString(p);
    if (keyEnd < 0) fault();
    const keyContent = scanner.strStart;
    if (prevEnd >= 0) {
      const order = compareBytes(b, prevStart, prevEnd, keyContent, keyEnd);
      if (order === 0) throw new BencodeError('duplicate-key', p);
      if (order > 0) throw new BencodeError('unsorted-keys', p);
    }
    prevStart = keyContent;
    prevEnd = keyEnd;
    const key = latin1Decode(b, keyContent, keyEnd);
    const value = buildValue(keyEnd, depth);
    if (key === '__proto__') {
      // A plain assignment would set the prototype instead of adding a key.
      Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      dict[key] = value;
    }
    p = pos;
  }
}

/** Decode exactly one bencoded value; throws BencodeError (and nothing else) on bad input. */
export function decodeBencode(bytes: Uint8Array): BencodeValue {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode expects a Uint8Array');
  scanner.reset(bytes);
  try {
    const value = buildValue(0, 0);
    if (pos !== bytes.length) throw new BencodeError('trailing-bytes', pos);
    return value;
  } finally {
    scanner.release();
  }
}
