/**
 * Generic bencode decode for the wasm backend: one WASM scan validates and
 * writes a tape, then the host builds values from the tape. (Encoding is shared
 * by both backends: src/core/encode.)
 */
import { BencodeError } from '../bencode-types.ts';
import { type BencodeDict, type BencodeList, type BencodeValue, type DecodeErrorCode } from '../../ground/bencode.ts';
import { latin1Decode } from '../latin1.ts';
import type { CoreMemory } from './memory.ts';

/** Error ids of assembly/bencode.ts, by id. */
export const DECODE_ERRORS: readonly DecodeErrorCode[] = [
  'unexpected-end', // placeholder for id 0 (never reported)
  'unexpected-end',
  'invalid-byte',
  'leading-zero',
  'negative-zero',
  'empty-integer',
  'length-exceeds-buffer',
  'too-deep',
  'unsorted-keys',
  'duplicate-key',
  'trailing-bytes',
  'number-too-long',
  'too-many-items',
];

const EMPTY = new Uint8Array(0);

const KIND_STR = 0;
const KIND_INT = 1;
const KIND_BIGINT = 2;
const KIND_LIST = 3;

/**
 * Dict keys of up to 6 bytes, remembered in a small direct-mapped cache: DHT
 * messages use a handful of short keys, and storing a property under a string
 * V8 has already internalized is much cheaper than under a fresh one.
 */
class KeyCache {
  private readonly codes = new Float64Array(256).fill(-1);
  private readonly keys: string[] = new Array<string>(256).fill('');

  key(bytes: Uint8Array, start: number, end: number): string {
    const n = end - start;
    if (n > 6) return latin1Decode(bytes, start, end);
    let code = n; // exact: < 7 * 2^48
    let hash = n;
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      code = code * 256 + b;
      hash = (hash * 31 + b) | 0;
    }
    const slot = hash & 255;
    if (this.codes[slot] === code) return this.keys[slot]!;
    const key = latin1Decode(bytes, start, end);
    this.codes[slot] = code;
    this.keys[slot] = key;
    return key;
  }
}

function setKey(dict: BencodeDict, key: string, value: BencodeValue): void {
  if (key === '__proto__') {
    // Plain assignment would set the prototype instead of adding a key.
    Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    dict[key] = value;
  }
}

export class WasmBencode {
  private readonly keys = new KeyCache();
  // Tape walk state (one decode at a time; decoding never re-enters).
  private source: Uint8Array = EMPTY;
  private tape: Int32Array = new Int32Array(0);
  private numbers: Float64Array = new Float64Array(0);
  private cursor = 0;
  private base = 0;

  constructor(private readonly mem: CoreMemory) {}

  decode(bytes: Uint8Array): BencodeValue {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('decode expects a Uint8Array');
    const mem = this.mem;
    const input = mem.placeForScan(bytes);
    const tape = mem.scanTape;
    const code = mem.exports.scan(input, bytes.length, tape);
    if (code !== 0) throw new BencodeError(DECODE_ERRORS[code]!, mem.exports.errorOffset.value as number);
    // Byte strings are subarrays of the caller's bytes (offsets map 1:1), never of linear memory.
    this.source = bytes;
    this.tape = mem.i32;
    this.numbers = mem.f64;
    this.base = tape >>> 2;
    this.cursor = 0;
    try {
      return this.value();
    } finally {
      this.source = EMPTY; // do not keep the caller's bytes alive
    }
  }

  private value(): BencodeValue {
    const tape = this.tape;
    const at = this.base + (this.cursor++ << 2);
    const kind = tape[at]!;
    if (kind === KIND_STR) return this.source.subarray(tape[at + 2]!, tape[at + 3]!);
    if (kind === KIND_INT) return this.numbers[(at >>> 1) + 1]!;
    if (kind === KIND_BIGINT) return BigInt(latin1Decode(this.source, tape[at + 2]!, tape[at + 3]!));
    const end = tape[at + 2]!;
    if (kind === KIND_LIST) {
      const list: BencodeList = [];
      while (this.cursor < end) list.push(this.value());
      return list;
    }
    const dict: BencodeDict = {};
    while (this.cursor < end) {
      const key = this.base + (this.cursor++ << 2);
      setKey(dict, this.keys.key(this.source, tape[key + 2]!, tape[key + 3]!), this.value());
    }
    return dict;
  }

}
