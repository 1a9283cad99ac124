/**
 * The pure-TypeScript core backend: the reference the WASM backend is held to,
 * and the fallback where WebAssembly is unavailable.
 */
import type { Core } from '../types.ts';
import type { RoutingTable, RoutingTableOptions } from '../routing-types.ts';
import { decodeBencode } from './bencode-decode.ts';
import { encodeBencode } from './bencode-encode.ts';
import { decodeKrpcMessage } from './krpc-decode.ts';
import { encodeKrpcMessage } from './krpc-encode.ts';
import { sha1 } from './sha1.ts';
import { crc32c } from './crc32c.ts';
import { JsRoutingTable } from './routing-table.ts';

export function createJsCore(): Core {
  return {
    backend: 'js',
    encode: encodeBencode,
    decode: decodeBencode,
    decodeKrpc: decodeKrpcMessage,
    encodeKrpc: encodeKrpcMessage,
    sha1,
    crc32c,
    createRoutingTable: (options: RoutingTableOptions): RoutingTable => new JsRoutingTable(options),
  };
}
