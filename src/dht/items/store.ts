/**
 * Where a storing node keeps BEP 44 items. The node needs two operations (get
 * answers, put stores), so the interface is two methods plus counts.
 *
 * The in-memory store keeps items in last-put order: an item lives 2 hours
 * after its last put (BEP 44 "Expiration"), and when the count or byte cap is
 * reached the oldest put goes first. Reads do not extend a life: only puts,
 * which need a token, keep an item.
 */
import { bytesKey } from '../../util/bytes.ts';
import { ERROR_CAS_MISMATCH, ERROR_SEQ_TOO_LOW, ITEM_EXPIRY_MS, MAX_STORED_BYTES, MAX_STORED_ITEMS, MAX_VALUE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './constants.ts';
import type { Item, ItemError } from './item.ts';
import type { BencodeValue } from '../../ground/bencode.ts';
import { bytesEqual } from '../../util/bytes.ts';

/** What a put did: stored (new or newer), refreshed (the same item again), or refused with a BEP 44 error. */
export type PutOutcome = { kind: 'stored' } | { kind: 'refreshed' } | { kind: 'refused'; error: ItemError };

/**
 * @example
 * import { MemoryItemStore, type ItemStore } from 'btdht';
 * const store: ItemStore = new MemoryItemStore({ maxItems: 1000 });
 * console.log(store.size, 'items,', store.bytes, 'bytes');
 */
export interface ItemStore {
  /** The live item at `target`, if any. */
  get(target: Uint8Array, now: number): Item | undefined;
  /**
   * Store `item` (its signature already checked) at `now`, by BEP 44's rules:
   * `cas` must match the stored seq (301); a lower seq is refused (302), and so
   * is an equal seq with another value; the same item again refreshes it.
   */
  put(item: Item, cas: bigint | undefined, now: number): PutOutcome;
  readonly size: number;
  /** Bytes held (values, keys, signatures, salts). */
  readonly bytes: number;
}

export interface MemoryItemStoreOptions {
  /** Items kept at most (default 5000). */
  maxItems?: number;
  /** Bytes kept at most (default 4 MiB). */
  maxBytes?: number;
  /** An item is dropped this long after its last put (default 2 h). */
  expiryMs?: number;
  /**
   * Decodes a stored value when it is read (the node passes its core's).
   * With it, an item is kept as its bytes alone: a 1000-byte value decodes
   * to as many as 499 objects (a list of empty strings), ~60 KB of heap an
   * item, 200 MiB under a 4 MiB byte cap. Without it, values are kept as put.
   */
  decode?: (encoded: Uint8Array) => BencodeValue;
}

/**
 * An item as held: one buffer (target, value bytes, then for a mutable item
 * key, salt and signature), so the byte cap bounds what it costs.
 */
interface Entry {
  key: string;
  putAt: number;
  bytes: number;
  kind: Item['kind'];
  packed: Uint8Array;
  encodedLength: number;
  saltLength: number;
  seq: bigint;
  /** The value as put, when there is no decoder. */
  value: BencodeValue | undefined;
}

/**
 * @example
 * import { MemoryItemStore, immutableTarget } from 'btdht';
 * const store = new MemoryItemStore({ maxBytes: 1 << 20 });
 * const encoded = new TextEncoder().encode('5:hello');
 * const value = new TextEncoder().encode('hello');
 * store.put({ kind: 'immutable', target: immutableTarget(encoded), value, encoded }, undefined, Date.now()); // { kind: 'stored' }
 */
export class MemoryItemStore implements ItemStore {
  /** Insertion order = last-put order: expiry and eviction pop from the front. */
  readonly #entries = new Map<string, Entry>();
  readonly #maxItems: number;
  readonly #maxBytes: number;
  readonly #expiryMs: number;
  readonly #decode: ((encoded: Uint8Array) => BencodeValue) | undefined;
  #bytes = 0;

  constructor(options: MemoryItemStoreOptions = {}) {
    this.#maxItems = positive('maxItems', options.maxItems ?? MAX_STORED_ITEMS);
    this.#maxBytes = positive('maxBytes', options.maxBytes ?? MAX_STORED_BYTES);
    if (this.#maxBytes < 2 * MAX_VALUE_BYTES) throw new RangeError(`MemoryItemStore: maxBytes must hold at least two items (${2 * MAX_VALUE_BYTES} bytes)`);
    this.#expiryMs = positive('expiryMs', options.expiryMs ?? ITEM_EXPIRY_MS);
    this.#decode = options.decode;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(target: Uint8Array, now: number): Item | undefined {
    this.expire(now);
    const entry = this.#entries.get(bytesKey(target));
    return entry && this.#unpack(entry);
  }

  put(item: Item, cas: bigint | undefined, now: number): PutOutcome {
    this.expire(now);
    const key = bytesKey(item.target);
    const old = this.#entries.get(key);
    const stored = old && this.#unpack(old);
    if (old && stored && item.kind === 'mutable' && stored.kind === 'mutable') {
      // BEP 44: cas is compared with the stored seq; with nothing stored it is ignored.
      if (cas !== undefined && cas !== stored.seq) return refused(ERROR_CAS_MISMATCH, `cas ${cas} does not match the stored seq ${stored.seq}`);
      if (item.seq < stored.seq) return refused(ERROR_SEQ_TOO_LOW, `seq ${item.seq} is lower than the stored seq ${stored.seq}`);
      if (item.seq === stored.seq) {
        if (!bytesEqual(item.encoded, stored.encoded)) return refused(ERROR_SEQ_TOO_LOW, `seq ${item.seq} is not newer than the stored one`);
        this.#touch(old, now);
        return { kind: 'refreshed' };
      }
    } else if (old && item.kind === 'immutable') {
      this.#touch(old, now);
      return { kind: 'refreshed' };
    }
    if (old) this.#remove(old);
    const entry = this.#pack(item, key, now);
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    while (this.#entries.size > this.#maxItems || this.#bytes > this.#maxBytes) this.#remove(this.#entries.values().next().value as Entry);
    return { kind: 'stored' };
  }

  /** Drop items whose last put is older than the expiry. */
  expire(now: number): void {
    for (const entry of this.#entries.values()) {
      if (now - entry.putAt < this.#expiryMs) break;
      this.#remove(entry);
    }
  }

  #pack(item: Item, key: string, now: number): Entry {
    const salt = item.kind === 'mutable' ? item.salt : EMPTY;
    const packed = new Uint8Array(TARGET_BYTES + item.encoded.length + (item.kind === 'mutable' ? PUBLIC_KEY_BYTES + salt.length + SIGNATURE_BYTES : 0));
    packed.set(item.target.subarray(0, TARGET_BYTES), 0);
    packed.set(item.encoded, TARGET_BYTES);
    let at = TARGET_BYTES + item.encoded.length;
    if (item.kind === 'mutable') {
      packed.set(item.publicKey, at);
      packed.set(salt, (at += PUBLIC_KEY_BYTES));
      packed.set(item.signature, at + salt.length);
    }
    return {
      key,
      putAt: now,
      bytes: itemBytes(item),
      kind: item.kind,
      packed,
      encodedLength: item.encoded.length,
      saltLength: salt.length,
      seq: item.kind === 'mutable' ? item.seq : 0n,
      value: this.#decode ? undefined : item.value,
    };
  }

  /** The item of `entry`: views into its buffer, the value decoded now (or as put, without a decoder). */
  #unpack(entry: Entry): Item {
    const { packed, encodedLength } = entry;
    const target = packed.subarray(0, TARGET_BYTES);
    const encoded = packed.subarray(TARGET_BYTES, TARGET_BYTES + encodedLength);
    const value = entry.value ?? this.#decode!(encoded);
    if (entry.kind === 'immutable') return { kind: 'immutable', target, value, encoded };
    const keyAt = TARGET_BYTES + encodedLength;
    const saltAt = keyAt + PUBLIC_KEY_BYTES;
    return {
      kind: 'mutable',
      target,
      value,
      encoded,
      publicKey: packed.subarray(keyAt, saltAt),
      salt: packed.subarray(saltAt, saltAt + entry.saltLength),
      seq: entry.seq,
      signature: packed.subarray(saltAt + entry.saltLength, saltAt + entry.saltLength + SIGNATURE_BYTES),
    };
  }

  /** A re-put: a new life, and to the back of the eviction order. */
  #touch(entry: Entry, now: number): void {
    entry.putAt = now;
    this.#entries.delete(entry.key);
    this.#entries.set(entry.key, entry);
  }

  #remove(entry: Entry): void {
    if (this.#entries.get(entry.key) !== entry) return;
    this.#entries.delete(entry.key);
    this.#bytes -= entry.bytes;
  }
}

const TARGET_BYTES = 20;
const EMPTY = new Uint8Array(0);

function itemBytes(item: Item): number {
  return item.kind === 'immutable' ? item.encoded.length : item.encoded.length + item.publicKey.length + item.signature.length + item.salt.length;
}

function refused(code: number, message: string): PutOutcome {
  return { kind: 'refused', error: [code, message] };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`MemoryItemStore: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}
