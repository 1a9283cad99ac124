/** The in-memory BEP 44 item store: caps in count and bytes, oldest put evicted first, expiry, seq rules. */
import { describe, expect, it } from 'vitest';
import { MemoryItemStore } from '../../src/dht/items/index.ts';
import type { ImmutableItem, MutableItem, PutOutcome } from '../../src/dht/items/index.ts';

function immutable(n: number, size = 10): ImmutableItem {
  const target = new Uint8Array(20);
  target[0] = n >> 8;
  target[1] = n & 0xff;
  return { kind: 'immutable', target, value: new Uint8Array(size), encoded: new Uint8Array(size) };
}

function mutable(seq: bigint, byte: number): MutableItem {
  return {
    kind: 'mutable',
    target: new Uint8Array(20).fill(0xee),
    value: new Uint8Array([byte]),
    encoded: new Uint8Array([0x31, 0x3a, byte]),
    publicKey: new Uint8Array(32),
    salt: new Uint8Array(0),
    seq,
    signature: new Uint8Array(64),
  };
}

describe('MemoryItemStore', () => {
  it('keeps at most maxItems, evicting the oldest put first; a re-put makes an item young again', () => {
    const store = new MemoryItemStore({ maxItems: 3 });
    for (let i = 0; i < 3; i++) expect(store.put(immutable(i), undefined, i).kind).toBe('stored');
    expect(store.put(immutable(0), undefined, 10).kind).toBe('refreshed');
    store.put(immutable(3), undefined, 11);
    expect(store.size).toBe(3);
    expect(store.get(immutable(1).target, 12)).toBeUndefined(); // the oldest put
    expect(store.get(immutable(0).target, 12)).toBeDefined();
    expect(store.get(immutable(2).target, 12)).toBeDefined();
  });

  it('keeps at most maxBytes', () => {
    const store = new MemoryItemStore({ maxBytes: 2_500 });
    for (let i = 0; i < 5; i++) store.put(immutable(i, 1_000), undefined, i);
    expect(store.bytes).toBeLessThanOrEqual(2_500);
    expect(store.size).toBe(2);
    expect(store.get(immutable(4).target, 5)).toBeDefined();
    expect(store.get(immutable(0).target, 5)).toBeUndefined();
  });

  it('expires items expiryMs after their last put, and frees their bytes', () => {
    const store = new MemoryItemStore({ expiryMs: 100 });
    store.put(immutable(1), undefined, 0);
    store.put(immutable(2), undefined, 50);
    expect(store.get(immutable(1).target, 99)).toBeDefined();
    expect(store.get(immutable(1).target, 100)).toBeUndefined();
    expect(store.get(immutable(2).target, 100)).toBeDefined();
    store.expire(150);
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  const code = (outcome: PutOutcome): number | undefined => (outcome.kind === 'refused' ? outcome.error[0] : undefined);

  it('mutable items: newer seq replaces, older is 302, cas mismatch is 301', () => {
    const store = new MemoryItemStore();
    expect(store.put(mutable(2n, 1), undefined, 0).kind).toBe('stored');
    expect(code(store.put(mutable(1n, 1), undefined, 0))).toBe(302);
    expect(code(store.put(mutable(2n, 2), undefined, 0))).toBe(302);
    expect(store.put(mutable(2n, 1), undefined, 0).kind).toBe('refreshed');
    expect(code(store.put(mutable(3n, 3), 1n, 0))).toBe(301);
    expect(store.put(mutable(3n, 3), 2n, 0).kind).toBe('stored');
    expect((store.get(mutable(0n, 0).target, 0) as MutableItem).seq).toBe(3n);
    expect(store.size).toBe(1);
  });

  it('refuses caps that could not hold an item', () => {
    expect(() => new MemoryItemStore({ maxBytes: 1_000 })).toThrow(RangeError);
    expect(() => new MemoryItemStore({ maxItems: 0 })).toThrow(RangeError);
  });

  it('with a decoder, keeps an item as its bytes (a copy) and decodes the value when it is read', () => {
    const decoded: Uint8Array[] = [];
    const store = new MemoryItemStore({
      decode: (bytes) => {
        decoded.push(bytes.slice());
        return [bytes.length];
      },
    });
    const put = mutable(5n, 7);
    expect(store.put(put, undefined, 0).kind).toBe('stored');
    expect(decoded).toHaveLength(0);
    // What the caller keeps is not what the store holds.
    put.encoded[2] = 9;
    put.publicKey.fill(1);
    put.signature.fill(2);
    const got = store.get(put.target, 0) as MutableItem;
    expect(Array.from(got.encoded)).toEqual([0x31, 0x3a, 7]);
    expect(got.value).toEqual([3]);
    expect(decoded.map((bytes) => Array.from(bytes))).toEqual([[0x31, 0x3a, 7]]);
    expect(got.publicKey).toEqual(new Uint8Array(32));
    expect(got.signature).toEqual(new Uint8Array(64));
    expect(got.seq).toBe(5n);
    expect(got.salt).toHaveLength(0);
  });
});
