/** SHA-1 (FIPS 180-4), from @noble/hashes: audited, dependency-free. */
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';

/** The 20-byte SHA-1 digest of `bytes`. */
export function sha1(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('sha1 expects a Uint8Array');
  return nobleSha1(bytes);
}
