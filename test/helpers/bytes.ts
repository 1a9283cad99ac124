/** Byte helpers for the core suites. */
import { toHex } from '../../src/util/hex.ts';

/** A latin1 string as bytes (one byte per char), for writing bencode literals. */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Bytes as a latin1 string, for readable assertions on encoder output. */
export function text(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/**
 * A deep copy with every Uint8Array (or Buffer) replaced by `{ bytes: hex }`, so
 * results from different backends compare with toEqual whatever their array class
 * or backing buffer.
 */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: toHex(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) out[key] = plain(item);
    }
    return out;
  }
  return value;
}

/** A deterministic pseudo-random byte source (xorshift32), for reproducible bulk data. */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}
