/**
 * Strict bencode scanner (docs/CORE-SPEC.md, "Strict bencode decode").
 *
 * One left-to-right pass over the input that validates it and emits a flat tape
 * of 16-byte entries, so the host can build values (or the KRPC checks can read
 * fields) without a second parse and without any GC object here:
 *
 *   i32 kind | i32 pos (offset where the value starts) | 8 bytes payload
 *   STR:    payload = i32 content start, i32 content end
 *   INT:    payload = f64 value (always a safe integer)
 *   BIGINT: payload = i32 first digit-or-sign offset, i32 offset of the closing `e`
 *   LIST, DICT: payload = i32 tape index after the last descendant,
 *                         i32 byte offset after the closing `e`
 * Dict entries are laid out key (STR), value, key, value, ...
 * The tape needs at most (len >> 1) + MAX_DEPTH + 2 entries: every closed value
 * takes two bytes or more, only the open containers (≤ MAX_DEPTH) take one.
 */

export const KIND_STR: i32 = 0;
export const KIND_INT: i32 = 1;
export const KIND_BIGINT: i32 = 2;
export const KIND_LIST: i32 = 3;
export const KIND_DICT: i32 = 4;

/** Error ids; the host maps them to DecodeErrorCode / KrpcDecodeErrorCode names. */
export const ERR_UNEXPECTED_END: i32 = 1;
export const ERR_INVALID_BYTE: i32 = 2;
export const ERR_LEADING_ZERO: i32 = 3;
export const ERR_NEGATIVE_ZERO: i32 = 4;
export const ERR_EMPTY_INTEGER: i32 = 5;
export const ERR_LENGTH_EXCEEDS_BUFFER: i32 = 6;
export const ERR_TOO_DEEP: i32 = 7;
export const ERR_UNSORTED_KEYS: i32 = 8;
export const ERR_DUPLICATE_KEY: i32 = 9;
export const ERR_TRAILING_BYTES: i32 = 10;
export const ERR_NUMBER_TOO_LONG: i32 = 11;
export const ERR_TOO_MANY_ITEMS: i32 = 12;

const MAX_DEPTH: i32 = 64;
const MAX_ITEMS: i32 = 65536;
const MAX_INTEGER_DIGITS: i32 = 64;
const MAX_LENGTH_DIGITS: i32 = 10;
const MAX_SAFE: i64 = 9007199254740991;

export const TAPE_ENTRY: i32 = 16;

/** Saved state of the enclosing containers: tape index, is-dict flag, previous key content range. */
const STACK: usize = memory.data((MAX_DEPTH + 1) * 16, 16);

/** Where the last scan failed (valid after a non-zero return). */
export let errorOffset: i32 = 0;

// @ts-ignore: decorator
@inline function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

// @ts-ignore: decorator
@inline function fail(code: i32, offset: i32): i32 {
  errorOffset = offset;
  return code;
}

/** The payload range of the byte string scanString last read. */
let stringStart: i32 = 0;
let stringEnd: i32 = 0;

/**
 * Read a byte string's `<length>:` header at `s` (its first byte `c` a digit)
 * for values and dict keys alike: 0 with stringStart / stringEnd set, or an
 * error code (errorOffset set).
 */
// @ts-ignore: decorator
@inline function scanString(input: usize, len: i32, s: i32, c: u32): i32 {
  let q = s + 1;
  let size = <i64>(c - 0x30);
  if (q < len) {
    c = load<u8>(input + q);
    if (isDigit(c)) {
      if (size == 0) return fail(ERR_LEADING_ZERO, s);
      do {
        if (q - s == MAX_LENGTH_DIGITS) return fail(ERR_NUMBER_TOO_LONG, q);
        size = size * 10 + <i64>(c - 0x30);
        if (++q >= len) break;
        c = load<u8>(input + q);
      } while (isDigit(c));
    }
  }
  if (q >= len) return fail(ERR_UNEXPECTED_END, len);
  if (c != 0x3a) return fail(ERR_INVALID_BYTE, q);
  if (<i64>q + 1 + size > <i64>len) return fail(ERR_LENGTH_EXCEEDS_BUFFER, s);
  stringStart = q + 1;
  stringEnd = q + 1 + <i32>size;
  return 0;
}

/** Bytewise order of two byte ranges: <0, 0, >0. */
function compareBytes(a: usize, aLen: i32, b: usize, bLen: i32): i32 {
  const n = aLen < bLen ? aLen : bLen;
  for (let i = 0; i < n; i++) {
    const d = <i32>load<u8>(a + i) - <i32>load<u8>(b + i);
    if (d != 0) return d;
  }
  return aLen - bLen;
}

/**
 * Validate `len` bytes at `input` and write the tape at `tape`.
 * Returns 0, or an error id with `errorOffset` set.
 * The open container's state lives in locals; parents' in STACK.
 */
export function scan(input: usize, len: i32, tape: usize): i32 {
  let p: i32 = 0;
  let depth: i32 = 0;
  let items: i32 = 0;
  let n: i32 = 0;
  // The innermost open container: tape index, kind, previous key's content range.
  let open: i32 = 0;
  let inDict = false;
  let prevStart: i32 = -1;
  let prevEnd: i32 = 0;
  while (true) {
    // A value starts at p.
    if (p >= len) return fail(ERR_UNEXPECTED_END, len);
    let c = <u32>load<u8>(input + p);
    const entry = tape + (<usize>n << 4);
    if (isDigit(c)) {
      if (++items > MAX_ITEMS) return fail(ERR_TOO_MANY_ITEMS, p);
      const s = p;
      const fault = scanString(input, len, s, c);
      if (fault != 0) return fault;
      p = stringEnd;
      store<i32>(entry, KIND_STR);
      store<i32>(entry, s, 4);
      store<i32>(entry, stringStart, 8);
      store<i32>(entry, p, 12);
      n++;
    } else if (c == 0x69) {
      // i
      if (++items > MAX_ITEMS) return fail(ERR_TOO_MANY_ITEMS, p);
      const s = p;
      let q = s + 1;
      let negative = false;
      if (q < len && load<u8>(input + q) == 0x2d) {
        negative = true;
        q++;
      }
      if (q >= len) return fail(ERR_UNEXPECTED_END, len);
      c = load<u8>(input + q);
      if (c == 0x65) return fail(ERR_EMPTY_INTEGER, q);
      if (!isDigit(c)) return fail(ERR_INVALID_BYTE, q);
      if (c == 0x30) {
        if (negative) return fail(ERR_NEGATIVE_ZERO, q);
        if (q + 1 < len && isDigit(load<u8>(input + q + 1))) return fail(ERR_LEADING_ZERO, q);
      }
      const first = q;
      let value: i64 = 0;
      do {
        const count = q - first;
        if (count == MAX_INTEGER_DIGITS) return fail(ERR_NUMBER_TOO_LONG, q);
        if (count < 18) value = value * 10 + <i64>(c - 0x30);
        if (++q >= len) return fail(ERR_UNEXPECTED_END, len);
        c = load<u8>(input + q);
      } while (isDigit(c));
      if (c != 0x65) return fail(ERR_INVALID_BYTE, q);
      const digits = q - first;
      store<i32>(entry, s, 4);
      if (digits <= 16 && value <= MAX_SAFE) {
        store<i32>(entry, KIND_INT);
        store<f64>(entry, <f64>(negative ? -value : value), 8);
      } else {
        store<i32>(entry, KIND_BIGINT);
        store<i32>(entry, s + 1, 8);
        store<i32>(entry, q, 12);
      }
      n++;
      p = q + 1;
    } else if (c == 0x6c || c == 0x64) {
      // l, d
      if (++items > MAX_ITEMS) return fail(ERR_TOO_MANY_ITEMS, p);
      if (depth >= MAX_DEPTH) return fail(ERR_TOO_DEEP, p);
      const frame = STACK + (<usize>depth << 4);
      store<i32>(frame, open);
      store<i32>(frame, inDict ? 1 : 0, 4);
      store<i32>(frame, prevStart, 8);
      store<i32>(frame, prevEnd, 12);
      depth++;
      open = n;
      inDict = c == 0x64;
      prevStart = -1;
      store<i32>(entry, inDict ? KIND_DICT : KIND_LIST);
      store<i32>(entry, p, 4);
      n++;
      p++;
    } else {
      return fail(ERR_INVALID_BYTE, p);
    }

    // After a value: close containers, or read the next dict key, until a value is due.
    while (true) {
      if (depth == 0) {
        if (p != len) return fail(ERR_TRAILING_BYTES, p);
        return 0;
      }
      if (p >= len) return fail(ERR_UNEXPECTED_END, len);
      c = load<u8>(input + p);
      if (c == 0x65) {
        const closed = tape + (<usize>open << 4);
        p++;
        store<i32>(closed, n, 8);
        store<i32>(closed, p, 12);
        depth--;
        const frame = STACK + (<usize>depth << 4);
        open = load<i32>(frame);
        inDict = load<i32>(frame, 4) != 0;
        prevStart = load<i32>(frame, 8);
        prevEnd = load<i32>(frame, 12);
        continue;
      }
      if (!inDict) break; // list: next item
      // Dict key: a byte string, strictly greater than the previous key.
      if (!isDigit(c)) return fail(ERR_INVALID_BYTE, p);
      const s = p;
      const fault = scanString(input, len, s, c);
      if (fault != 0) return fault;
      const keyStart = stringStart;
      const keyEnd = stringEnd;
      if (prevStart >= 0) {
        const order = compareBytes(input + prevStart, prevEnd - prevStart, input + keyStart, keyEnd - keyStart);
        if (order == 0) return fail(ERR_DUPLICATE_KEY, s);
        if (order > 0) return fail(ERR_UNSORTED_KEYS, s);
      }
      prevStart = keyStart;
      prevEnd = keyEnd;
      const key = tape + (<usize>n << 4);
      store<i32>(key, KIND_STR);
      store<i32>(key, s, 4);
      store<i32>(key, keyStart, 8);
      store<i32>(key, keyEnd, 12);
      n++;
      p = keyEnd;
      break;
    }
  }
  return 0;
}
