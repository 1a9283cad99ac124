/**
 * KRPC messages (BEP 5) as typed data. Pure data: no I/O, no core.
 *
 * The decoder fills the fields named here and checks their bencode types; sizes
 * with meaning in the DHT (20-byte ids, 26-byte node entries) are checked by the
 * node, which answers 203 when they are wrong. Keys it does not know are skipped
 * and stay readable through `body` (the raw bencoded `a` / `r` dictionary).
 */
import type { BencodeDict } from './bencode.ts';

/** Arguments of a query (`a`), the fields of BEP 5 plus BEP 32's `want`. */
export interface QueryArgs {
  id?: Uint8Array;
  target?: Uint8Array;
  info_hash?: Uint8Array;
  token?: Uint8Array;
  port?: number;
  implied_port?: number;
  /** BEP 32: 'n4' and/or 'n6' (byte strings decoded as latin1). */
  want?: string[];
}

/** Return values of a response (`r`). */
export interface ResponseValues {
  id?: Uint8Array;
  /** Compact node info, 26 bytes per node (BEP 5). */
  nodes?: Uint8Array;
  /** Compact node info for IPv6, 38 bytes per node (BEP 32). */
  nodes6?: Uint8Array;
  token?: Uint8Array;
  /** Compact peer info, 6 bytes (IPv4) or 18 bytes (IPv6) each. */
  values?: Uint8Array[];
}

interface Envelope {
  /** Transaction id, echoed verbatim whatever its length. */
  t: Uint8Array;
  /** Client version (`v`), if sent. */
  v?: Uint8Array;
  /** The whole datagram this was decoded from (no copy). */
  datagram: Uint8Array;
  /** Byte range of the raw `a` / `r` dictionary in `datagram` (0, 0 for errors). */
  bodyStart: number;
  bodyEnd: number;
}

export interface KrpcQuery extends Envelope {
  y: 'q';
  /** Method name (latin1). */
  q: string;
  a: QueryArgs;
  /** BEP 43: the querying node is read-only. */
  ro?: number;
}

export interface KrpcResponse extends Envelope {
  y: 'r';
  r: ResponseValues;
  /** BEP 42: our address as the responder saw it (compact, 6 or 18 bytes). */
  ip?: Uint8Array;
}

export interface KrpcError extends Envelope {
  y: 'e';
  e: { code: number; message: string };
}

export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcError;

/** Why a datagram is not a KRPC message. */
export type KrpcDecodeErrorCode =
  | import('./bencode.ts').DecodeErrorCode
  | 'not-a-dict' // top level is not a dictionary
  | 'missing-field' // t, y, q, a, r or e absent
  | 'wrong-type' // a known field with the wrong bencode type
  | 'unknown-type'; // y is not q, r or e

/** A datagram that failed to decode. `t` is set when a transaction id was recovered (so a 203 can be sent). */
export interface KrpcDecodeFailure {
  y: 'invalid';
  code: KrpcDecodeErrorCode;
  /** Byte offset of the fault. */
  offset: number;
  /** The field at fault, for missing-field / wrong-type. */
  field?: string;
  t?: Uint8Array;
  /** The query method, if one was recovered. */
  q?: string;
}

/** Outgoing messages: no datagram/body, optional extra keys merged (sorted) into a / r. */
export interface OutgoingQuery {
  y: 'q';
  t: Uint8Array;
  q: string;
  a: QueryArgs;
  extra?: BencodeDict;
  v?: Uint8Array;
  ro?: number;
}
export interface OutgoingResponse {
  y: 'r';
  t: Uint8Array;
  r: ResponseValues;
  extra?: BencodeDict;
  v?: Uint8Array;
  ip?: Uint8Array;
}
export interface OutgoingError {
  y: 'e';
  t: Uint8Array;
  e: { code: number; message: string };
  v?: Uint8Array;
}
export type OutgoingMessage = OutgoingQuery | OutgoingResponse | OutgoingError;
