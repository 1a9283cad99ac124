/**
 * decodeKrpc for the wasm backend: one WASM call validates the datagram and
 * fills result slots with the byte ranges of the known fields; the host makes
 * the typed message from subarrays of the caller's datagram.
 */
import type { KrpcDecodeErrorCode, KrpcDecodeFailure, KrpcError, KrpcMessage, KrpcQuery, KrpcResponse, QueryArgs, ReceivedValues } from '../../ground/messages.ts';
import { ValuesView } from '../../ground/messages.ts';
import { bufferOf, byteOffsetOf } from '../../ground/views.ts';
import { latin1Decode } from '../latin1.ts';
import { DECODE_ERRORS } from './bencode.ts';
import type { CoreMemory } from './memory.ts';

// Result slots and presence bits: mirror of assembly/krpc.ts (i32 indexes; f64 at index / 2).
const SLOT_OFFSET = 1;
const SLOT_FIELD = 2;
export const SLOT_Y = 3;
export const SLOT_PRESENT = 4;
export const SLOT_METHOD = 5;
const SLOT_BODY = 6;
export const SLOT_T = 8;
const SLOT_Q = 10;
const SLOT_V = 12;
const SLOT_IP = 14;
export const SLOT_RO = 16;
const SLOT_PORT = 18;
const SLOT_IMPLIED_PORT = 20;
const SLOT_ERROR_CODE = 22;
const SLOT_ERROR_MESSAGE = 24;
export const SLOT_ID = 26;
export const SLOT_TARGET = 28;
export const SLOT_INFO_HASH = 30;
const SLOT_TOKEN = 32;
const SLOT_NODES = 34;
const SLOT_NODES6 = 36;
const SLOT_WANT = 38;
const SLOT_VALUES = 40;
export const SLOT_BODY_KEYS = 42;
const HAS_T = 1 << 0;
const HAS_Q = 1 << 1;
const HAS_V = 1 << 2;
const HAS_IP = 1 << 3;
export const HAS_RO = 1 << 4;
export const HAS_ID = 1 << 5;
export const HAS_TARGET = 1 << 6;
export const HAS_INFO_HASH = 1 << 7;
const HAS_TOKEN = 1 << 8;
const HAS_PORT = 1 << 9;
const HAS_IMPLIED_PORT = 1 << 10;
const HAS_WANT = 1 << 11;
const HAS_NODES = 1 << 12;
const HAS_NODES6 = 1 << 13;
const HAS_VALUES = 1 << 14;
/** A plain query has t, q, id and nothing else but target or info_hash (not both: checked apart). */
const PLAIN_QUERY = HAS_T | HAS_Q | HAS_TARGET | HAS_INFO_HASH;
const TARGET_AND_INFO_HASH = HAS_TARGET | HAS_INFO_HASH;

const ERR_NOT_A_DICT = 13;
const SEMANTIC_ERRORS: readonly KrpcDecodeErrorCode[] = ['not-a-dict', 'missing-field', 'wrong-type', 'unknown-type'];
/** Field ids of assembly/krpc.ts. */
const FIELDS = [
  '', 't', 'y', 'q', 'a', 'r', 'e', 'v', 'ip', 'ro',
  'id', 'target', 'info_hash', 'token', 'port', 'implied_port', 'want', 'nodes', 'nodes6', 'values',
] as const;
/** Method ids of assembly/krpc.ts: interned names for the common queries. */
const METHODS = ['', 'ping', 'find_node', 'get_peers', 'announce_peer', 'get', 'put', 'sample_infohashes'] as const;

const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const EMPTY_BUFFER = new ArrayBuffer(0);

export class KrpcDecoder {
  constructor(private readonly mem: CoreMemory) {}

  /** Never throws: the receive path must not see an exception. */
  decode(datagram: Uint8Array): KrpcMessage | KrpcDecodeFailure {
    if (!(datagram instanceof Uint8Array)) return { y: 'invalid', code: 'not-a-dict', offset: 0 };
    try {
      return this.decodeDatagram(datagram);
    } catch {
      // Only reachable if linear memory cannot grow for a giant input.
      return { y: 'invalid', code: 'invalid-byte', offset: 0 };
    }
  }

  private decodeDatagram(datagram: Uint8Array): KrpcMessage | KrpcDecodeFailure {
    return this.messageOf(datagram, this.scan(datagram));
  }

  /** The scan alone: fills the result slots; returns 0 or an error id. */
  scan(datagram: Uint8Array): number {
    const mem = this.mem;
    const input = mem.placeForScan(datagram);
    this.tape = mem.scanTape;
    return mem.exports.decodeKrpc(input, datagram.length, this.tape, mem.slots);
  }

  /** Where the last scan wrote its tape. */
  private tape = 0;

  /** The datagram's memory, while a message is built from it. */
  private buffer: ArrayBufferLike = EMPTY_BUFFER;
  private base = 0;

  /**
   * A view of datagram bytes [start, end): what `subarray` gives, minus its
   * species lookup and buffer getters (about twice as fast in V8; the js
   * backend does the same). Always a plain Uint8Array.
   */
  private view(start: number, end: number): Uint8Array {
    return new Uint8Array(this.buffer, this.base + start, end - start);
  }

  /** The message of the last scan (of `datagram`, which returned `status`). Never throws for a scanned datagram. */
  messageOf(datagram: Uint8Array, status: number): KrpcMessage | KrpcDecodeFailure {
    const buffer = bufferOf(datagram);
    const base = byteOffsetOf(datagram);
    if (status === 0) {
      const s = this.mem.i32;
      const at = this.mem.slots >>> 2;
      const present = s[at + SLOT_PRESENT]!;
      if (s[at + SLOT_Y] === 0 && (present & ~PLAIN_QUERY) === HAS_ID && (present & TARGET_AND_INFO_HASH) !== TARGET_AND_INFO_HASH) {
        return plainQuery(datagram, buffer, base, s, at, present);
      }
    }
    this.buffer = buffer;
    this.base = base;
    try {
      return this.build(datagram, status);
    } finally {
      this.buffer = EMPTY_BUFFER; // do not keep the datagram alive
    }
  }

  private build(datagram: Uint8Array, status: number): KrpcMessage | KrpcDecodeFailure {
    const mem = this.mem;
    const tape = this.tape;
    const s = mem.i32;
    const at = mem.slots >>> 2;
    if (status !== 0) return this.failure(datagram, status, s, at);
    const t = this.view(s[at + SLOT_T]!, s[at + SLOT_T + 1]!);
    const y = s[at + SLOT_Y]!;
    const present = s[at + SLOT_PRESENT]!;
    if (y === 0) {
      const message: KrpcQuery = {
        y: 'q',
        t,
        q: method(datagram, s, at),
        a: this.args(datagram, s, at, present, tape),
        datagram,
        bodyStart: s[at + SLOT_BODY]!,
        bodyEnd: s[at + SLOT_BODY + 1]!,
      };
      if (present & HAS_V) message.v = this.view(s[at + SLOT_V]!, s[at + SLOT_V + 1]!);
      if (present & HAS_RO) message.ro = mem.f64[(at + SLOT_RO) >>> 1]!;
      return message;
    }
    if (y === 1) {
      const message: KrpcResponse = {
        y: 'r',
        t,
        r: this.values(s, at, present, tape),
        datagram,
        bodyStart: s[at + SLOT_BODY]!,
        bodyEnd: s[at + SLOT_BODY + 1]!,
      };
      if (present & HAS_V) message.v = this.view(s[at + SLOT_V]!, s[at + SLOT_V + 1]!);
      if (present & HAS_IP) message.ip = this.view(s[at + SLOT_IP]!, s[at + SLOT_IP + 1]!);
      return message;
    }
    const message: KrpcError = {
      y: 'e',
      t,
      e: {
        code: mem.f64[(at + SLOT_ERROR_CODE) >>> 1]!,
        message: utf8Decoder.decode(this.view(s[at + SLOT_ERROR_MESSAGE]!, s[at + SLOT_ERROR_MESSAGE + 1]!)),
      },
      datagram,
      bodyStart: 0,
      bodyEnd: 0,
    };
    if (present & HAS_V) message.v = this.view(s[at + SLOT_V]!, s[at + SLOT_V + 1]!);
    return message;
  }

  private failure(datagram: Uint8Array, status: number, s: Int32Array, at: number): KrpcDecodeFailure {
    const offset = s[at + SLOT_OFFSET]!;
    if (status < ERR_NOT_A_DICT) return { y: 'invalid', code: DECODE_ERRORS[status]!, offset };
    const code = SEMANTIC_ERRORS[status - ERR_NOT_A_DICT]!;
    if (status === ERR_NOT_A_DICT) return { y: 'invalid', code, offset };
    const failure: KrpcDecodeFailure = { y: 'invalid', code, offset, field: FIELDS[s[at + SLOT_FIELD]!]! };
    const present = s[at + SLOT_PRESENT]!;
    if (present & HAS_T) failure.t = this.view(s[at + SLOT_T]!, s[at + SLOT_T + 1]!);
    if (present & HAS_Q) failure.q = method(datagram, s, at);
    return failure;
  }

  private args(b: Uint8Array, s: Int32Array, at: number, present: number, tape: number): QueryArgs {
    const a: QueryArgs = {};
    if (present & HAS_ID) a.id = this.view(s[at + SLOT_ID]!, s[at + SLOT_ID + 1]!);
    if (present & HAS_TARGET) a.target = this.view(s[at + SLOT_TARGET]!, s[at + SLOT_TARGET + 1]!);
    if (present & HAS_INFO_HASH) a.info_hash = this.view(s[at + SLOT_INFO_HASH]!, s[at + SLOT_INFO_HASH + 1]!);
    if (present & HAS_TOKEN) a.token = this.view(s[at + SLOT_TOKEN]!, s[at + SLOT_TOKEN + 1]!);
    if (present & HAS_PORT) a.port = this.mem.f64[(at + SLOT_PORT) >>> 1]!;
    if (present & HAS_IMPLIED_PORT) a.implied_port = this.mem.f64[(at + SLOT_IMPLIED_PORT) >>> 1]!;
    if (present & HAS_WANT) {
      // Items are the STR tape entries between the list and its end.
      const want: string[] = [];
      const end = s[at + SLOT_WANT + 1]!;
      const base = tape >>> 2;
      for (let i = s[at + SLOT_WANT]! + 1; i < end; i++) {
        const e = base + (i << 2);
        want.push(latin1Decode(b, s[e + 2]!, s[e + 3]!));
      }
      a.want = want;
    }
    return a;
  }

  private values(s: Int32Array, at: number, present: number, tape: number): ReceivedValues {
    const r: ReceivedValues = {};
    if (present & HAS_ID) r.id = this.view(s[at + SLOT_ID]!, s[at + SLOT_ID + 1]!);
    if (present & HAS_NODES) r.nodes = this.view(s[at + SLOT_NODES]!, s[at + SLOT_NODES + 1]!);
    if (present & HAS_NODES6) r.nodes6 = this.view(s[at + SLOT_NODES6]!, s[at + SLOT_NODES6 + 1]!);
    if (present & HAS_TOKEN) r.token = this.view(s[at + SLOT_TOKEN]!, s[at + SLOT_TOKEN + 1]!);
    if (present & HAS_VALUES) {
      // The list's tape entry: its byte range; every item is a string (one entry each).
      const list = s[at + SLOT_VALUES]!;
      const e = (tape >>> 2) + (list << 2);
      r.values = new ValuesView(this.view(s[e + 1]! + 1, s[e + 3]! - 1), s[at + SLOT_VALUES + 1]! - list - 1);
    }
    return r;
  }
}

/**
 * A plain query (the bulk of what a node receives: ping, find_node,
 * get_peers) in one small function the JIT inlines whole: object literals of
 * one shape, views made in place. Same message as build() makes for it.
 */
function plainQuery(datagram: Uint8Array, buffer: ArrayBufferLike, base: number, s: Int32Array, at: number, present: number): KrpcQuery {
  const t = new Uint8Array(buffer, base + s[at + SLOT_T]!, s[at + SLOT_T + 1]! - s[at + SLOT_T]!);
  const id = new Uint8Array(buffer, base + s[at + SLOT_ID]!, s[at + SLOT_ID + 1]! - s[at + SLOT_ID]!);
  const a: QueryArgs =
    present & HAS_TARGET
      ? { id, target: new Uint8Array(buffer, base + s[at + SLOT_TARGET]!, s[at + SLOT_TARGET + 1]! - s[at + SLOT_TARGET]!) }
      : present & HAS_INFO_HASH
        ? { id, info_hash: new Uint8Array(buffer, base + s[at + SLOT_INFO_HASH]!, s[at + SLOT_INFO_HASH + 1]! - s[at + SLOT_INFO_HASH]!) }
        : { id };
  return { y: 'q', t, q: method(datagram, s, at), a, datagram, bodyStart: s[at + SLOT_BODY]!, bodyEnd: s[at + SLOT_BODY + 1]! };
}

function method(b: Uint8Array, s: Int32Array, at: number): string {
  const known = s[at + SLOT_METHOD]!;
  return known > 0 ? METHODS[known]! : latin1Decode(b, s[at + SLOT_Q]!, s[at + SLOT_Q + 1]!);
}
