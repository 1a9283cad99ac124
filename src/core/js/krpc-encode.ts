/**
 * KRPC encode straight from an OutgoingMessage: the known keys are written in
 * their fixed byte order, `extra` keys merged in sorted; no intermediate dict.
 */
import type { BencodeDict } from '../bencode-types.ts';
import type { OutgoingMessage, QueryArgs, ResponseValues } from '../../krpc/messages.ts';
import { writer, type BencodeWriter } from './bencode-writer.ts';
import { writeValue } from './bencode-encode.ts';
import { ARG_NAMES, VAL_NAMES } from './krpc-fields.ts';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const KEY_A = ascii('1:a');
const KEY_E = ascii('1:e');
const KEY_IP = ascii('2:ip');
const KEY_Q = ascii('1:q');
const KEY_R = ascii('1:r');
const KEY_RO = ascii('2:ro');
const KEY_T = ascii('1:t');
const KEY_V = ascii('1:v');
const Y_Q = ascii('1:y1:qe');
const Y_R = ascii('1:y1:re');
const Y_E = ascii('1:y1:ee');
const ARG_KEYS = ARG_NAMES.map((name) => ascii(`${name.length}:${name}`));
const VAL_KEYS = VAL_NAMES.map((name) => ascii(`${name.length}:${name}`));

function bytesField(w: BencodeWriter, value: unknown, name: string): void {
  if (!(value instanceof Uint8Array)) throw new TypeError(`KRPC field ${name} must be a Uint8Array`);
  w.bytes(value);
}

function integerField(w: BencodeWriter, value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`KRPC field ${name} must be a safe integer`);
  }
  w.integer(value);
}

function listField(w: BencodeWriter, value: unknown, name: string, latin1: boolean): void {
  if (!Array.isArray(value)) throw new TypeError(`KRPC field ${name} must be an array`);
  w.byte(0x6c);
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (latin1) {
      if (typeof item !== 'string') throw new TypeError(`KRPC field ${name} must hold strings`);
      w.latin1String(item, name);
    } else {
      bytesField(w, item, name);
    }
  }
  w.byte(0x65);
}

/** The known field `index` of `a`, if present (its key included). */
function writeArg(w: BencodeWriter, a: QueryArgs, index: number): void {
  let value: unknown;
  switch (index) {
    case 0: value = a.id; break;
    case 1: value = a.implied_port; break;
    case 2: value = a.info_hash; break;
    case 3: value = a.port; break;
    case 4: value = a.target; break;
    case 5: value = a.token; break;
    default: value = a.want; break;
  }
  if (value === undefined) return;
  const name = ARG_NAMES[index]!;
  w.raw(ARG_KEYS[index]!);
  if (index === 1 || index === 3) integerField(w, value, name);
  else if (index === 6) listField(w, value, name, true);
  else bytesField(w, value, name);
}

function writeResponseValue(w: BencodeWriter, r: ResponseValues, index: number): void {
  let value: unknown;
  switch (index) {
    case 0: value = r.id; break;
    case 1: value = r.nodes; break;
    case 2: value = r.nodes6; break;
    case 3: value = r.token; break;
    default: value = r.values; break;
  }
  if (value === undefined) return;
  w.raw(VAL_KEYS[index]!);
  if (index === 4) listField(w, value, 'values', false);
  else bytesField(w, value, VAL_NAMES[index]!);
}

/** `extra`'s keys with a value, sorted; TypeError on a key that names a known field. */
function extraKeys(extra: BencodeDict, known: readonly string[]): string[] {
  const keys = Object.keys(extra).filter((key) => extra[key] !== undefined).sort();
  for (const key of keys) {
    if (known.includes(key)) throw new TypeError(`extra key ${JSON.stringify(key)} is a known KRPC field`);
  }
  return keys;
}

/** The `a` or `r` dict: known fields and extra keys merged in byte order. */
function writeBody(w: BencodeWriter, body: object, extra: BencodeDict | undefined, args: boolean): void {
  if (typeof body !== 'object' || body === null) throw new TypeError(`KRPC ${args ? 'a' : 'r'} must be an object`);
  const names = args ? ARG_NAMES : VAL_NAMES;
  w.byte(0x64);
  if (extra === undefined) {
    for (let i = 0; i < names.length; i++) {
      if (args) writeArg(w, body as QueryArgs, i);
      else writeResponseValue(w, body as ResponseValues, i);
    }
  } else {
    if (typeof extra !== 'object' || extra === null) throw new TypeError('KRPC extra must be an object');
    const keys = extraKeys(extra, names);
    let j = 0;
    for (let i = 0; i <= names.length; i++) {
      const next = i < names.length ? names[i]! : undefined;
      for (; j < keys.length && (next === undefined || keys[j]! < next); j++) {
        const key = keys[j]!;
        w.latin1String(key, 'extra key');
        writeValue(w, extra[key]);
      }
      if (next === undefined) break;
      if (args) writeArg(w, body as QueryArgs, i);
      else writeResponseValue(w, body as ResponseValues, i);
    }
  }
  w.byte(0x65);
}

function writeEnvelopeTail(w: BencodeWriter, m: OutgoingMessage, y: Uint8Array): void {
  w.raw(KEY_T);
  bytesField(w, m.t, 't');
  if (m.v !== undefined) {
    w.raw(KEY_V);
    bytesField(w, m.v, 'v');
  }
  w.raw(y);
}

function writeMessage(w: BencodeWriter, m: OutgoingMessage): void {
  if (typeof m !== 'object' || m === null) throw new TypeError('KRPC message must be an object');
  w.byte(0x64);
  switch (m.y) {
    case 'q':
      w.raw(KEY_A);
      writeBody(w, m.a, m.extra, true);
      w.raw(KEY_Q);
      if (typeof m.q !== 'string') throw new TypeError('KRPC field q must be a string');
      w.latin1String(m.q, 'method');
      if (m.ro !== undefined) {
        w.raw(KEY_RO);
        integerField(w, m.ro, 'ro');
      }
      writeEnvelopeTail(w, m, Y_Q);
      return;
    case 'r':
      if (m.ip !== undefined) {
        w.raw(KEY_IP);
        bytesField(w, m.ip, 'ip');
      }
      w.raw(KEY_R);
      writeBody(w, m.r, m.extra, false);
      writeEnvelopeTail(w, m, Y_R);
      return;
    case 'e': {
      const e: unknown = m.e;
      if (typeof e !== 'object' || e === null) throw new TypeError('KRPC field e must be an object');
      const { code, message } = e as { code: unknown; message: unknown };
      w.raw(KEY_E);
      w.byte(0x6c);
      integerField(w, code, 'e.code');
      if (typeof message !== 'string') throw new TypeError('KRPC field e.message must be a string');
      w.utf8String(message);
      w.byte(0x65);
      writeEnvelopeTail(w, m, Y_E);
      return;
    }
    default:
      throw new TypeError(`unknown KRPC message type ${JSON.stringify((m as { y: unknown }).y)}`);
  }
}

/** Encode a KRPC message; TypeError on malformed input. */
export function encodeKrpcMessage(message: OutgoingMessage): Uint8Array {
  writer.reset();
  try {
    writeMessage(writer, message);
    return writer.finish();
  } finally {
    writer.reset();
  }
}
