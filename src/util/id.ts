/** Node ids and infohashes: 20 bytes, given as bytes or 40 hex chars. */
import { fromHex } from './hex.ts';
import type { RandomSource } from '../ground/random.ts';

/**
 * A 20-byte id from a Uint8Array(20) or a 40-char hex string. Throws TypeError
 * naming `what` and what was wrong otherwise. Returns a copy.
 */
export function toId(value: unknown, what = 'infohash'): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.length !== 20) throw new TypeError(`${what} must be 20 bytes, got ${value.length} bytes`);
    return value.slice();
  }
  if (typeof value === 'string') {
    if (!/^[0-9a-fA-F]{40}$/.test(value)) {
      throw new TypeError(`${what} must be 40 hex characters, got ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`);
    }
    return fromHex(value);
  }
  throw new TypeError(`${what} must be a 20-byte Uint8Array or a 40-char hex string, got ${value === null ? 'null' : typeof value}`);
}

/** A random 20-byte id. */
export function randomId(random: RandomSource): Uint8Array {
  const id = new Uint8Array(20);
  random(id);
  return id;
}

/**
 * A random id sharing the first `prefixLength` bits of `prefix` (for a bucket
 * refresh: "a random ID in the range of the bucket", BEP 5).
 */
export function randomIdInPrefix(prefix: Uint8Array, prefixLength: number, random: RandomSource): Uint8Array {
  const id = randomId(random);
  const whole = prefixLength >> 3;
  for (let i = 0; i < whole; i++) id[i] = prefix[i]!;
  const bits = prefixLength & 7;
  if (bits > 0) {
    const mask = (0xff << (8 - bits)) & 0xff;
    id[whole] = (prefix[whole]! & mask) | (id[whole]! & ~mask & 0xff);
  }
  return id;
}
