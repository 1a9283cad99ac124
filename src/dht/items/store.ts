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
import { ERROR_CAS_MISMATCH, ERROR_SEQ_TOO_LOW, ITEM_EXPIRY_MS, MAX_STORED_BYTES, MAX_STORED_ITEMS, MAX_VALUE_BYTES } from './constants.ts';
import type { Item, ItemError } from './item.ts';
import { bytesEqual } from '../../util/bytes.ts';

/** What a put did: stored (new or newer), refreshed (the same item again), or refused with a BEP 44 error. */
export type PutOutcome = { kind: 'stored' } | { kind: 'refreshed' } | { kind: 'refused'; error: ItemError };

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
}

interface Entry {
  item: Item;
  key: string;
  putAt: number;
  bytes: number;
}

export class MemoryItemStore implements ItemStore {
  /** Insertion order = last-put order: expiry and eviction pop from the front. */
  readonly #entries = new Map<string, Entry>();
  readonly #maxItems: number;
  readonly #maxBytes: number;
  readonly #expiryMs: number;
  #bytes = 0;

  constructor(options: MemoryItemStoreOptions = {}) {
    this.#maxItems = positive('maxItems', options.maxItems ?? MAX_STORED_ITEMS);
    this.#maxBytes = positive('maxBytes', options.maxBytes ?? MAX_STORED_BYTES);
    if (this.#maxBytes < 2 * MAX_VALUE_BYTES) throw new RangeError(`MemoryItemStore: maxBytes must hold at least two items (${2 * MAX_VALUE_BYTES} bytes)`);
    this.#expiryMs = positive('expiryMs', options.expiryMs ?? ITEM_EXPIRY_MS);
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(target: Uint8Array, now: number): Item | undefined {
    this.expire(now);
    return this.#entries.get(bytesKey(target))?.item;
  }

  put(item: Item, cas: bigint | undefined, now: number): PutOutcome {
    this.expire(now);
    const key = bytesKey(item.target);
    const old = this.#entries.get(key);
    if (old && item.kind === 'mutable' && old.item.kind === 'mutable') {
      const stored = old.item;
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
    const entry: Entry = { item, key, putAt: now, bytes: itemBytes(item) };
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
