/**
 * BEP 44 on a node: `installItems(dht, { core })` answers get/put queries
 * from an item store and gives the client side (putImmutable, putMutable, get,
 * republish). Everything goes through the host: the node's dispatch table (or
 * its public hooks), single queries and lookup engine.
 */
import type { BencodeInput, BencodeValue } from '../../ground/bencode.ts';
import type { Core } from '../../core/types.ts';
import type { Clock } from '../../ground/clock.ts';
import { realClock } from '../../ground/clock.ts';
import type { RandomSource } from '../../ground/random.ts';
import { cryptoRandom } from '../../ground/random.ts';
import { toId } from '../../util/id.ts';
import { K } from '../constants.ts';
import { TokenManager } from '../tokens.ts';
import { AnswerBudget } from './budget.ts';
import { MAX_PUTS_PER_SECOND, MAX_SALT_BYTES, MAX_SEQ, MAX_VALUE_BYTES } from './constants.ts';
import type { ClosestNodes, ExtensionHost } from './host.ts';
import { answerMethod, closestFromHost } from './host.ts';
import { SHAPES } from '../query-shapes.ts';
import type { BodyCodec, WriteTokens } from './handlers.ts';
import { itemQueryHooks } from './handlers.ts';
import type { Item, ItemQuery, MutableItem } from './item.ts';
import { seqValue } from './item.ts';
import type { Keypair } from './keys.ts';
import { signWith, toPublicKey } from './keys.ts';
import type { ItemLookupResult } from './lookup.ts';
import { itemLookup } from './lookup.ts';
import type { PutResult } from './put.ts';
import { putItem, storeAt } from './put.ts';
import type { RepublishOutcome } from './republish.ts';
import { Republisher, enoughCopies } from './republish.ts';
import { signatureBuffer } from './signature.ts';
import type { ItemStore, MemoryItemStoreOptions } from './store.ts';
import { MemoryItemStore } from './store.ts';
import { immutableTarget, mutableTarget } from './target.ts';

export interface ItemsOptions {
  /** The node's core: bencode and SHA-1. */
  core: Pick<Core, 'encode' | 'decode' | 'sha1'>;
  /** The node's clock (default: the wall clock). */
  clock?: Clock;
  /** For our own token secrets when `tokens` is not given (default crypto). */
  random?: RandomSource;
  /** The node's write tokens (so get_peers and get tokens are one scheme); default: our own TokenManager. */
  tokens?: WriteTokens;
  /** Nearest nodes for answers; default: sorted from the host's `nodes()`. */
  closestNodes?: ClosestNodes;
  /** Nodes per answer (default 8). */
  k?: number;
  /** Where items live (default: a MemoryItemStore with `storeOptions`). */
  store?: ItemStore;
  storeOptions?: MemoryItemStoreOptions;
  /** put queries checked per second, node-wide (default 200); beyond, dropped. */
  maxPutsPerSecond?: number;
  /** Re-put the items we put every hour, as BEP 44 asks (default true). */
  republish?: boolean;
  republishIntervalMs?: number;
  /** Each republish round's outcomes. */
  onRepublish?: (outcomes: { item: Item; outcome: RepublishOutcome }[]) => void;
}

/**
 * What `get` resolves with: the verified item.
 * @example
 * import { DHT, type FoundItem } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const { target } = await dht.putImmutable('hello');
 * const item: FoundItem | undefined = await dht.get(target);
 * if (item?.value instanceof Uint8Array) console.log(item.kind, new TextDecoder().decode(item.value)); // immutable hello
 */
export interface FoundItem {
  kind: 'immutable' | 'mutable';
  target: Uint8Array;
  value: BencodeValue;
  /** Mutable items: the highest seq seen (a number when safe, else a bigint). */
  seq?: number | bigint;
  publicKey?: Uint8Array;
  salt?: Uint8Array;
  signature?: Uint8Array;
}

/**
 * What a put did.
 * @example
 * import { DHT, type PutSummary } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const summary: PutSummary = await dht.putImmutable({ note: 'hello' });
 * console.log(`${summary.accepted} of ${summary.asked} nodes stored it; refusals by code:`, summary.refused);
 */
export interface PutSummary {
  target: Uint8Array;
  seq?: number | bigint;
  /** Nodes asked to store it, and those that accepted. */
  asked: number;
  accepted: number;
  /** Refusals by BEP 44 error code. */
  refused: Record<number, number>;
  /** Answers seen in the get step that failed verification. */
  forged: number;
}

/**
 * @example
 * import { DHT, generateKeypair, type PutMutableOptions } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const options: PutMutableOptions = { keypair: generateKeypair(), value: { name: 'me' }, salt: 'profile' };
 * const first = await dht.putMutable(options);
 * // Replace it only if nobody changed it since (BEP 44 cas).
 * await dht.putMutable({ ...options, value: { name: 'me, again' }, cas: first.seq });
 */
export interface PutMutableOptions {
  keypair: Keypair;
  value: BencodeInput;
  /** Up to 64 bytes (a string is taken as UTF-8). */
  salt?: Uint8Array | string;
  /** Default: one more than the highest seq found in the get step (1 for a new item). */
  seq?: number | bigint;
  /** Only replace the item whose seq is this (BEP 44 compare-and-swap: 301 otherwise). */
  cas?: number | bigint;
  signal?: AbortSignal;
}

/**
 * A mutable item's address: its key and salt.
 * @example
 * import { DHT, type MutableAddress } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const address: MutableAddress = { publicKey: '77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548', salt: 'profile' };
 * const item = await dht.get(address);
 * if (item) console.log('seq', item.seq, item.value);
 */
export interface MutableAddress {
  publicKey: Uint8Array | string;
  salt?: Uint8Array | string;
}

export interface Items {
  readonly store: ItemStore;
  readonly republisher: Republisher;
  /** Store an immutable value; resolves with its target (SHA-1 of its bencoding). */
  putImmutable(value: BencodeInput, options?: { signal?: AbortSignal }): Promise<PutSummary>;
  /** Sign and store a mutable value. */
  putMutable(options: PutMutableOptions): Promise<PutSummary>;
  /** The verified item at a target (immutable, or mutable without salt) or of a key and salt; undefined if none found. */
  get(what: Uint8Array | string | MutableAddress, options?: { signal?: AbortSignal }): Promise<FoundItem | undefined>;
  /** The get traversal with its details (holders, forged answers, message counts). */
  lookup(what: Uint8Array | string | MutableAddress, options?: { signal?: AbortSignal; full?: boolean }): Promise<ItemLookupResult>;
  /** Stop republishing an item of ours. */
  forget(target: Uint8Array | string): boolean;
  /** Remove the hooks and timers. */
  close(): void;
}

export function installItems(host: ExtensionHost, options: ItemsOptions): Items {
  const { core } = options;
  const clock = options.clock ?? realClock;
  const codec: BodyCodec = { encode: (value) => core.encode(value), decode: (bytes) => core.decode(bytes), sha1: (bytes) => core.sha1(bytes) };
  // The store keeps items as bytes and decodes a value when it is asked for (store.ts: bounded by the byte cap).
  const store = options.store ?? new MemoryItemStore({ decode: codec.decode, ...options.storeOptions });
  const tokens = options.tokens ?? new TokenManager(codec.sha1, clock, options.random ?? cryptoRandom);
  const hooks = itemQueryHooks({
    store,
    tokens,
    codec,
    clock,
    closest: options.closestNodes ?? closestFromHost(host, options.k ?? K),
    putBudget: new AnswerBudget(options.maxPutsPerSecond ?? MAX_PUTS_PER_SECOND),
  });
  const off = [answerMethod(host, 'get', SHAPES.get, hooks.get), answerMethod(host, 'put', SHAPES.put, hooks.put)];

  const republishOne = async (item: Item): Promise<RepublishOutcome> => {
    const lookup = await itemLookup(host, queryOf(item), codec, { known: item });
    if (item.kind === 'mutable' && lookup.item?.kind === 'mutable' && lookup.item.seq > item.seq) return { kind: 'superseded', seq: lookup.item.seq };
    if (enoughCopies(item, lookup)) return { kind: 'skipped' };
    store.put(item, undefined, clock.now());
    const stored = await storeAt(host, item, lookup);
    return { kind: 'put', accepted: stored.accepted };
  };
  const republisher = new Republisher({
    clock,
    republish: republishOne,
    ...(options.republishIntervalMs !== undefined ? { intervalMs: options.republishIntervalMs } : {}),
    ...(options.onRepublish ? { onRound: options.onRepublish } : {}),
  });
  const keepAlive = options.republish ?? true;

  const summary = (result: PutResult): PutSummary => {
    const out: PutSummary = {
      target: result.item.target.slice(),
      asked: result.asked,
      accepted: result.accepted,
      refused: result.refused,
      forged: result.lookup.forged,
    };
    if (result.item.kind === 'mutable') out.seq = seqValue(result.item.seq);
    if (keepAlive && result.accepted > 0) republisher.add(result.item);
    return out;
  };

  const resolveQuery = (what: Uint8Array | string | MutableAddress): ItemQuery => {
    if (what instanceof Uint8Array || typeof what === 'string') return { target: toId(what, 'item target') };
    const publicKey = toPublicKey(what.publicKey);
    const salt = saltBytes(what.salt);
    return { target: mutableTarget(publicKey, salt, codec.sha1), publicKey, salt };
  };

  const lookup = (what: Uint8Array | string | MutableAddress, lookupOptions: { signal?: AbortSignal; full?: boolean } = {}): Promise<ItemLookupResult> => {
    const query = resolveQuery(what);
    const known = store.get(query.target, clock.now());
    return itemLookup(host, query, codec, {
      ...(lookupOptions.signal ? { signal: lookupOptions.signal } : {}),
      ...(known && matches(known, query) ? { known } : {}),
      stopAtImmutable: !lookupOptions.full,
    });
  };

  return {
    store,
    republisher,

    async putImmutable(value, putOptions = {}) {
      const encoded = core.encode(value);
      if (encoded.length > MAX_VALUE_BYTES) throw new RangeError(`putImmutable: the value is ${encoded.length} bytes bencoded, at most ${MAX_VALUE_BYTES}`);
      const item: Item = { kind: 'immutable', target: immutableTarget(encoded, codec.sha1), value: core.decode(encoded), encoded };
      // Our own store answers others' gets too (a lookup never asks ourselves).
      store.put(item, undefined, clock.now());
      return summary(await putItem(host, { target: item.target }, () => item, codec, putOptions.signal ? { signal: putOptions.signal } : {}));
    },

    async putMutable(put) {
      const encoded = core.encode(put.value);
      if (encoded.length > MAX_VALUE_BYTES) throw new RangeError(`putMutable: the value is ${encoded.length} bytes bencoded, at most ${MAX_VALUE_BYTES}`);
      const salt = saltBytes(put.salt);
      const publicKey = put.keypair.publicKey;
      const target = mutableTarget(publicKey, salt, codec.sha1);
      const value = core.decode(encoded);
      const cas = put.cas === undefined ? undefined : seqArgument(put.cas, 'cas');
      const fixedSeq = put.seq === undefined ? undefined : seqArgument(put.seq, 'seq');
      const known = store.get(target, clock.now());
      const build = (found: ItemLookupResult): Item => {
        const seen = found.item?.kind === 'mutable' ? found.item.seq : 0n;
        const seq = fixedSeq ?? (seen + 1n <= MAX_SEQ ? seen + 1n : MAX_SEQ);
        const signature = signWith(put.keypair, signatureBuffer(seq, encoded, salt));
        const item: MutableItem = { kind: 'mutable', target, value, encoded, publicKey: publicKey.slice(), salt, seq, signature };
        store.put(item, undefined, clock.now());
        return item;
      };
      const result = await putItem(host, { target, publicKey, salt }, build, codec, {
        ...(put.signal ? { signal: put.signal } : {}),
        ...(known && known.kind === 'mutable' ? { known } : {}),
        ...(cas !== undefined ? { cas } : {}),
      });
      return summary(result);
    },

    async get(what, getOptions = {}) {
      // An immutable item we hold is proven by its hash: no need to ask anyone.
      const query = resolveQuery(what);
      const local = store.get(query.target, clock.now());
      if (local?.kind === 'immutable' && !query.publicKey) return foundItem(local);
      const found = await lookup(what, getOptions);
      return found.item ? foundItem(found.item) : undefined;
    },

    lookup,

    forget(target) {
      return republisher.remove(toId(target, 'item target'));
    },

    close() {
      for (const remove of off) remove();
      republisher.close();
    },
  };
}

function queryOf(item: Item): ItemQuery {
  return item.kind === 'immutable' ? { target: item.target } : { target: item.target, publicKey: item.publicKey, salt: item.salt };
}

/** Is a stored item one the query would accept? */
function matches(item: Item, query: ItemQuery): boolean {
  if (!query.publicKey) return item.kind === 'immutable' || item.salt.length === 0;
  return item.kind === 'mutable';
}

function foundItem(item: Item): FoundItem {
  if (item.kind === 'immutable') return { kind: 'immutable', target: item.target.slice(), value: item.value };
  return {
    kind: 'mutable',
    target: item.target.slice(),
    value: item.value,
    seq: seqValue(item.seq),
    publicKey: item.publicKey.slice(),
    salt: item.salt.slice(),
    signature: item.signature.slice(),
  };
}

function saltBytes(salt: Uint8Array | string | undefined): Uint8Array {
  const bytes = salt === undefined ? new Uint8Array(0) : typeof salt === 'string' ? new TextEncoder().encode(salt) : salt.slice();
  if (bytes.length > MAX_SALT_BYTES) throw new RangeError(`a salt is at most ${MAX_SALT_BYTES} bytes, got ${bytes.length}`);
  return bytes;
}

function seqArgument(value: number | bigint, what: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`${what} must be an integer, got ${value}`);
  const seq = BigInt(value);
  if (seq < 0n || seq > MAX_SEQ) throw new RangeError(`${what} must be from 0 to 2^63-1, got ${seq}`);
  return seq;
}
