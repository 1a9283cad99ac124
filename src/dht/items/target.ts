/**
 * Where BEP 44 items live in the keyspace:
 * - immutable: SHA-1 of the bencoded value;
 * - mutable: SHA-1 of the public key followed by the salt (if any).
 */
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';

export type Sha1 = (bytes: Uint8Array) => Uint8Array;

const defaultSha1: Sha1 = (bytes) => nobleSha1(bytes);

/**
 * Target of an immutable item: SHA-1 of `encoded`, the value's bencoded bytes.
 * @example
 * import { DHT, immutableTarget } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const { target } = await dht.putImmutable('hello');
 * // the same 20 bytes: SHA-1 of the bencoded value
 * immutableTarget(new TextEncoder().encode('5:hello'));
 */
export function immutableTarget(encoded: Uint8Array, sha1: Sha1 = defaultSha1): Uint8Array {
  return sha1(encoded).slice();
}

/**
 * Target of a mutable item: SHA-1(public key ‖ salt); an empty salt is no salt.
 * @example
 * import { generateKeypair, mutableTarget, toHex } from 'btdht';
 * const { publicKey } = generateKeypair();
 * // Where putMutable({ keypair, value, salt: 'profile' }) stores the item, and get({ publicKey, salt: 'profile' }) finds it.
 * const target = mutableTarget(publicKey, new TextEncoder().encode('profile'));
 * toHex(target);
 */
export function mutableTarget(publicKey: Uint8Array, salt: Uint8Array = new Uint8Array(0), sha1: Sha1 = defaultSha1): Uint8Array {
  const input = new Uint8Array(publicKey.length + salt.length);
  input.set(publicKey, 0);
  input.set(salt, publicKey.length);
  return sha1(input).slice();
}
