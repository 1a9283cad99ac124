/**
 * The pure-TypeScript core backend: the reference the WASM backend is held to,
 * and the fallback where WebAssembly is unavailable.
 */
import type { Core } from '../types.ts';
import type { RoutingTable, RoutingTableOptions } from '../routing-types.ts';
import { decodeBencode } from './bencode-decode.ts';
import { decodeKrpcMessage } from './krpc-decode.ts';
import { BencodeEncoder } from '../encode/bencode-encode.ts';
import { KrpcEncoder } from '../encode/krpc-encode.ts';
import { ResultPool } from '../encode/pool.ts';
import { sha1 } from './sha1.ts';
import { crc32c } from './crc32c.ts';
import { SharedRoutingTable } from './routing-table.ts';
import { JsTableAnswerer } from './table-answers.ts';
import { TableAnswerWriter } from '../encode/table-answer.ts';

export function createJsCore(): Core {
  // Encoding is host work for both backends: the same writer (src/core/encode).
  const results = new ResultPool();
  const bencodeEncoder = new BencodeEncoder(results);
  const krpcEncoder = new KrpcEncoder(results);
  return {
    backend: 'js',
    encode: (value) => bencodeEncoder.encode(value),
    decode: decodeBencode,
    decodeKrpc: decodeKrpcMessage,
    encodeKrpc: (message) => krpcEncoder.encode(message),
    sha1,
    crc32c,
    createRoutingTable: (options: RoutingTableOptions): RoutingTable => new SharedRoutingTable(options),
    answers: new JsTableAnswerer(new TableAnswerWriter(results)),
  };
}
