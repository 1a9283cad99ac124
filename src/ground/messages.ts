/**
 * KRPC messages (BEP 5) as typed data. Pure data: no I/O, no core.
 *
 * The decoder fills the fields named here and checks their bencode types; sizes
 * with meaning in the DHT (20-byte ids, 26-byte node entries) are checked by the
 * node, which answers 203 when they are wrong. Keys it does not know are skipped
 * and stay readable through `body` (the raw bencoded `a` / `r` dictionary).
 */
import type { BencodeDict } from './bencode.ts';

/**
 * Arguments of a query (`a`), the fields of BEP 5 plus BEP 32's `want`.
 * @example
 * import { DHT, fromHex, type QueryArgs } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * // get_peers asking for IPv4 and IPv6 nodes (BEP 32); the node adds our id.
 * const args: QueryArgs = { info_hash: fromHex('e3811b9539cacff680e418124272177c47477157'), want: ['n4', 'n6'] };
 * const response = await dht.query('127.0.0.1:6881', 'get_peers', args);
 */
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

/**
 * Return values of a response (`r`).
 * @example
 * import { DHT, type ResponseValues } from 'btdht';
 * const dht = new DHT();
 * // Answer get_peers with no nodes and no peers (the node adds our id).
 * const empty: ResponseValues = { nodes: new Uint8Array(0), token: new Uint8Array(4) };
 * dht.onQuery('get_peers', () => ({ response: empty }));
 */
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

/**
 * @example
 * import { DHT, type KrpcQuery } from 'btdht';
 * const dht = new DHT();
 * dht.on('query', ({ query, from }: { query: KrpcQuery; from: { host: string } }) => console.log(query.q, 'from', from.host));
 * await dht.start();
 */
export interface KrpcQuery extends Envelope {
  y: 'q';
  /** Method name (latin1). */
  q: string;
  a: QueryArgs;
  /** BEP 43: the querying node is read-only. */
  ro?: number;
}

/**
 * @example
 * import { DHT, decodeCompactNodes, type KrpcResponse } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const response: KrpcResponse = await dht.query('127.0.0.1:6881', 'find_node', { target: dht.id });
 * decodeCompactNodes(response.r.nodes ?? new Uint8Array(0), 4);
 */
export interface KrpcResponse extends Envelope {
  y: 'r';
  r: ResponseValues;
  /** BEP 42: our address as the responder saw it (compact, 6 or 18 bytes). */
  ip?: Uint8Array;
}

/**
 * @example
 * import { loadCore, type KrpcError } from 'btdht';
 * const core = await loadCore();
 * const datagram = core.encodeKrpc({ y: 'e', t: new Uint8Array([7]), e: { code: 204, message: 'Method Unknown' } });
 * const decoded = core.decodeKrpc(datagram);
 * if (decoded.y === 'e') {
 *   const error: KrpcError = decoded;
 *   console.log(error.e.code, error.e.message); // 204 Method Unknown
 * }
 */
export interface KrpcError extends Envelope {
  y: 'e';
  e: { code: number; message: string };
}

/**
 * @example
 * import { loadCore, type KrpcMessage } from 'btdht';
 * const core = await loadCore();
 * const datagram = core.encodeKrpc({ y: 'q', t: new Uint8Array([1, 2]), q: 'ping', a: { id: new Uint8Array(20) } });
 * const decoded = core.decodeKrpc(datagram);
 * if (decoded.y !== 'invalid') {
 *   const message: KrpcMessage = decoded;
 *   if (message.y === 'q') console.log(message.q); // 'ping'
 * }
 */
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
