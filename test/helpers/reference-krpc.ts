/**
 * A plain KRPC decoder written from docs/CORE-SPEC.md "KRPC decode", as an
 * oracle for the backends' fast paths. It decodes the generic tree with the
 * reference decoder, then recovers each value's offset from encoded lengths:
 * strict bencode is canonical, so the tree determines every byte position.
 */
import { BencodeError } from '../../src/core/bencode-types.ts';
import { type BencodeDict, type BencodeValue } from '../../src/ground/bencode.ts';
import { ValuesView, type KrpcDecodeFailure, type KrpcMessage, type QueryArgs, type ReceivedValues } from '../../src/ground/messages.ts';
import { referenceDecode } from './reference-bencode.ts';

type Kind = 'string' | 'integer' | 'list' | 'dict';

function kindOf(v: BencodeValue): Kind {
  if (v instanceof Uint8Array) return 'string';
  if (typeof v === 'number' || typeof v === 'bigint') return 'integer';
  return Array.isArray(v) ? 'list' : 'dict';
}

function encodedLength(v: BencodeValue): number {
  if (v instanceof Uint8Array) return String(v.length).length + 1 + v.length;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v).length + 2;
  if (Array.isArray(v)) return 2 + v.reduce<number>((sum, item) => sum + encodedLength(item), 0);
  let sum = 2;
  for (const key of Object.keys(v).sort()) sum += String(key.length).length + 1 + key.length + encodedLength(v[key]!);
  return sum;
}

/** Offset of each key's value in a dict encoded at `start`. */
function valueOffsets(dict: BencodeDict, start: number): Map<string, number> {
  const offsets = new Map<string, number>();
  let p = start + 1;
  for (const key of Object.keys(dict).sort()) {
    p += String(key.length).length + 1 + key.length;
    offsets.set(key, p);
    p += encodedLength(dict[key]!);
  }
  return offsets;
}

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);
const own = (d: BencodeDict, k: string): BencodeValue | undefined => (Object.hasOwn(d, k) ? d[k] : undefined);

/** Subarray of the datagram holding the string that starts at `offset`. */
function stringAt(d: Uint8Array, offset: number, value: Uint8Array): Uint8Array {
  const start = offset + String(value.length).length + 1;
  return d.subarray(start, start + value.length);
}

const TOP_TYPES: Record<string, Kind> = { a: 'dict', e: 'list', ip: 'string', q: 'string', r: 'dict', ro: 'integer', t: 'string', v: 'string', y: 'string' };
const ARG_TYPES: Record<string, Kind> = { id: 'string', target: 'string', info_hash: 'string', token: 'string', port: 'integer', implied_port: 'integer', want: 'list' };
const VAL_TYPES: Record<string, Kind> = { id: 'string', nodes: 'string', nodes6: 'string', token: 'string', values: 'list' };

function typeOk(value: BencodeValue, kind: Kind, listOfStrings: boolean): boolean {
  if (kindOf(value) !== kind) return false;
  if (kind === 'integer') return typeof value === 'number';
  if (kind === 'list' && listOfStrings) return (value as BencodeValue[]).every((item) => item instanceof Uint8Array);
  return true;
}

export function referenceDecodeKrpc(d: Uint8Array): KrpcMessage | KrpcDecodeFailure {
  let root: BencodeValue;
  try {
    root = referenceDecode(d);
  } catch (error) {
    const e = error as BencodeError;
    return { y: 'invalid', code: e.code, offset: e.offset };
  }
  if (kindOf(root) !== 'dict') return { y: 'invalid', code: 'not-a-dict', offset: 0 };
  const top = root as BencodeDict;
  const offsets = valueOffsets(top, 0);
  const t = own(top, 't');
  const q = own(top, 'q');
  const fail = (code: KrpcDecodeFailure['code'], offset: number, field: string): KrpcDecodeFailure => {
    const failure: KrpcDecodeFailure = { y: 'invalid', code, offset, field };
    if (t instanceof Uint8Array) failure.t = stringAt(d, offsets.get('t')!, t);
    if (q instanceof Uint8Array) failure.q = latin1(q);
    return failure;
  };

  for (const key of Object.keys(top).sort()) {
    const kind = TOP_TYPES[key];
    if (kind && !typeOk(top[key]!, kind, false)) return fail('wrong-type', offsets.get(key)!, key);
  }
  if (t === undefined) return fail('missing-field', 0, 't');
  const y = own(top, 'y') as Uint8Array | undefined;
  if (y === undefined) return fail('missing-field', 0, 'y');
  const type = y.length === 1 ? String.fromCharCode(y[0]!) : '';
  if (type !== 'q' && type !== 'r' && type !== 'e') return fail('unknown-type', offsets.get('y')!, 'y');

  const envelope = { t: stringAt(d, offsets.get('t')!, t as Uint8Array), datagram: d };
  const v = own(top, 'v') as Uint8Array | undefined;
  const withV = <M extends KrpcMessage>(m: M): M => {
    if (v !== undefined) m.v = stringAt(d, offsets.get('v')!, v);
    return m;
  };

  if (type === 'e') {
    const e = own(top, 'e') as BencodeValue[] | undefined;
    if (e === undefined) return fail('missing-field', 0, 'e');
    const [code, message] = e;
    if (typeof code !== 'number' || !(message instanceof Uint8Array)) return fail('wrong-type', offsets.get('e')!, 'e');
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(message);
    return withV({ y: 'e', ...envelope, e: { code, message: text }, bodyStart: 0, bodyEnd: 0 });
  }

  const bodyKey = type === 'q' ? 'a' : 'r';
  if (type === 'q' && q === undefined) return fail('missing-field', 0, 'q');
  const body = own(top, bodyKey) as BencodeDict | undefined;
  if (body === undefined) return fail('missing-field', 0, bodyKey);
  const bodyStart = offsets.get(bodyKey)!;
  const bodyOffsets = valueOffsets(body, bodyStart);
  const types = type === 'q' ? ARG_TYPES : VAL_TYPES;
  for (const key of Object.keys(body).sort()) {
    const kind = types[key];
    if (kind && !typeOk(body[key]!, kind, true)) return fail('wrong-type', bodyOffsets.get(key)!, key);
  }
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    const kind = types[key];
    const value = body[key]!;
    if (!kind) continue;
    if (kind === 'string') fields[key] = stringAt(d, bodyOffsets.get(key)!, value as Uint8Array);
    else if (kind === 'integer') fields[key] = value;
    else if (key === 'values') {
      // One packed view of the list's items (between its `l` and `e`).
      const start = bodyOffsets.get(key)!;
      fields[key] = new ValuesView(d.subarray(start + 1, start + encodedLength(value) - 1), (value as Uint8Array[]).length);
    } else {
      let p = bodyOffsets.get(key)! + 1;
      fields[key] = (value as Uint8Array[]).map((item) => {
        const bytes = stringAt(d, p, item);
        p += encodedLength(item);
        return key === 'want' ? latin1(bytes) : bytes;
      });
    }
  }
  const bodyEnd = bodyStart + encodedLength(body);
  if (type === 'q') {
    const message: KrpcMessage = { y: 'q', ...envelope, q: latin1(q as Uint8Array), a: fields as QueryArgs, bodyStart, bodyEnd };
    const ro = own(top, 'ro');
    if (ro !== undefined) message.ro = ro as number;
    return withV(message);
  }
  const message: KrpcMessage = { y: 'r', ...envelope, r: fields as ReceivedValues, bodyStart, bodyEnd };
  const ip = own(top, 'ip');
  if (ip !== undefined) message.ip = stringAt(d, offsets.get('ip')!, ip as Uint8Array);
  return withV(message);
}
