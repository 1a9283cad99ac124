/**
 * put (BEP 44): a get traversal that ends with the k nearest nodes and their
 * tokens, then a put to each of those that gave a token. `cas` goes only to
 * nodes that showed a value in the get (BEP 44: not to nodes that returned none).
 */
import type { ExtensionHost } from './host.ts';
import { queryOutcome } from './host.ts';
import type { Item, ItemQuery } from './item.ts';
import { putExtra } from './item.ts';
import type { ItemLookupOptions, ItemLookupResult } from './lookup.ts';
import { itemLookup } from './lookup.ts';
import type { BodyCodec } from './handlers.ts';

export interface StoreResult {
  /** Nodes asked to store, and those that accepted. */
  asked: number;
  accepted: number;
  /** Refusals by KRPC error code (e.g. 302: our seq is older than theirs). */
  refused: Record<number, number>;
  /** Nodes that did not answer. */
  failed: number;
}

export interface PutResult extends StoreResult {
  item: Item;
  lookup: ItemLookupResult;
}

/** Put `item` to the nodes of a finished lookup that gave a token. */
export async function storeAt(host: Pick<ExtensionHost, 'query'>, item: Item, lookup: ItemLookupResult, cas?: bigint): Promise<StoreResult> {
  const targets = lookup.aborted ? [] : lookup.closest.filter((candidate) => candidate.token);
  const outcomes = await Promise.all(
    targets.map((candidate) => {
      const shown = lookup.holdings.get(candidate);
      const extra = putExtra(item, shown && cas !== undefined ? cas : undefined);
      return queryOutcome(host, candidate.endpoint, 'put', { token: candidate.token! }, extra);
    }),
  );
  const result: StoreResult = { asked: targets.length, accepted: 0, refused: {}, failed: 0 };
  for (const outcome of outcomes) {
    if (outcome.kind === 'response') result.accepted++;
    else if (outcome.kind === 'error') result.refused[outcome.code] = (result.refused[outcome.code] ?? 0) + 1;
    else result.failed++;
  }
  return result;
}

/**
 * Look up `query`, let `build` make the item from what was found (a mutable
 * put picks its seq there), then store it on the nearest nodes.
 */
export async function putItem(
  host: Pick<ExtensionHost, 'lookup' | 'query'>,
  query: ItemQuery,
  build: (lookup: ItemLookupResult) => Item,
  codec: BodyCodec,
  options: ItemLookupOptions & { cas?: bigint } = {},
): Promise<PutResult> {
  const lookupOptions: ItemLookupOptions = {};
  if (options.signal) lookupOptions.signal = options.signal;
  if (options.known) lookupOptions.known = options.known;
  const lookup = await itemLookup(host, query, codec, lookupOptions);
  const item = build(lookup);
  const stored = await storeAt(host, item, lookup, options.cas);
  return { ...stored, item, lookup };
}
