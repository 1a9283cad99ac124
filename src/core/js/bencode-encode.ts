/**
 * Generic bencode encode (docs/CORE-SPEC.md "Encode"): Uint8Array and strings
 * to byte strings, integral numbers and bigints to integers, arrays to lists,
 * plain objects to dicts with keys in byte order.
 */
import type { BencodeInput } from '../bencode-types.ts';
import { writer, type BencodeWriter } from './bencode-writer.ts';

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Append one value to `w`. */
export function writeValue(w: BencodeWriter, value: unknown): void {
  switch (typeof value) {
    case 'number':
      w.integer(value);
      return;
    case 'bigint':
      w.bigint(value);
      return;
    case 'string':
      w.utf8String(value);
      return;
    case 'object':
      if (value === null) break;
      if (value instanceof Uint8Array) {
        w.bytes(value);
        return;
      }
      if (Array.isArray(value)) {
        w.byte(0x6c); // l
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
  throw new TypeError(`cannot bencode a value of type ${typeName(value)}`);
}

function writeDict(w: BencodeWriter, dict: Record<string, unknown>): void {
  // Default sort compares UTF-16 code units: byte order for latin1 keys.
  const keys = Object.keys(dict).sort();
  w.byte(0x64); // d
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = dict[key];
    if (value === undefined) continue;
    w.latin1String(key, 'dict key');
    writeValue(w, value);
  }
  w.byte(0x65);
}

/** Bencode `value`; TypeError on values bencode cannot hold. */
export function encodeBencode(value: BencodeInput): Uint8Array {
  writer.reset();
  try {
    writeValue(writer, value);
    return writer.finish();
  } finally {
    writer.reset();
  }
}
