/**
 * Bytes in, bytes out (issue #13 item 5): the queries a routing table answers
 * — ping, find_node, and get_peers (with the peers stored for its infohash,
 * handed in packed) — are scanned, answered and encoded by the core without a
 * JS message object.
 *
 * The caller scans a datagram; when the scan names a table method, the caller
 * decides (hooks, rate limit, stored peers) and either asks for the answer's
 * bytes or for the message of the same scan (the generic path, no second scan).
 * Only plain queries take this path: `a` holding exactly `id` and the method's
 * 20-byte target, every one of the right size. Anything else — a missing or
 * short id, `want`, BEP 33 flags, extension arguments, responses, errors,
 * garbage — scans as `TableMethod.None` and goes the generic way, so both
 * paths answer a query the same way.
 */
import type { KrpcDecodeFailure, KrpcMessage } from '../ground/messages.ts';
import type { RoutingTable } from './routing-types.ts';

/**
 * @example
 * import { TABLE_METHOD_NAMES, TableMethod, loadCore } from 'btdht/core';
 * const core = await loadCore();
 * const datagram = core.encodeKrpc({ y: 'q', t: new Uint8Array([1]), q: 'find_node', a: { id: new Uint8Array(20), target: new Uint8Array(20) } });
 * const method: TableMethod = core.answers.scan(datagram);
 * if (method !== TableMethod.None) console.log(TABLE_METHOD_NAMES[method]); // 'find_node'
 */
export const TableMethod = {
  /** Not a query the table alone answers: take `message()`. */
  None: 0,
  Ping: 1,
  FindNode: 2,
  GetPeers: 3,
} as const;
export type TableMethod = (typeof TableMethod)[keyof typeof TableMethod];

/**
 * Method names by TableMethod (index 0 unused).
 * @example
 * import { TABLE_METHOD_NAMES, TableMethod } from 'btdht/core';
 * TABLE_METHOD_NAMES[TableMethod.GetPeers]; // 'get_peers'
 */
export const TABLE_METHOD_NAMES = ['', 'ping', 'find_node', 'get_peers'] as const;

/**
 * What an answer holds besides the table's nodes.
 * @example
 * import { TableMethod, loadCore, type TableAnswerParts } from 'btdht/core';
 * const core = await loadCore();
 * const table = core.createRoutingTable({ id: new Uint8Array(20).fill(7) });
 * const ping = core.encodeKrpc({ y: 'q', t: new Uint8Array([1]), q: 'ping', a: { id: new Uint8Array(20) } });
 * const parts: TableAnswerParts = { id: table.id, ip: undefined, token: undefined, version: new TextEncoder().encode('BD01') };
 * if (core.answers.scan(ping) === TableMethod.Ping) core.answers.answer(table, 8, parts); // the bencoded response
 */
export interface TableAnswerParts {
  /** The id we answer as (20 bytes). */
  id: Uint8Array;
  /** The asker's compact address (BEP 42 `ip`), if known. */
  ip: Uint8Array | undefined;
  /** get_peers: the announce token, if one is given out. */
  token: Uint8Array | undefined;
  /** Our client version (`v`). */
  version: Uint8Array | undefined;
  /**
   * get_peers: stored peers for the infohash, back to back (compact peer info,
   * `valueLength` bytes each), written as `values` after the token; absent or
   * empty for none.
   */
  values?: Uint8Array | undefined;
  /** Bytes per peer in `values`: 6 (IPv4) or 18 (IPv6). */
  valueLength?: number;
  /**
   * get_peers: the stored peers already as bencoded list items (`6:` and 6
   * bytes, or `18:` and 18 bytes, each), back to back: written between the
   * `values` list's `l` and `e` in one copy. When given, `values` is not read.
   */
  valueItems?: Uint8Array | undefined;
}

/**
 * @example
 * import { TableMethod, loadCore } from 'btdht/core';
 * const core = await loadCore();
 * const table = core.createRoutingTable({ id: new Uint8Array(20).fill(7) });
 * // For each received datagram: answer table queries from bytes, hand the rest to the full decoder.
 * const datagram = core.encodeKrpc({ y: 'q', t: new Uint8Array([1]), q: 'ping', a: { id: new Uint8Array(20) } });
 * const answers = core.answers;
 * const reply = answers.scan(datagram) === TableMethod.None
 *   ? undefined
 *   : answers.answer(table, 8, { id: table.id, ip: undefined, token: undefined, version: undefined });
 */
export interface TableAnswerer {
  /**
   * Scan one datagram (it must not change until the next scan). Returns the
   * table method it asks, or `TableMethod.None`. Never throws.
   */
  scan(datagram: Uint8Array): TableMethod;
  /** The last scanned table query carried `ro=1` (BEP 43). */
  readonly readOnly: boolean;
  /** The last scanned table query's `a.id` (a view of the datagram). */
  senderId(): Uint8Array;
  /** The last scanned find_node `target` / get_peers `info_hash` (a view of the datagram). */
  target(): Uint8Array;
  /** `senderId()` copied into `out` (20 bytes): no view made, for a caller with its own scratch. */
  senderIdInto(out: Uint8Array): void;
  /** `target()` copied into `out` (20 bytes; unchanged for a ping). */
  targetInto(out: Uint8Array): void;
  /** The last scanned datagram as `decodeKrpc` gives it (without scanning it again). */
  message(): KrpcMessage | KrpcDecodeFailure;
  /**
   * The answer to the last scanned table query, as encodeKrpc would write
   * `{ y: 'r', t, ip, v, r: { id, nodes | nodes6, token } }`: find_node and
   * get_peers carry the `k` nodes of `table` nearest the target (`nodes6` for
   * an IPv6 table), ping only `id`. A fresh array.
   */
  answer(table: RoutingTable, k: number, parts: TableAnswerParts): Uint8Array;
  /**
   * `answer`'s bytes written in the core's scratch memory: a view, valid until
   * the next answer, for a sender that is done with them when its send returns
   * (Transport.sendScratch). If the sender keeps them, call `kept()`.
   */
  answerScratch(table: RoutingTable, k: number, parts: TableAnswerParts): Uint8Array;
  /** The bytes of the last `answerScratch` stay with their reader: later answers are written elsewhere. */
  kept(): void;
}
