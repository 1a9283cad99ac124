/**
 * BEP 33's bloom filter of IP addresses: 256 bytes (m = 2048 bits), k = 2.
 * An IP (4 or 16 bytes, never a port) sets the bits at the first two
 * little-endian 16-bit words of its SHA-1, each taken mod 2048. The union of
 * filters is their OR; the size estimate is
 *
 *   c = min(m - 1, zero bits);  size = ln(c / m) / (k · ln(1 - 1/m))
 */
import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';

export const BLOOM_BYTES = 256;
const M = BLOOM_BYTES * 8;
const K = 2;

export type Sha1 = (bytes: Uint8Array) => Uint8Array;
const defaultSha1: Sha1 = (bytes) => nobleSha1(bytes);

/** An empty filter. */
export function createBloom(): Uint8Array {
  return new Uint8Array(BLOOM_BYTES);
}

/** The two bit indices of an IP (compute once, set many times). */
export function bloomBits(ip: Uint8Array, sha1: Sha1 = defaultSha1): readonly [number, number] {
  const hash = sha1(ip);
  return [(hash[0]! | (hash[1]! << 8)) % M, (hash[2]! | (hash[3]! << 8)) % M];
}

export function setBloomBits(bloom: Uint8Array, bits: readonly [number, number]): void {
  bloom[bits[0] >> 3]! |= 1 << (bits[0] & 7);
  bloom[bits[1] >> 3]! |= 1 << (bits[1] & 7);
}

/** Insert an IP address (4 or 16 bytes). */
export function bloomInsert(bloom: Uint8Array, ip: Uint8Array, sha1: Sha1 = defaultSha1): void {
  setBloomBits(bloom, bloomBits(ip, sha1));
}

/** Might the filter hold `ip`? (Bloom filters have false positives, never false negatives.) */
export function bloomHas(bloom: Uint8Array, ip: Uint8Array, sha1: Sha1 = defaultSha1): boolean {
  const [a, b] = bloomBits(ip, sha1);
  return (bloom[a >> 3]! & (1 << (a & 7))) !== 0 && (bloom[b >> 3]! & (1 << (b & 7))) !== 0;
}

/** OR `other` into `into`. */
export function bloomUnion(into: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < BLOOM_BYTES; i++) into[i]! |= other[i]!;
}

/** Zero bits of a filter. */
export function zeroBits(bloom: Uint8Array): number {
  let ones = 0;
  for (let i = 0; i < BLOOM_BYTES; i++) {
    let byte = bloom[i]!;
    while (byte) {
      byte &= byte - 1;
      ones++;
    }
  }
  return M - ones;
}

/**
 * The BEP's estimate of how many IPs a filter holds. A full filter (no zero
 * bit) would be ln(0): it is read as one zero bit, the largest finite answer
 * (~7800; the BEP notes estimates break down near 8000 anyway).
 */
export function bloomEstimate(bloom: Uint8Array): number {
  const c = Math.max(1, Math.min(M - 1, zeroBits(bloom)));
  return Math.log(c / M) / (K * Math.log(1 - 1 / M));
}
