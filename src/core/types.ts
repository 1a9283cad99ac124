/**
 * The Core contract: the hot paths of the DHT, with two backends that agree byte
 * for byte — `wasm` (AssemblyScript in linear memory, the default) and `js` (pure
 * TypeScript, the reference).
 */
import type { BencodeInput, BencodeValue } from '../ground/bencode.ts';
import type { KrpcDecodeFailure, KrpcMessage, OutgoingMessage } from '../ground/messages.ts';
import type { RoutingTable, RoutingTableOptions } from './routing-types.ts';
import type { TableAnswerer } from './answer-types.ts';

export type Backend = 'wasm' | 'js';

export interface Core {
  readonly backend: Backend;

  /** Bencode a value (dict keys sorted). Throws TypeError on values bencode cannot hold. */
  encode(value: BencodeInput): Uint8Array;
  /** Strictly decode one bencoded value. Throws BencodeError (and nothing else) on bad input. */
  decode(bytes: Uint8Array): BencodeValue;

  /** Decode a datagram into a typed KRPC message, without a generic tree. Never throws. */
  decodeKrpc(datagram: Uint8Array): KrpcMessage | KrpcDecodeFailure;
  /** Encode a KRPC message. Throws TypeError on malformed input from the caller. */
  encodeKrpc(message: OutgoingMessage): Uint8Array;

  /** SHA-1 digest (20 bytes). */
  sha1(bytes: Uint8Array): Uint8Array;
  /** CRC32C (Castagnoli), as an unsigned 32-bit number. */
  crc32c(bytes: Uint8Array): number;

  createRoutingTable(options: RoutingTableOptions): RoutingTable;

  /** Bytes in, bytes out for the queries a routing table alone answers (answer-types.ts). One scan at a time. */
  readonly answers: TableAnswerer;
}
