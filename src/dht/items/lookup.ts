/**
 * get lookup (BEP 44), a strategy on the node's traversal: walks toward the
 * target like get_peers, keeps every responder's write token (for a put that
 * follows), and keeps the best item that verifies — an immutable value that
 * hashes to the target, or the highest-seq mutable value whose key hashes to
 * the target and whose signature holds. Forged answers are counted, never kept.
 */
import type { BencodeDict } from '../../ground/bencode.ts';
import type { KrpcResponse } from '../../ground/messages.ts';
import type { Candidate, TraversalResult, TraversalStrategy } from '../traversal.ts';
import type { ExtensionHost } from './host.ts';
import type { Item, ItemQuery } from './item.ts';
import { readGetAnswer } from './item.ts';
import type { BodyCodec } from './handlers.ts';

/** What a responder showed it holds: the item's value (and its seq, for a mutable one), or only a seq. */
export interface Holding {
  seq: bigint | undefined;
  hasValue: boolean;
}

export interface ItemLookupOptions {
  signal?: AbortSignal;
  /** End at the first verified immutable value (a plain get; a put or republish wants the nearest nodes' tokens). */
  stopAtImmutable?: boolean;
  /** Best item known before the lookup (our own store's). */
  known?: Item;
}

export interface ItemLookupResult extends TraversalResult {
  /** The best verified item: immutable, or the highest seq seen. */
  item: Item | undefined;
  /** Responders that hold the item (or a seq of it). */
  holdings: Map<Candidate, Holding>;
  /** Answers that claimed the item and failed verification. */
  forged: number;
}

/** Run one get traversal for `query`. */
export async function itemLookup(host: Pick<ExtensionHost, 'lookup'>, query: ItemQuery, codec: BodyCodec, options: ItemLookupOptions = {}): Promise<ItemLookupResult> {
  let best = options.known;
  let forged = 0;
  const holdings = new Map<Candidate, Holding>();
  const strategy: TraversalStrategy = {
    method: 'get',
    args: { target: query.target },
    onResponse(candidate: Candidate, response: KrpcResponse) {
      const token = response.r.token;
      if (token && token.length > 0) candidate.token = token;
      const r = responseBody(response, codec);
      if (!r) return undefined;
      const answer = readGetAnswer(r, query, codec);
      switch (answer.kind) {
        case 'forged':
          forged++;
          return undefined;
        case 'seq':
          holdings.set(candidate, { seq: answer.seq, hasValue: false });
          return undefined;
        case 'none':
          return undefined;
        case 'item': {
          const item = answer.item;
          holdings.set(candidate, { seq: item.kind === 'mutable' ? item.seq : undefined, hasValue: true });
          if (isBetter(item, best)) best = item;
          return item.kind === 'immutable' && options.stopAtImmutable ? 'stop' : undefined;
        }
      }
    },
  };
  const result = await host.lookup(query.target, strategy, options.signal ? { signal: options.signal } : {});
  return { ...result, item: best, holdings, forged };
}

/** Immutable beats nothing; a mutable item beats one with a lower seq. */
function isBetter(item: Item, best: Item | undefined): boolean {
  if (!best) return true;
  if (item.kind === 'mutable' && best.kind === 'mutable') return item.seq > best.seq;
  return false;
}

function responseBody(response: KrpcResponse, codec: BodyCodec): BencodeDict | undefined {
  try {
    const r = codec.decode(response.datagram.subarray(response.bodyStart, response.bodyEnd));
    return typeof r === 'object' && !(r instanceof Uint8Array) && !Array.isArray(r) ? r : undefined;
  } catch {
    return undefined;
  }
}
