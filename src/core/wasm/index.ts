/**
 * The wasm core backend (the default): bencode scanning, KRPC decoding, SHA-1,
 * CRC32C and routing tables run in build/core.wasm (AssemblyScript, assembly/)
 * over fixed regions of linear memory; encoders write on the host side.
 *
 * @example
 * const core = await loadWasmCore();
 * core.crc32c(new TextEncoder().encode('123456789')); // 0xe3069283
 */
import type { Core } from '../types.ts';
import type { RoutingTable, RoutingTableOptions } from '../routing-types.ts';
import { WasmBencode } from './bencode.ts';
import { asCoreExports } from './exports.ts';
import { KrpcDecoder } from './krpc-decode.ts';
import { KrpcEncoder } from '../encode/krpc-encode.ts';
import { BencodeEncoder } from '../encode/bencode-encode.ts';
import { readCoreWasm } from './load.ts';
import { CoreMemory } from './memory.ts';
import { ResultPool } from '../encode/pool.ts';
import { BUCKET_HEAD, HEADER, RECORD, WasmRoutingTable } from './routing.ts';
import { WasmTableAnswerer } from './table-answers.ts';
import { TableAnswerWriter } from '../encode/table-answer.ts';

const imports = {
  env: {
    abort(_message: number, _file: number, line: number, column: number): never {
      throw new Error(`core.wasm aborted at ${line}:${column}`);
    },
  },
};

/** Instantiate build/core.wasm and wrap it as a Core. */
export async function loadWasmCore(bytes?: Uint8Array): Promise<Core> {
  const source = bytes ?? (await readCoreWasm());
  const { instance } = await WebAssembly.instantiate(source as BufferSource, imports);
  return createWasmCore(instance);
}

export function createWasmCore(instance: WebAssembly.Instance): Core {
  const exports = asCoreExports(instance.exports);
  if (exports.tableBytes(8, 8, 1, 1) !== HEADER + BUCKET_HEAD + 16 * RECORD + 16 + 20) {
    throw new Error('core.wasm routing layout differs from the host: rebuild it (npm run build:wasm)');
  }
  const mem = new CoreMemory(exports);
  const results = new ResultPool();
  const bencode = new WasmBencode(mem);
  const bencodeEncoder = new BencodeEncoder(results);
  const krpcDecoder = new KrpcDecoder(mem);
  const krpcEncoder = new KrpcEncoder(results);
  const registry = new FinalizationRegistry<{ ptr: number; bytes: number; capacity: number; idCapacity: number }>((region) => mem.free(region.ptr, region.bytes));

  return {
    backend: 'wasm',
    encode: (value) => bencodeEncoder.encode(value),
    decode: (bytes) => bencode.decode(bytes),
    decodeKrpc: (datagram) => krpcDecoder.decode(datagram),
    encodeKrpc: (message) => krpcEncoder.encode(message),
    sha1(bytes: Uint8Array): Uint8Array {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('sha1 expects a Uint8Array');
      exports.sha1(mem.placeInput(bytes), bytes.length, mem.output);
      // A fresh 20-byte array lives on the JS heap; `slice` would add a species lookup (~twice the cost).
      const digest = new Uint8Array(20);
      digest.set(mem.outputViews.get(20));
      return digest;
    },
    crc32c(bytes: Uint8Array): number {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('crc32c expects a Uint8Array');
      return exports.crc32c(mem.placeInput(bytes), bytes.length) >>> 0;
    },
    createRoutingTable: (options: RoutingTableOptions): RoutingTable => new WasmRoutingTable(mem, registry, results, options),
    answers: new WasmTableAnswerer(mem, krpcDecoder, new TableAnswerWriter(results)),
  };
}
