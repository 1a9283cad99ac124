/**
 * encodeKrpc for the wasm backend: the known keys are written in their fixed
 * byte order by the host writer straight into its buffer, `extra` keys merged
 * in sorted; no intermediate dict.
 */
import type { BencodeDict } from '../../ground/bencode.ts';
import type { OutgoingMessage, QueryArgs, ResponseValues } from '../../ground/messages.ts';
import { writeValue } from './bencode-encode.ts';
import type { ResultPool } from './pool.ts';
import { ByteWriter, keyBytes } from './writer.ts';

export class KrpcEncoder {
  private readonly writer: ByteWriter;

  constructor(results: ResultPool) {
    this.writer = new ByteWriter(results);
  }

  encode(message: OutgoingMessage): Uint8Array {
    const w = this.writer;
    w.pos = 0;
    try {
      writeMessage(w, message);
      return w.take();
    } finally {
      w.pos = 0;
    }
  }
}


const KEY_A = keyBytes('a');
const KEY_E = keyBytes('e');
const KEY_IP = keyBytes('ip');
const KEY_Q = keyBytes('q');
const KEY_R = keyBytes('r');
const KEY_RO = keyBytes('ro');
const KEY_T = keyBytes('t');
const KEY_V = keyBytes('v');
const TAIL_Q = Uint8Array.from('1:y1:qe', (c) => c.charCodeAt(0));
const TAIL_R = Uint8Array.from('1:y1:re', (c) => c.charCodeAt(0));
const TAIL_E = Uint8Array.from('1:y1:ee', (c) => c.charCodeAt(0));

/** Known `a` keys in byte order, and `r` keys. */
const ARG_NAMES: readonly string[] = ['id', 'implied_port', 'info_hash', 'port', 'target', 'token', 'want'];
const VALUE_NAMES: readonly string[] = ['id', 'nodes', 'nodes6', 'token', 'values'];
const ARG_KEYS = ARG_NAMES.map(keyBytes);
const VALUE_KEYS = VALUE_NAMES.map(keyBytes);

function bytesField(w: ByteWriter, value: unknown, name: string): void {
  if (!(value instanceof Uint8Array)) throw new TypeError(`KRPC field ${name} must be a Uint8Array`);
  w.bytes(value);
}

function integerField(w: ByteWriter, value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`KRPC field ${name} must be a safe integer`);
  w.integer(value);
}

/** Known field i of `a` (key included), if set. Static property reads keep the lookups monomorphic. */
function writeArg(w: ByteWriter, a: QueryArgs, i: number): void {
  let value: unknown;
  switch (i) {
    case 0: value = a.id; break;
    case 1: value = a.implied_port; break;
    case 2: value = a.info_hash; break;
    case 3: value = a.port; break;
    case 4: value = a.target; break;
    case 5: value = a.token; break;
    default: value = a.want;
  }
  if (value === undefined) return;
  w.raw(ARG_KEYS[i]!);
  if (i === 1 || i === 3) integerField(w, value, ARG_NAMES[i]!);
  else if (i === 6) {
    if (!Array.isArray(value)) throw new TypeError('KRPC field want must be an array');
    w.byte(0x6c);
    for (const item of value as unknown[]) {
      if (typeof item !== 'string') throw new TypeError('KRPC field want must hold strings');
      w.latin1(item, 'want');
    }
    w.byte(0x65);
  } else bytesField(w, value, ARG_NAMES[i]!);
}

function writeResponseValue(w: ByteWriter, r: ResponseValues, i: number): void {
  let value: unknown;
  switch (i) {
    case 0: value = r.id; break;
    case 1: value = r.nodes; break;
    case 2: value = r.nodes6; break;
    case 3: value = r.token; break;
    default: value = r.values;
  }
  if (value === undefined) return;
  w.raw(VALUE_KEYS[i]!);
  if (i !== 4) {
    bytesField(w, value, VALUE_NAMES[i]!);
    return;
  }
  if (!Array.isArray(value)) throw new TypeError('KRPC field values must be an array');
  w.byte(0x6c);
  for (let j = 0; j < value.length; j++) bytesField(w, value[j], 'values');
  w.byte(0x65);
}

function writeField(w: ByteWriter, body: object, i: number, isQuery: boolean): void {
  if (isQuery) writeArg(w, body as QueryArgs, i);
  else writeResponseValue(w, body as ResponseValues, i);
}

/** The `a` / `r` dict: known fields in order, `extra` keys merged by byte order. */
function writeBody(w: ByteWriter, body: unknown, extra: BencodeDict | undefined, isQuery: boolean): void {
  if (typeof body !== 'object' || body === null) throw new TypeError(`KRPC ${isQuery ? 'a' : 'r'} must be an object`);
  const names = isQuery ? ARG_NAMES : VALUE_NAMES;
  w.byte(0x64);
  if (extra === undefined) {
    for (let i = 0; i < names.length; i++) writeField(w, body, i, isQuery);
  } else {
    if (typeof extra !== 'object' || extra === null) throw new TypeError('KRPC extra must be an object');
    const keys = Object.keys(extra).filter((key) => extra[key] !== undefined).sort();
    for (const key of keys) {
      if (names.includes(key)) throw new TypeError(`extra key ${JSON.stringify(key)} is a known KRPC field`);
    }
    let j = 0;
    for (let i = 0; i <= names.length; i++) {
      const next = names[i];
      for (; j < keys.length && (next === undefined || keys[j]! < next); j++) {
        w.latin1(keys[j]!, 'extra key');
        writeValue(w, extra[keys[j]!]);
      }
      if (next !== undefined) writeField(w, body, i, isQuery);
    }
  }
  w.byte(0x65);
}

function writeTail(w: ByteWriter, m: OutgoingMessage, tail: Uint8Array): void {
  w.raw(KEY_T);
  bytesField(w, m.t, 't');
  if (m.v !== undefined) {
    w.raw(KEY_V);
    bytesField(w, m.v, 'v');
  }
  w.raw(tail);
}

/** Top-level keys in byte order: a, e, ip, q, r, ro, t, v, y. */
function writeMessage(w: ByteWriter, m: OutgoingMessage): void {
  if (typeof m !== 'object' || m === null) throw new TypeError('KRPC message must be an object');
  w.byte(0x64);
  switch (m.y) {
    case 'q':
      w.raw(KEY_A);
      writeBody(w, m.a, m.extra, true);
      if (typeof m.q !== 'string') throw new TypeError('KRPC field q must be a string');
      w.raw(KEY_Q);
      w.latin1(m.q, 'method');
      if (m.ro !== undefined) {
        w.raw(KEY_RO);
        integerField(w, m.ro, 'ro');
      }
      writeTail(w, m, TAIL_Q);
      return;
    case 'r':
      if (m.ip !== undefined) {
        w.raw(KEY_IP);
        bytesField(w, m.ip, 'ip');
      }
      w.raw(KEY_R);
      writeBody(w, m.r, m.extra, false);
      writeTail(w, m, TAIL_R);
      return;
    case 'e': {
      const e: unknown = m.e;
      if (typeof e !== 'object' || e === null) throw new TypeError('KRPC field e must be an object');
      const { code, message } = e as { code: unknown; message: unknown };
      w.raw(KEY_E);
      w.byte(0x6c);
      integerField(w, code, 'e.code');
      if (typeof message !== 'string') throw new TypeError('KRPC field e.message must be a string');
      w.utf8(message);
      w.byte(0x65);
      writeTail(w, m, TAIL_E);
      return;
    }
    default:
      throw new TypeError(`unknown KRPC message type ${JSON.stringify((m as { y: unknown }).y)}`);
  }
}
