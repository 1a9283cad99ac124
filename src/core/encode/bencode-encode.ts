/**
 * Generic bencode encode, shared by both core backends: the values are JS
 * objects, so walking them on the host straight into one reused writer beats
 * copying each field into WASM memory first.
 */
import type { BencodeInput } from '../../ground/bencode.ts';
import type { ResultPool } from './pool.ts';
import { ByteWriter } from './writer.ts';

export class BencodeEncoder {
  private readonly writer: ByteWriter;

  constructor(results: ResultPool) {
    this.writer = new ByteWriter(results);
  }

  encode(value: BencodeInput): Uint8Array {
    const w = this.writer;
    w.pos = 0;
    try {
      writeValue(w, value);
      return w.take();
    } finally {
      w.pos = 0;
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Append one value (docs/CORE-SPEC.md "Encode"). */
export function writeValue(w: ByteWriter, value: unknown): void {
  switch (typeof value) {
    case 'number':
      w.integer(value);
      return;
    case 'string':
      w.utf8(value);
      return;
    case 'bigint':
      w.bigint(value);
      return;
    case 'object':
      if (value === null) break;
      if (value instanceof Uint8Array) {
        w.bytes(value);
        return;
      }
      if (Array.isArray(value)) {
        w.byte(0x6c);
        for (let i = 0; i < value.length; i++) writeValue(w, value[i]);
        w.byte(0x65);
        return;
      }
      if (isPlainObject(value)) {
        writeDict(w, value as Record<string, unknown>);
        return;
      }
      break;
  }
  throw new TypeError(`cannot bencode a value of type ${describe(value)}`);
}

function writeDict(w: ByteWriter, dict: Record<string, unknown>): void {
  // The default sort compares UTF-16 code units: byte order for latin1 keys.
  const keys = Object.keys(dict).sort();
  w.byte(0x64);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = dict[key];
    if (value === undefined) continue;
    w.latin1(key, 'dict key');
    writeValue(w, value);
  }
  w.byte(0x65);
}
