/**
 * The common query in one pass: a datagram laid out exactly as
 *
 *   d 1:a d 2:id 20:<id> [6:target 20:<id> | 9:info_hash 20:<id>] e
 *     1:q <method> 1:t <t> [1:v <v>] 1:y 1:q e
 *
 * (ping, find_node, get_peers and any other method with these arguments; the
 * bulk of what a DHT node receives) fills the result slots without the
 * generic scan and its tape. Every byte is matched against that layout, whose
 * keys are sorted and whose lengths have no leading zero, so a match is valid
 * strict bencode and a valid query; the slots are those the generic path
 * writes for it. Anything else (other keys, `ro`, longer lengths, any
 * deviation) returns false and takes the generic path, which decides.
 */
import { HAS_ID, HAS_INFO_HASH, HAS_IP, HAS_NODES, HAS_Q, HAS_T, HAS_TARGET, HAS_TOKEN, HAS_V, HAS_VALUES } from './krpc';
import { SLOT_BODY, SLOT_BODY_KEYS, SLOT_ID, SLOT_INFO_HASH, SLOT_IP, SLOT_METHOD, SLOT_NODES, SLOT_PRESENT, SLOT_Q, SLOT_STATUS, SLOT_T, SLOT_TARGET, SLOT_TOKEN, SLOT_V, SLOT_VALUES, SLOT_Y } from './krpc';
import { methodId } from './krpc-keys';

// Little-endian words of the fixed parts (bytes past a part's length masked off).
const HEAD: u64 = 0x693a3264613a3164; // "d1:ad2:i"
const HEAD_ID: u32 = 0x3a303264; // "d20:"
const TARGET: u64 = 0x7465677261743a36; // "6:target"
const TARGET_TAIL: u32 = 0x3a303274; // "t20:"
const INFO_HASH: u64 = 0x685f6f666e693a39; // "9:info_h"
const INFO_HASH_TAIL: u64 = 0x3a3032687361685f; // "_hash20:"
const KEY_Q: u32 = 0x713a31; // "1:q"
const KEY_T: u32 = 0x743a31; // "1:t"
const KEY_V: u32 = 0x763a31; // "1:v"
const TAIL: u64 = 0x65713a31793a31; // "1:y1:qe"
const MASK3: u32 = 0xffffff;
const MASK7: u64 = 0xffffffffffffff;

/** Content range of the last `fastString`. */
let stringStart: i32 = 0;
let stringEnd: i32 = 0;

/** A byte string at p with a 1–3 digit length and no leading zero: its end, or -1. */
// @ts-ignore: decorator
@inline function fastString(input: usize, len: i32, p: i32): i32 {
  if (p >= len) return -1;
  let c = <u32>load<u8>(input + p) - 0x30;
  if (c >= 10) return -1;
  let n = <i32>c;
  p++;
  if (n != 0) {
    for (let d = 0; d < 2 && p < len; d++) {
      c = <u32>load<u8>(input + p) - 0x30;
      if (c >= 10) break;
      n = n * 10 + <i32>c;
      p++;
    }
  }
  if (p >= len || load<u8>(input + p) != 0x3a) return -1;
  p++;
  if (p + n > len) return -1;
  stringStart = p;
  stringEnd = p + n;
  return p + n;
}

// @ts-ignore: decorator
@inline function key3(input: usize, len: i32, p: i32, key: u32): bool {
  return p + 3 <= len && (load<u32>(input + p) & MASK3) == key;
}

/** Ranges of the last `fastTail`: `t`, and `v` when `tailHasV`. */
let tailTStart: i32 = 0;
let tailTEnd: i32 = 0;
let tailVStart: i32 = 0;
let tailVEnd: i32 = 0;
let tailHasV = false;

/** The message's end at p: `1:t…`, an optional `1:v…`, then the 7-byte `tail` ending the input exactly. */
// @ts-ignore: decorator
@inline function fastTail(input: usize, len: i32, p: i32, tail: u64): bool {
  if (!key3(input, len, p, KEY_T)) return false;
  p = fastString(input, len, p + 3);
  if (p < 0) return false;
  tailTStart = stringStart;
  tailTEnd = stringEnd;
  tailHasV = key3(input, len, p, KEY_V);
  if (tailHasV) {
    p = fastString(input, len, p + 3);
    if (p < 0) return false;
    tailVStart = stringStart;
    tailVEnd = stringEnd;
  }
  return p + 7 == len && (load<u64>(input + p) & MASK7) == tail;
}

// @ts-ignore: decorator
@inline function range(slots: usize, slot: i32, start: i32, end: i32): void {
  store<i32>(slots + (<usize>slot << 2), start);
  store<i32>(slots + (<usize>slot << 2), end, 4);
}

/**
 * True when the `len` bytes at `input` are the layout above; the slots are
 * then written as decodeKrpc's generic path would. Reads at most 8 bytes past
 * a checked position (linear memory holds padding after every input region).
 */
export function fastQuery(input: usize, len: i32, slots: usize): bool {
  if (len < 12 + 20 + 1 + 3 + 2 + 3 + 2 + 7) return false;
  if (load<u64>(input) != HEAD || load<u32>(input + 8) != HEAD_ID) return false;
  // id at [12, 32)
  let p: i32 = 32;
  let present = HAS_T | HAS_Q | HAS_ID;
  let keys: i32 = 1;
  let argSlot: i32 = 0;
  const c = load<u8>(input + p);
  if (c == 0x36) {
    if (p + 11 + 20 > len || load<u64>(input + p) != TARGET || load<u32>(input + p + 7) != TARGET_TAIL) return false;
    argSlot = SLOT_TARGET;
    present |= HAS_TARGET;
    p += 11;
  } else if (c == 0x39) {
    if (p + 14 + 20 > len || load<u64>(input + p) != INFO_HASH || load<u64>(input + p + 6) != INFO_HASH_TAIL) return false;
    argSlot = SLOT_INFO_HASH;
    present |= HAS_INFO_HASH;
    p += 14;
  }
  const arg = p;
  if (argSlot != 0) {
    p += 20;
    keys = 2;
  }
  if (p >= len || load<u8>(input + p) != 0x65) return false;
  const bodyEnd = ++p;
  if (!key3(input, len, p, KEY_Q)) return false;
  p = fastString(input, len, p + 3);
  if (p < 0) return false;
  const qStart = stringStart;
  const qEnd = stringEnd;
  if (!fastTail(input, len, p, TAIL)) return false;
  if (tailHasV) present |= HAS_V;

  store<i32>(slots + (<usize>SLOT_STATUS << 2), 0);
  store<i32>(slots + (<usize>SLOT_Y << 2), 0);
  store<i32>(slots + (<usize>SLOT_PRESENT << 2), present);
  store<i32>(slots + (<usize>SLOT_METHOD << 2), methodId(input + qStart, qEnd - qStart));
  store<i32>(slots + (<usize>SLOT_BODY_KEYS << 2), keys);
  range(slots, SLOT_BODY, 4, bodyEnd);
  range(slots, SLOT_T, tailTStart, tailTEnd);
  range(slots, SLOT_Q, qStart, qEnd);
  if (present & HAS_V) range(slots, SLOT_V, tailVStart, tailVEnd);
  range(slots, SLOT_ID, 12, 32);
  if (argSlot != 0) range(slots, argSlot, arg, arg + 20);
  return true;
}

// The common response, as little-endian words (7-byte ones masked with MASK7).
const KEY_IP: u32 = 0x70693a32; // "2:ip"
const KEY_R: u32 = 0x64723a31; // "1:rd" (the key and its dict's "d")
const ID_KEY: u64 = 0x3a303264693a32; // "2:id20:"
const KEY_NODES: u64 = 0x7365646f6e3a35; // "5:nodes"
const KEY_TOKEN: u64 = 0x6e656b6f743a35; // "5:token"
const KEY_VALUES: u64 = 0x7365756c61763a36; // "6:values"
const TAIL_R: u64 = 0x65723a31793a31; // "1:y1:re"
/** Tape entry of a list (mirror of assembly/bencode.ts KIND_LIST). */
const KIND_LIST: i32 = 3;

// @ts-ignore: decorator
@inline function key7(input: usize, len: i32, p: i32, key: u64): bool {
  return p + 7 <= len && (load<u64>(input + p) & MASK7) == key;
}

/**
 * The common response in one pass:
 *
 *   d [2:ip <ip>] 1:r d 2:id 20:<id> [5:nodes <n>] [5:token <t>] [6:values l <v>* e] e
 *     1:t <t> [1:v <v>] 1:y 1:r e
 *
 * (ping, find_node and get_peers answers; what a lookup or a crawler reads
 * all day), with the same strictness as fastQuery. `values` gets one tape
 * entry at index 0 (a list: its byte range and item count), which is all the
 * host reads of it. Anything else returns false and takes the generic path.
 */
export function fastResponse(input: usize, len: i32, tape: usize, slots: usize): bool {
  if (len < 12 + 20 + 1 + 3 + 2 + 7 || len > 65536 || load<u8>(input) != 0x64) return false;
  let p: i32 = 1;
  let present = HAS_T | HAS_ID;
  let ipStart: i32 = 0;
  let ipEnd: i32 = 0;
  if (load<u32>(input + p) == KEY_IP) {
    p = fastString(input, len, p + 4);
    if (p < 0) return false;
    ipStart = stringStart;
    ipEnd = stringEnd;
    present |= HAS_IP;
  }
  if (p + 4 + 7 + 20 > len || load<u32>(input + p) != KEY_R) return false;
  const bodyStart = p + 3;
  p += 4;
  if ((load<u64>(input + p) & MASK7) != ID_KEY) return false;
  p += 7;
  const id = p;
  p += 20;
  let keys: i32 = 1;
  let nodesStart: i32 = 0;
  let nodesEnd: i32 = 0;
  let tokenStart: i32 = 0;
  let tokenEnd: i32 = 0;
  if (key7(input, len, p, KEY_NODES)) {
    p = fastString(input, len, p + 7);
    if (p < 0) return false;
    nodesStart = stringStart;
    nodesEnd = stringEnd;
    present |= HAS_NODES;
    keys++;
  }
  if (key7(input, len, p, KEY_TOKEN)) {
    p = fastString(input, len, p + 7);
    if (p < 0) return false;
    tokenStart = stringStart;
    tokenEnd = stringEnd;
    present |= HAS_TOKEN;
    keys++;
  }
  let listStart: i32 = 0;
  let count: i32 = 0;
  if (p + 9 <= len && load<u64>(input + p) == KEY_VALUES && load<u8>(input + p + 8) == 0x6c) {
    p += 8;
    listStart = p;
    p++;
    while (p < len && load<u8>(input + p) != 0x65) {
      p = fastString(input, len, p);
      if (p < 0) return false;
      count++;
    }
    if (p >= len) return false;
    p++;
    present |= HAS_VALUES;
    keys++;
  }
  const listEnd = p;
  if (p >= len || load<u8>(input + p) != 0x65) return false;
  const bodyEnd = ++p;
  if (!fastTail(input, len, p, TAIL_R)) return false;
  if (tailHasV) present |= HAS_V;

  store<i32>(slots + (<usize>SLOT_STATUS << 2), 0);
  store<i32>(slots + (<usize>SLOT_Y << 2), 1);
  store<i32>(slots + (<usize>SLOT_PRESENT << 2), present);
  store<i32>(slots + (<usize>SLOT_BODY_KEYS << 2), keys);
  range(slots, SLOT_BODY, bodyStart, bodyEnd);
  range(slots, SLOT_T, tailTStart, tailTEnd);
  if (present & HAS_V) range(slots, SLOT_V, tailVStart, tailVEnd);
  if (present & HAS_IP) range(slots, SLOT_IP, ipStart, ipEnd);
  range(slots, SLOT_ID, id, id + 20);
  if (present & HAS_NODES) range(slots, SLOT_NODES, nodesStart, nodesEnd);
  if (present & HAS_TOKEN) range(slots, SLOT_TOKEN, tokenStart, tokenEnd);
  if (present & HAS_VALUES) {
    store<i32>(tape, KIND_LIST);
    store<i32>(tape, listStart, 4);
    store<i32>(tape, count + 1, 8);
    store<i32>(tape, listEnd, 12);
    range(slots, SLOT_VALUES, 0, count + 1);
  }
  return true;
}
