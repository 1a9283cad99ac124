/**
 * The storing side of BEP 44: `get` and `put` query hooks.
 *
 * get: answers a write token, the nodes nearest the target, and the item if
 * stored (only its seq when the asker's `seq` is not older).
 * put: token (203) → value size (205) → key/sig/seq shape (203) → salt size
 * (207) → signature (206) → the store's cas (301) and seq (302) rules.
 * The signature check comes last, being the costly part, and a node-wide
 * budget bounds how many puts are checked per second (beyond: dropped).
 */
import type { BencodeDict, BencodeValue } from '../../ground/bencode.ts';
import type { KrpcQuery } from '../../ground/messages.ts';
import { encodeCompactAddress } from '../../krpc/compact.ts';
import type { Clock } from '../../ground/clock.ts';
import type { QueryHook } from '../hooks.ts';
import type { AnswerBudget } from './budget.ts';
import { ERROR_BAD_SIGNATURE, ERROR_PROTOCOL } from './constants.ts';
import type { ClosestNodes } from './host.ts';
import { nodesField } from './host.ts';
import type { Item, ItemCodec } from './item.ts';
import { getAnswerExtra, integerField, readPutArgs, verifyItem } from './item.ts';
import type { ItemStore } from './store.ts';

/** Write tokens bound to the requester's address (the node's TokenManager fits). */
export interface WriteTokens {
  issue(address: Uint8Array): Uint8Array;
  verify(token: Uint8Array, address: Uint8Array): boolean;
}

export interface BodyCodec extends ItemCodec {
  decode(bytes: Uint8Array): BencodeValue;
}

export interface ItemHandlerDeps {
  store: ItemStore;
  tokens: WriteTokens;
  codec: BodyCodec;
  closest: ClosestNodes;
  clock: Clock;
  putBudget: AnswerBudget;
  /** An item stored or refreshed by a put. */
  onPut?: (item: Item) => void;
}

/** A query's whole `a` dict (fields beyond the decoder's fast path), or undefined if unreadable. */
export function queryBody(query: KrpcQuery, decode: (bytes: Uint8Array) => BencodeValue): BencodeDict | undefined {
  try {
    const body = decode(query.datagram.subarray(query.bodyStart, query.bodyEnd));
    return typeof body === 'object' && !(body instanceof Uint8Array) && !Array.isArray(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

export function itemQueryHooks(deps: ItemHandlerDeps): { get: QueryHook; put: QueryHook } {
  const { store, tokens, codec, clock } = deps;

  const get: QueryHook = (query, from) => {
    const target = query.a.target;
    if (!target || target.length !== 20) return { error: [ERROR_PROTOCOL, "'target' must be a 20-byte string"] };
    const address = encodeCompactAddress(from.host, from.port);
    if (!address) return { error: [202, 'cannot read your address'] };
    const body = queryBody(query, codec.decode);
    const askerSeq = body ? integerField(body['seq']) : undefined;
    const item = store.get(target, clock.now());
    return {
      response: { token: tokens.issue(address), ...nodesField(deps.closest, target, from) },
      extra: item ? getAnswerExtra(item, askerSeq) : undefined,
    };
  };

  const put: QueryHook = (query, from) => {
    const now = clock.now();
    if (!deps.putBudget.take(now)) return { drop: true };
    const token = query.a.token;
    const address = encodeCompactAddress(from.host, from.port);
    if (!token || !address || !tokens.verify(token, address)) return { error: [ERROR_PROTOCOL, 'bad token'] };
    const body = queryBody(query, codec.decode);
    if (!body) return { error: [ERROR_PROTOCOL, 'unreadable arguments'] };
    const read = readPutArgs(body, codec);
    if ('error' in read) return { error: read.error };
    if (!verifyItem(read.item)) return { error: [ERROR_BAD_SIGNATURE, 'invalid signature'] };
    // The decoded value may view the datagram, which the transport reuses: keep our own.
    const item: Item = { ...read.item, value: codec.decode(read.item.encoded) };
    const outcome = store.put(item, read.cas, now);
    if (outcome.kind === 'refused') return { error: outcome.error };
    deps.onPut?.(item);
    return { response: {} };
  };

  return { get, put };
}
