/**
 * The Core contract: the hot paths of the DHT, with two backends that agree byte
 * for byte — `wasm` (AssemblyScript in linear memory, the default) and `js` (pure
 * TypeScript, the reference).
 */
import type { BencodeInput, BencodeValue } from '../ground/bencode.ts';
import type { KrpcDecodeFailure, KrpcMessage, OutgoingMessage } from '../ground/messages.ts';
import type { RoutingTable, RoutingTableOptions } from './routing-types.ts';
import type { TableAnswerer } from './answer-types.ts';

/**
 * @example
 * import { loadCore, type Backend } from 'btdht/core';
 * // The js backend needs no WebAssembly (and, on Deno, no --allow-read).
 * const backend: Backend = typeof WebAssembly === 'object' ? 'wasm' : 'js';
 * const core = await loadCore(backend);
 */
export type Backend = 'wasm' | 'js';

/**
 * @example
 * import { loadCore, type Core } from 'btdht/core';
 * const core: Core = await loadCore('js');
 * const encoded = core.encode({ n: 1, s: 'spam' }); // d1:ni1e1:s4:spame
 * core.sha1(encoded); // 20 bytes
 * core.crc32c(new TextEncoder().encode('123456789')); // 0xe3069283
 */
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
