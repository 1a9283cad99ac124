/**
 * The KRPC fast path: one validating pass over the datagram (same faults and
 * offsets as the generic decoder) that records where the known keys' values
 * start, then the semantic checks of docs/CORE-SPEC.md and the typed message,
 * without a generic value tree. Never throws.
 */
import type { KrpcDecodeErrorCode, KrpcDecodeFailure, KrpcError, KrpcMessage, KrpcQuery, KrpcResponse, QueryArgs, ReceivedValues } from '../../ground/messages.ts';
import { ValuesView } from '../../ground/messages.ts';
import { latin1Decode } from '../latin1.ts';
import { BencodeScanner, CH_D, CH_E, CH_I, CH_L, integerValue, isDigit } from './bencode-scan.ts';
import {
  ARG_ID, ARG_IMPLIED_PORT, ARG_INFO_HASH, ARG_NAMES, ARG_PORT, ARG_TARGET, ARG_TOKEN, ARG_WANT,
  TOP_A, TOP_E, TOP_IP, TOP_NAMES, TOP_Q, TOP_R, TOP_RO, TOP_T, TOP_V, TOP_Y,
  VAL_ID, VAL_NAMES, VAL_NODES, VAL_NODES6, VAL_TOKEN, VAL_VALUES,
} from './krpc-fields.ts';

const has = (seen: number, key: number): boolean => (seen & (1 << key)) !== 0;
/** Index of the lowest set bit: walking a `seen` mask low bit first is walking the keys in dict order. */
const lowestBit = (mask: number): number => 31 - Math.clz32(mask & -mask);

const scanner = new BencodeScanner();
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Expected first byte per top-level key: a d, e l, ip s, q s, r d, ro i, t s, v s, y s (0x30: a string). */
const TOP_TYPES = [CH_D, CH_L, 0x30, 0x30, CH_D, CH_I, 0x30, 0x30, 0x30];
/** Per `a` key: id, implied_port, info_hash, port, target, token strings / integers, want a list. */
const ARG_TYPES = [0x30, CH_I, 0x30, CH_I, 0x30, 0x30, CH_L];
/** Per `r` key: id, nodes, nodes6, token strings, values a list. */
const VAL_TYPES = [0x30, 0x30, 0x30, 0x30, CH_L];

/** Content start of the (validated) string at `p`; its length is `strLength`. */
let strLength = 0;
function stringContent(b: Uint8Array, p: number): number {
  let n = 0;
  while (b[p] !== 0x3a) n = n * 10 + (b[p++]! - 0x30);
  strLength = n;
  return p + 1;
}

function bytesAt(b: Uint8Array, p: number): Uint8Array {
  const start = stringContent(b, p);
  return scanner.view(start, start + strLength);
}

/** Offset after the (validated) integer at `p`; its value is `intValue`. */
let intValue: number | bigint = 0;
function integerAt(b: Uint8Array, p: number): number {
  let q = p + 1;
  const negative = b[q] === 0x2d;
  if (negative) q++;
  let end = q;
  while (b[end] !== CH_E) end++;
  intValue = integerValue(b, q, end, negative);
  return end + 1;
}

/** Does the validated value at `p` have the expected kind (0x30 = byte string); integers must be safe. */
function hasType(b: Uint8Array, p: number, expected: number): boolean {
  const c = b[p]!;
  if (expected === 0x30) return isDigit(c);
  if (c !== expected) return false;
  if (expected !== CH_I) return true;
  integerAt(b, p);
  return typeof intValue === 'number';
}

const PING = bytesOf('ping');
const FIND_NODE = bytesOf('find_node');
const GET_PEERS = bytesOf('get_peers');
const ANNOUNCE_PEER = bytesOf('announce_peer');

function bytesOf(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

function equalsAt(b: Uint8Array, start: number, length: number, name: Uint8Array): boolean {
  if (length !== name.length) return false;
  for (let i = 0; i < length; i++) if (b[start + i] !== name[i]) return false;
  return true;
}

/** The method name (latin1); the BEP 5 ones without building a string. */
function methodName(b: Uint8Array, p: number): string {
  const start = stringContent(b, p);
  const n = strLength;
  if (equalsAt(b, start, n, PING)) return 'ping';
  if (equalsAt(b, start, n, GET_PEERS)) return 'get_peers';
  if (equalsAt(b, start, n, FIND_NODE)) return 'find_node';
  if (equalsAt(b, start, n, ANNOUNCE_PEER)) return 'announce_peer';
  return latin1Decode(b, start, start + n);
}

function invalid(code: KrpcDecodeErrorCode, offset: number): KrpcDecodeFailure {
  return { y: 'invalid', code, offset };
}

/** A semantic failure: carries `t` and `q` when the top level has them as strings. */
function semantic(b: Uint8Array, code: KrpcDecodeErrorCode, offset: number, field: string): KrpcDecodeFailure {
  const failure: KrpcDecodeFailure = { y: 'invalid', code, offset, field };
  if (has(scanner.topSeen, TOP_T)) {
    const t = scanner.topStart[TOP_T]!;
    if (isDigit(b[t])) failure.t = bytesAt(b, t);
  }
  if (has(scanner.topSeen, TOP_Q)) {
    const q = scanner.topStart[TOP_Q]!;
    if (isDigit(b[q])) failure.q = methodName(b, q);
  }
  return failure;
}

/** The first wrong-typed known key of a dict, in key order, as a failure; undefined if none. */
function checkTypes(b: Uint8Array, seen: number, starts: Int32Array, types: readonly number[], names: readonly string[], listKey: number): KrpcDecodeFailure | undefined {
  while (seen !== 0) {
    const key = lowestBit(seen);
    seen &= seen - 1;
    const p = starts[key]!;
    // The list key is last in key order; decodeList checks it while building it.
    if (key !== listKey && !hasType(b, p, types[key]!)) return semantic(b, 'wrong-type', p, names[key]!);
  }
  return undefined;
}

/** The list at `p` as latin1 text (want); null if it is not a list of strings. */
function decodeList(b: Uint8Array, p: number): string[] | null {
  if (b[p] !== CH_L) return null;
  const out: string[] = [];
  p++;
  while (b[p] !== CH_E) {
    if (!isDigit(b[p])) return null;
    const start = stringContent(b, p);
    p = start + strLength;
    out.push(latin1Decode(b, start, p));
  }
  return out;
}

/** The list at `p` as one packed view (values); null if it is not a list of strings. */
function valuesView(b: Uint8Array, p: number): ValuesView | null {
  if (b[p] !== CH_L) return null;
  const first = ++p;
  let count = 0;
  while (b[p] !== CH_E) {
    if (!isDigit(b[p])) return null;
    p = stringContent(b, p) + strLength;
    count++;
  }
  return new ValuesView(scanner.view(first, p), count);
}

function decodeArgs(b: Uint8Array, want: string[] | undefined): QueryArgs {
  const a: QueryArgs = {};
  const starts = scanner.argsStart;
  let seen = scanner.argsSeen;
  while (seen !== 0) {
    const key = lowestBit(seen);
    seen &= seen - 1;
    const p = starts[key]!;
    switch (key) {
      case ARG_ID: a.id = bytesAt(b, p); break;
      case ARG_IMPLIED_PORT: integerAt(b, p); a.implied_port = intValue as number; break;
      case ARG_INFO_HASH: a.info_hash = bytesAt(b, p); break;
      case ARG_PORT: integerAt(b, p); a.port = intValue as number; break;
      case ARG_TARGET: a.target = bytesAt(b, p); break;
      case ARG_TOKEN: a.token = bytesAt(b, p); break;
      case ARG_WANT: a.want = want; break;
    }
  }
  return a;
}

function decodeValues(b: Uint8Array, values: ValuesView | undefined): ReceivedValues {
  const r: ReceivedValues = {};
  const starts = scanner.valuesStart;
  let seen = scanner.valuesSeen;
  while (seen !== 0) {
    const key = lowestBit(seen);
    seen &= seen - 1;
    const p = starts[key]!;
    switch (key) {
      case VAL_ID: r.id = bytesAt(b, p); break;
      case VAL_NODES: r.nodes = bytesAt(b, p); break;
      case VAL_NODES6: r.nodes6 = bytesAt(b, p); break;
      case VAL_TOKEN: r.token = bytesAt(b, p); break;
      case VAL_VALUES: r.values = values; break;
    }
  }
  return r;
}

function decodeValidated(b: Uint8Array): KrpcMessage | KrpcDecodeFailure {
  const seen = scanner.topSeen;
  const top = scanner.topStart;
  const wrong = checkTypes(b, seen, top, TOP_TYPES, TOP_NAMES, -1);
  if (wrong) return wrong;
  if (!has(seen, TOP_T)) return semantic(b, 'missing-field', 0, 't');
  if (!has(seen, TOP_Y)) return semantic(b, 'missing-field', 0, 'y');
  const yPos = top[TOP_Y]!;
  const yStart = stringContent(b, yPos);
  const y = strLength === 1 ? b[yStart]! : 0;
  if (y !== 0x71 && y !== 0x72 && y !== 0x65) return semantic(b, 'unknown-type', yPos, 'y');

  const t = bytesAt(b, top[TOP_T]!);
  if (y === 0x71) {
    if (!has(seen, TOP_Q)) return semantic(b, 'missing-field', 0, 'q');
    if (!has(seen, TOP_A)) return semantic(b, 'missing-field', 0, 'a');
    const fault = checkTypes(b, scanner.argsSeen, scanner.argsStart, ARG_TYPES, ARG_NAMES, ARG_WANT);
    if (fault) return fault;
    let want: string[] | undefined;
    if (has(scanner.argsSeen, ARG_WANT)) {
      const p = scanner.argsStart[ARG_WANT]!;
      want = decodeList(b, p) ?? undefined;
      if (!want) return semantic(b, 'wrong-type', p, 'want');
    }
    const message: KrpcQuery = {
      y: 'q',
      t,
      q: methodName(b, top[TOP_Q]!),
      a: decodeArgs(b, want),
      datagram: b,
      bodyStart: top[TOP_A]!,
      bodyEnd: scanner.topEnd[TOP_A]!,
    };
    if (has(seen, TOP_V)) message.v = bytesAt(b, top[TOP_V]!);
    if (has(seen, TOP_RO)) {
      integerAt(b, top[TOP_RO]!);
      message.ro = intValue as number;
    }
    return message;
  }
  if (y === 0x72) {
    if (!has(seen, TOP_R)) return semantic(b, 'missing-field', 0, 'r');
    const fault = checkTypes(b, scanner.valuesSeen, scanner.valuesStart, VAL_TYPES, VAL_NAMES, VAL_VALUES);
    if (fault) return fault;
    let values: ValuesView | undefined;
    if (has(scanner.valuesSeen, VAL_VALUES)) {
      const p = scanner.valuesStart[VAL_VALUES]!;
      values = valuesView(b, p) ?? undefined;
      if (!values) return semantic(b, 'wrong-type', p, 'values');
    }
    const message: KrpcResponse = {
      y: 'r',
      t,
      r: decodeValues(b, values),
      datagram: b,
      bodyStart: top[TOP_R]!,
      bodyEnd: scanner.topEnd[TOP_R]!,
    };
    if (has(seen, TOP_V)) message.v = bytesAt(b, top[TOP_V]!);
    if (has(seen, TOP_IP)) message.ip = bytesAt(b, top[TOP_IP]!);
    return message;
  }
  if (!has(seen, TOP_E)) return semantic(b, 'missing-field', 0, 'e');
  // e: [code, message, ...]: a safe integer, then a string.
  const ePos = top[TOP_E]!;
  let p = ePos + 1;
  if (b[p] !== CH_I) return semantic(b, 'wrong-type', ePos, 'e');
  p = integerAt(b, p);
  if (typeof intValue !== 'number' || !isDigit(b[p])) return semantic(b, 'wrong-type', ePos, 'e');
  const code = intValue;
  const start = stringContent(b, p);
  const message: KrpcError = {
    y: 'e',
    t,
    e: { code, message: utf8.decode(b.subarray(start, start + strLength)) },
    datagram: b,
    bodyStart: 0,
    bodyEnd: 0,
  };
  if (has(seen, TOP_V)) message.v = bytesAt(b, top[TOP_V]!);
  return message;
}

/** Decode a datagram into a typed KRPC message; never throws. */
export function decodeKrpcMessage(datagram: Uint8Array): KrpcMessage | KrpcDecodeFailure {
  if (!(datagram instanceof Uint8Array)) return invalid('not-a-dict', 0);
  const b = datagram;
  scanner.reset(b);
  try {
    if (b.length > 0 && b[0] === CH_D) {
      scanner.begin(0);
      const end = scanner.walkTop();
      if (end < 0) return invalid(scanner.code, scanner.offset);
      if (end !== b.length) return invalid('trailing-bytes', end);
      return decodeValidated(b);
    }
    const end = scanner.skipValue(0, 0);
    if (end < 0) return invalid(scanner.code, scanner.offset);
    if (end !== b.length) return invalid('trailing-bytes', end);
    return invalid('not-a-dict', 0);
  } catch {
    // Unreachable by design; the receive path must still never see an exception.
    return invalid('invalid-byte', 0);
  } finally {
    scanner.release();
  }
}
