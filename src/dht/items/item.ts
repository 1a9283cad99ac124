/**
 * BEP 44 items as typed data, read from (hostile) bencoded dicts: the `a` of
 * a put query on the storing side, the `r` of a get answer on the reading
 * side. `encoded` is the value's bencoded bytes: the core decodes strictly
 * (canonical bencode only), so encoding the decoded value gives back the
 * verbatim bytes the BEP asks to hash and sign.
 */
import type { BencodeDict, BencodeValue } from '../../ground/bencode.ts';
import { bytesEqual } from '../../util/bytes.ts';
import {
  ERROR_PROTOCOL,
  ERROR_SALT_TOO_BIG,
  ERROR_VALUE_TOO_BIG,
  MAX_SALT_BYTES,
  MAX_SEQ,
  MAX_VALUE_BYTES,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
} from './constants.ts';
import { signatureBuffer, verifySignature } from './signature.ts';
import type { Sha1 } from './target.ts';
import { immutableTarget, mutableTarget } from './target.ts';

export interface ImmutableItem {
  readonly kind: 'immutable';
  readonly target: Uint8Array;
  readonly value: BencodeValue;
  /** The value's bencoded bytes (what the target hashes). */
  readonly encoded: Uint8Array;
}

export interface MutableItem {
  readonly kind: 'mutable';
  readonly target: Uint8Array;
  readonly value: BencodeValue;
  readonly encoded: Uint8Array;
  readonly publicKey: Uint8Array;
  /** Empty when there is none. */
  readonly salt: Uint8Array;
  readonly seq: bigint;
  readonly signature: Uint8Array;
}

/**
 * @example
 * import { MemoryItemStore, fromHex, type Item } from 'btdht';
 * const store = new MemoryItemStore();
 * const item: Item | undefined = store.get(fromHex('e3811b9539cacff680e418124272177c47477157'), Date.now());
 * if (item?.kind === 'mutable') console.log('seq', item.seq);
 */
export type Item = ImmutableItem | MutableItem;

/** A KRPC error to answer: [code, message]. */
export type ItemError = readonly [code: number, message: string];

/** Codec the readers need (the node's core). */
export interface ItemCodec {
  encode(value: BencodeValue): Uint8Array;
  sha1: Sha1;
}

/** Does a mutable item's signature verify? (Immutable items have none: true.) */
export function verifyItem(item: Item): boolean {
  if (item.kind === 'immutable') return true;
  return verifySignature(item.signature, signatureBuffer(item.seq, item.encoded, item.salt), item.publicKey);
}

/** An integer field as a bigint, or undefined when absent or not an integer. */
export function integerField(value: BencodeValue | undefined): bigint | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  return typeof value === 'bigint' ? value : undefined;
}

/** A bigint as the core hands integers out: a number when safe, else a bigint. */
export function seqValue(seq: bigint): number | bigint {
  return seq >= BigInt(Number.MIN_SAFE_INTEGER) && seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seq) : seq;
}

/**
 * The item a put query's `a` carries, with `cas` when given; or the error to
 * answer (203 malformed, 205 value too big, 207 salt too big). The signature
 * is NOT checked here (it is the costly part: the handler does it last).
 */
export function readPutArgs(a: BencodeDict, codec: ItemCodec): { item: Item; cas: bigint | undefined } | { error: ItemError } {
  const value = a['v'];
  if (value === undefined) return { error: [ERROR_PROTOCOL, "missing argument 'v'"] };
  const encoded = codec.encode(value);
  if (encoded.length > MAX_VALUE_BYTES) return { error: [ERROR_VALUE_TOO_BIG, `'v' is ${encoded.length} bytes bencoded, at most ${MAX_VALUE_BYTES}`] };
  const k = a['k'];
  if (k === undefined && a['sig'] === undefined && a['seq'] === undefined) {
    return { item: { kind: 'immutable', target: immutableTarget(encoded, codec.sha1), value, encoded }, cas: undefined };
  }
  if (!(k instanceof Uint8Array) || k.length !== PUBLIC_KEY_BYTES) return { error: [ERROR_PROTOCOL, `'k' must be a ${PUBLIC_KEY_BYTES}-byte string`] };
  const signature = a['sig'];
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return { error: [ERROR_PROTOCOL, `'sig' must be a ${SIGNATURE_BYTES}-byte string`] };
  const seq = integerField(a['seq']);
  if (seq === undefined || seq < 0n || seq > MAX_SEQ) return { error: [ERROR_PROTOCOL, "'seq' must be an integer from 0 to 2^63-1"] };
  const salt = a['salt'] ?? new Uint8Array(0);
  if (!(salt instanceof Uint8Array)) return { error: [ERROR_PROTOCOL, "'salt' must be a string"] };
  if (salt.length > MAX_SALT_BYTES) return { error: [ERROR_SALT_TOO_BIG, `'salt' is ${salt.length} bytes, at most ${MAX_SALT_BYTES}`] };
  let cas: bigint | undefined;
  if (a['cas'] !== undefined) {
    cas = integerField(a['cas']);
    if (cas === undefined) return { error: [ERROR_PROTOCOL, "'cas' must be an integer"] };
  }
  const item: MutableItem = {
    kind: 'mutable',
    target: mutableTarget(k, salt, codec.sha1),
    value,
    encoded,
    publicKey: k.slice(),
    salt: salt.slice(),
    seq,
    signature: signature.slice(),
  };
  return { item, cas };
}

/** What a reader looks for: a target, and for a mutable item with a salt, its key and salt. */
export interface ItemQuery {
  target: Uint8Array;
  /** Only a mutable item of this key (and `salt`) is accepted. */
  publicKey?: Uint8Array;
  salt?: Uint8Array;
}

/** What one get answer told a reader. */
export type GetAnswer =
  | { kind: 'item'; item: Item }
  /** A stored seq without the value (the asker's `seq` was not older). */
  | { kind: 'seq'; seq: bigint }
  | { kind: 'none' }
  /** Something claiming to be the item that is not: wrong hash, key or signature. */
  | { kind: 'forged'; reason: string };

/**
 * Read a get answer's `r` for `query`, trusting nothing: an immutable value
 * must hash to the target; a mutable one must carry a key (and our salt) that
 * hashes to the target and a signature that verifies (BEP 44: "MUST be
 * verified to hash to the target ID ... as well as verifying the signature").
 */
export function readGetAnswer(r: BencodeDict, query: ItemQuery, codec: ItemCodec): GetAnswer {
  const value = r['v'];
  const k = r['k'];
  const seq = integerField(r['seq']);
  if (value === undefined) {
    if (seq !== undefined && k === undefined) return { kind: 'seq', seq };
    return { kind: 'none' };
  }
  let encoded: Uint8Array;
  try {
    encoded = codec.encode(value);
  } catch {
    return { kind: 'forged', reason: 'value cannot be encoded' };
  }
  if (encoded.length > MAX_VALUE_BYTES) return { kind: 'forged', reason: 'value too big' };
  if (k === undefined) {
    if (query.publicKey) return { kind: 'forged', reason: 'immutable value for a mutable target' };
    if (!bytesEqual(immutableTarget(encoded, codec.sha1), query.target)) return { kind: 'forged', reason: 'value does not hash to the target' };
    return { kind: 'item', item: { kind: 'immutable', target: query.target.slice(), value, encoded } };
  }
  const signature = r['sig'];
  if (!(k instanceof Uint8Array) || k.length !== PUBLIC_KEY_BYTES) return { kind: 'forged', reason: 'bad key' };
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return { kind: 'forged', reason: 'bad signature field' };
  if (seq === undefined || seq < 0n || seq > MAX_SEQ) return { kind: 'forged', reason: 'bad seq' };
  const salt = query.salt ?? new Uint8Array(0);
  if (query.publicKey && !bytesEqual(query.publicKey, k)) return { kind: 'forged', reason: 'another key' };
  if (!bytesEqual(mutableTarget(k, salt, codec.sha1), query.target)) return { kind: 'forged', reason: 'key and salt do not hash to the target' };
  const item: MutableItem = { kind: 'mutable', target: query.target.slice(), value, encoded, publicKey: k.slice(), salt: salt.slice(), seq, signature: signature.slice() };
  if (!verifyItem(item)) return { kind: 'forged', reason: 'signature does not verify' };
  return { kind: 'item', item };
}

/** The KRPC `extra` of a put query for `item` (salt only when non-empty; cas when given). */
export function putExtra(item: Item, cas?: bigint): BencodeDict {
  if (item.kind === 'immutable') return { v: item.value };
  const extra: BencodeDict = { k: item.publicKey, seq: seqValue(item.seq), sig: item.signature, v: item.value };
  if (item.salt.length > 0) extra['salt'] = item.salt;
  if (cas !== undefined) extra['cas'] = seqValue(cas);
  return extra;
}

/** The KRPC `extra` of a get answer holding `item` (k, seq, sig, v; or only seq when the asker is not behind). */
export function getAnswerExtra(item: Item, askerSeq: bigint | undefined): BencodeDict {
  if (item.kind === 'immutable') return { v: item.value };
  if (askerSeq !== undefined && item.seq <= askerSeq) return { seq: seqValue(item.seq) };
  return { k: item.publicKey, seq: seqValue(item.seq), sig: item.signature, v: item.value };
}
