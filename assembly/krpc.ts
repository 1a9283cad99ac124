/**
 * decodeKrpc (docs/CORE-SPEC.md, "KRPC decode"): the strict scan, then the
 * semantic checks over its tape, in the spec's order. The byte ranges of the
 * known fields go to result slots (i32; numbers as f64), so the host builds
 * the typed message with subarrays and no generic tree.
 */
import { KIND_DICT, KIND_INT, KIND_LIST, KIND_STR, errorOffset, scan } from './bencode';
import { F_A, F_E, F_ID, F_IMPLIED_PORT, F_INFO_HASH, F_IP, F_NODES, F_NODES6, F_PORT } from './krpc-keys';
import { F_Q, F_R, F_RO, F_T, F_TARGET, F_TOKEN, F_V, F_VALUES, F_WANT, F_Y } from './krpc-keys';
import { bodyField, methodId, topField } from './krpc-keys';
import { fastQuery, fastResponse } from './krpc-fast';

export const ERR_NOT_A_DICT: i32 = 13;
export const ERR_MISSING_FIELD: i32 = 14;
export const ERR_WRONG_TYPE: i32 = 15;
export const ERR_UNKNOWN_TYPE: i32 = 16;

/**
 * Result slots (i32 index; an f64 slot is at f64 index slot / 2). A range slot
 * holds start, end; the list slots hold the list's tape index and the index
 * after it. Only the slots whose bit is set in SLOT_PRESENT are written.
 */
export const SLOT_STATUS: i32 = 0; // 0 ok, else an error id
export const SLOT_OFFSET: i32 = 1;
export const SLOT_FIELD: i32 = 2;
export const SLOT_Y: i32 = 3; // 0 q, 1 r, 2 e
export const SLOT_PRESENT: i32 = 4; // HAS_* bits
export const SLOT_METHOD: i32 = 5; // known method id, 0 if other
export const SLOT_BODY: i32 = 6; // bodyStart, bodyEnd (always written)
export const SLOT_T: i32 = 8;
export const SLOT_Q: i32 = 10;
export const SLOT_V: i32 = 12;
export const SLOT_IP: i32 = 14;
export const SLOT_RO: i32 = 16; // f64
export const SLOT_PORT: i32 = 18; // f64
export const SLOT_IMPLIED_PORT: i32 = 20; // f64
export const SLOT_ERROR_CODE: i32 = 22; // f64
export const SLOT_ERROR_MESSAGE: i32 = 24;
export const SLOT_ID: i32 = 26;
export const SLOT_TARGET: i32 = 28;
export const SLOT_INFO_HASH: i32 = 30;
export const SLOT_TOKEN: i32 = 32;
export const SLOT_NODES: i32 = 34;
export const SLOT_NODES6: i32 = 36;
export const SLOT_WANT: i32 = 38;
export const SLOT_VALUES: i32 = 40;
export const SLOT_BODY_KEYS: i32 = 42; // keys in `a` / `r`, known or not (bytes in, bytes out: src/core/answer-types.ts)

export const HAS_T: i32 = 1 << 0;
export const HAS_Q: i32 = 1 << 1;
export const HAS_V: i32 = 1 << 2;
export const HAS_IP: i32 = 1 << 3;
export const HAS_RO: i32 = 1 << 4;
export const HAS_ID: i32 = 1 << 5;
export const HAS_TARGET: i32 = 1 << 6;
export const HAS_INFO_HASH: i32 = 1 << 7;
export const HAS_TOKEN: i32 = 1 << 8;
export const HAS_PORT: i32 = 1 << 9;
export const HAS_IMPLIED_PORT: i32 = 1 << 10;
export const HAS_WANT: i32 = 1 << 11;
export const HAS_NODES: i32 = 1 << 12;
export const HAS_NODES6: i32 = 1 << 13;
export const HAS_VALUES: i32 = 1 << 14;

// @ts-ignore: decorator
@inline function kindAt(tape: usize, i: i32): i32 {
  return load<i32>(tape + (<usize>i << 4));
}
// @ts-ignore: decorator
@inline function posAt(tape: usize, i: i32): i32 {
  return load<i32>(tape + (<usize>i << 4), 4);
}
// @ts-ignore: decorator
@inline function xAt(tape: usize, i: i32): i32 {
  return load<i32>(tape + (<usize>i << 4), 8);
}
// @ts-ignore: decorator
@inline function yAt(tape: usize, i: i32): i32 {
  return load<i32>(tape + (<usize>i << 4), 12);
}
/** Tape index of the next sibling of entry i. */
// @ts-ignore: decorator
@inline function nextAt(tape: usize, i: i32): i32 {
  const kind = kindAt(tape, i);
  return kind >= KIND_LIST ? xAt(tape, i) : i + 1;
}

// @ts-ignore: decorator
@inline function setRange(slots: usize, slot: i32, tape: usize, i: i32): void {
  store<i32>(slots + (<usize>slot << 2), xAt(tape, i));
  store<i32>(slots + (<usize>slot << 2), yAt(tape, i), 4);
}

// @ts-ignore: decorator
@inline function setI32(slots: usize, slot: i32, value: i32): void {
  store<i32>(slots + (<usize>slot << 2), value);
}

// @ts-ignore: decorator
@inline function fault(slots: usize, code: i32, offset: i32, field: i32): i32 {
  setI32(slots, SLOT_STATUS, code);
  setI32(slots, SLOT_OFFSET, offset);
  setI32(slots, SLOT_FIELD, field);
  return code;
}

/** Every item of the list at tape index i is a byte string. */
function allStrings(tape: usize, i: i32): bool {
  const end = xAt(tape, i);
  for (let j = i + 1; j < end; j = nextAt(tape, j)) {
    if (kindAt(tape, j) != KIND_STR) return false;
  }
  return true;
}

// @ts-ignore: decorator
@inline function setF64(slots: usize, slot: i32, tape: usize, i: i32): void {
  store<f64>(slots + (<usize>slot << 2), load<f64>(tape + (<usize>i << 4), 8));
}

// @ts-ignore: decorator
@inline function setList(slots: usize, slot: i32, tape: usize, i: i32): void {
  setI32(slots, slot, i);
  setI32(slots, slot + 1, xAt(tape, i));
}

/**
 * Check the body dict (`a` or `r`) at tape index `body` in key order, recording
 * its known fields. Returns the presence bits, or -1 with the fault in slots.
 */
function checkBody(tape: usize, input: usize, slots: usize, body: i32, isQuery: bool, present: i32): i32 {
  const end = xAt(tape, body);
  let i = body + 1;
  let keys: i32 = 0;
  while (i < end) {
    keys++;
    const value = i + 1;
    const kind = kindAt(tape, value);
    const keyStart = xAt(tape, i);
    const field = bodyField(input + keyStart, yAt(tape, i) - keyStart);
    let ok = true;
    if (field == F_ID) {
      ok = kind == KIND_STR;
      setRange(slots, SLOT_ID, tape, value);
      present |= HAS_ID;
    } else if (field == F_TOKEN) {
      ok = kind == KIND_STR;
      setRange(slots, SLOT_TOKEN, tape, value);
      present |= HAS_TOKEN;
    } else if (isQuery) {
      if (field == F_TARGET) {
        ok = kind == KIND_STR;
        setRange(slots, SLOT_TARGET, tape, value);
        present |= HAS_TARGET;
      } else if (field == F_INFO_HASH) {
        ok = kind == KIND_STR;
        setRange(slots, SLOT_INFO_HASH, tape, value);
        present |= HAS_INFO_HASH;
      } else if (field == F_PORT) {
        ok = kind == KIND_INT;
        setF64(slots, SLOT_PORT, tape, value);
        present |= HAS_PORT;
      } else if (field == F_IMPLIED_PORT) {
        ok = kind == KIND_INT;
        setF64(slots, SLOT_IMPLIED_PORT, tape, value);
        present |= HAS_IMPLIED_PORT;
      } else if (field == F_WANT) {
        ok = kind == KIND_LIST && allStrings(tape, value);
        setList(slots, SLOT_WANT, tape, value);
        present |= HAS_WANT;
      }
    } else {
      if (field == F_NODES) {
        ok = kind == KIND_STR;
        setRange(slots, SLOT_NODES, tape, value);
        present |= HAS_NODES;
      } else if (field == F_NODES6) {
        ok = kind == KIND_STR;
        setRange(slots, SLOT_NODES6, tape, value);
        present |= HAS_NODES6;
      } else if (field == F_VALUES) {
        ok = kind == KIND_LIST && allStrings(tape, value);
        setList(slots, SLOT_VALUES, tape, value);
        present |= HAS_VALUES;
      }
    }
    if (!ok) {
      fault(slots, ERR_WRONG_TYPE, posAt(tape, value), field);
      return -1;
    }
    i = nextAt(tape, value);
  }
  setI32(slots, SLOT_BODY_KEYS, keys);
  return present;
}

/**
 * Decode the datagram of `len` bytes at `input`: strict scan to `tape`, then the
 * KRPC checks into `slots`. Returns 0 or an error id (also in SLOT_STATUS).
 */
export function decodeKrpc(input: usize, len: i32, tape: usize, slots: usize): i32 {
  if (fastQuery(input, len, slots) || fastResponse(input, len, tape, slots)) return 0;
  setI32(slots, SLOT_PRESENT, 0);
  const scanned = scan(input, len, tape);
  if (scanned != 0) return fault(slots, scanned, errorOffset, 0);
  if (kindAt(tape, 0) != KIND_DICT) return fault(slots, ERR_NOT_A_DICT, 0, 0);

  // Walk the top level in key order: types of known keys, first fault kept
  // (the walk goes on, so a failure can still carry t and q).
  let firstFault: i32 = 0;
  let faultOffset: i32 = 0;
  let faultField: i32 = 0;
  let y: i32 = -1;
  let a: i32 = -1;
  let r: i32 = -1;
  let e: i32 = -1;
  let present: i32 = 0;
  const end = xAt(tape, 0);
  let i: i32 = 1;
  while (i < end) {
    const value = i + 1;
    const kind = kindAt(tape, value);
    const keyStart = xAt(tape, i);
    const field = topField(input + keyStart, yAt(tape, i) - keyStart);
    let ok = true;
    switch (field) {
      case F_A:
        ok = kind == KIND_DICT;
        a = value;
        break;
      case F_R:
        ok = kind == KIND_DICT;
        r = value;
        break;
      case F_E:
        ok = kind == KIND_LIST;
        e = value;
        break;
      case F_RO:
        ok = kind == KIND_INT;
        if (ok) {
          setF64(slots, SLOT_RO, tape, value);
          present |= HAS_RO;
        }
        break;
      case F_Y:
        ok = kind == KIND_STR;
        if (ok) y = value;
        break;
      case F_T:
        ok = kind == KIND_STR;
        if (ok) {
          setRange(slots, SLOT_T, tape, value);
          present |= HAS_T;
        }
        break;
      case F_Q:
        ok = kind == KIND_STR;
        if (ok) {
          setRange(slots, SLOT_Q, tape, value);
          present |= HAS_Q;
          const qStart = xAt(tape, value);
          setI32(slots, SLOT_METHOD, methodId(input + qStart, yAt(tape, value) - qStart));
        }
        break;
      case F_V:
        ok = kind == KIND_STR;
        if (ok) {
          setRange(slots, SLOT_V, tape, value);
          present |= HAS_V;
        }
        break;
      case F_IP:
        ok = kind == KIND_STR;
        if (ok) {
          setRange(slots, SLOT_IP, tape, value);
          present |= HAS_IP;
        }
        break;
    }
    if (!ok && firstFault == 0) {
      firstFault = ERR_WRONG_TYPE;
      faultOffset = posAt(tape, value);
      faultField = field;
    }
    i = nextAt(tape, value);
  }
  setI32(slots, SLOT_PRESENT, present);
  if (firstFault != 0) return fault(slots, firstFault, faultOffset, faultField);

  // Required fields.
  if (!(present & HAS_T)) return fault(slots, ERR_MISSING_FIELD, 0, F_T);
  if (y < 0) return fault(slots, ERR_MISSING_FIELD, 0, F_Y);
  const yStart = xAt(tape, y);
  const yByte = yAt(tape, y) - yStart == 1 ? load<u8>(input + yStart) : 0;
  let body: i32 = -1;
  if (yByte == 0x71) {
    // q
    if (!(present & HAS_Q)) return fault(slots, ERR_MISSING_FIELD, 0, F_Q);
    if (a < 0) return fault(slots, ERR_MISSING_FIELD, 0, F_A);
    body = a;
    setI32(slots, SLOT_Y, 0);
  } else if (yByte == 0x72) {
    // r
    if (r < 0) return fault(slots, ERR_MISSING_FIELD, 0, F_R);
    body = r;
    setI32(slots, SLOT_Y, 1);
  } else if (yByte == 0x65) {
    // e: [code, message, ...]
    if (e < 0) return fault(slots, ERR_MISSING_FIELD, 0, F_E);
    const first = e + 1;
    const listEnd = xAt(tape, e);
    if (first >= listEnd || kindAt(tape, first) != KIND_INT) return fault(slots, ERR_WRONG_TYPE, posAt(tape, e), F_E);
    const second = first + 1;
    if (second >= listEnd || kindAt(tape, second) != KIND_STR) return fault(slots, ERR_WRONG_TYPE, posAt(tape, e), F_E);
    setF64(slots, SLOT_ERROR_CODE, tape, first);
    setRange(slots, SLOT_ERROR_MESSAGE, tape, second);
    setI32(slots, SLOT_Y, 2);
    setI32(slots, SLOT_STATUS, 0);
    return 0;
  } else {
    return fault(slots, ERR_UNKNOWN_TYPE, posAt(tape, y), F_Y);
  }
  present = checkBody(tape, input, slots, body, yByte == 0x71, present);
  if (present < 0) return load<i32>(slots);
  setI32(slots, SLOT_PRESENT, present);
  setI32(slots, SLOT_BODY, posAt(tape, body));
  setI32(slots, SLOT_BODY + 1, yAt(tape, body));
  setI32(slots, SLOT_STATUS, 0);
  return 0;
}
