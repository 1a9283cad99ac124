/** Small byte helpers for ids, infohashes and compact addresses. */

/**
 * A map key for short byte strings (ids, compact addresses): one char per byte.
 * Cheaper than hex and exact, so the hot path never formats hex.
 */
export function bytesKey(bytes: Uint8Array): string {
  let key = '';
  for (let i = 0; i < bytes.length; i++) key += String.fromCharCode(bytes[i]!);
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
