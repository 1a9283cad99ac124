/** Small byte helpers for ids, infohashes and compact addresses. */

/** Longest byte string turned into a key in one call (fromCharCode's argument count). */
const KEY_CHUNK = 8_192;

/**
 * A map key for short byte strings (ids, compact addresses): one char per byte.
 * Cheaper than hex and exact, so the hot path never formats hex. Built in one
 * call, so V8 makes one flat string: `key += char` per byte made a chain of 20
 * cons strings per 20-byte key, ~350 B of heap each while a Set held it
 * (npm run bench:sample-walk-footprint: a walk's 1,000,000 seen infohashes).
 */
export function bytesKey(bytes: Uint8Array): string {
  if (bytes.length <= KEY_CHUNK) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let key = '';
  for (let i = 0; i < bytes.length; i += KEY_CHUNK) key += String.fromCharCode.apply(null, bytes.subarray(i, i + KEY_CHUNK) as unknown as number[]);
  return key;
}

/** Bytes of a `bytesKey` string. */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i) & 0xff;
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A string of bytes (latin1: one char code per byte) as bytes, for method names and test fixtures. */
export function latin1(text: string): Uint8Array {
  return keyBytes(text);
}
