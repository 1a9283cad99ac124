/**
 * BEP 44 signatures: ed25519 (via @noble/ed25519) over the exact bytes
 *
 *   [4:salt<len>:<salt>] 3:seqi<seq>e 1:v <bencoded value>
 *
 * built by concatenation, never by bencoding a dict, so a lenient parser
 * cannot be talked into a different reading (BEP 44 "Signature Verification").
 * The salt part is there only for a non-empty salt.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './constants.ts';
import { concatBytes } from '@noble/hashes/utils.js';

// noble's synchronous API needs a SHA-512; keep one the embedder may have set.
ed.hashes.sha512 ??= (message) => sha512(message);

const ASCII = new TextEncoder();

/** The buffer a mutable item's signature covers. */
export function signatureBuffer(seq: bigint, encodedValue: Uint8Array, salt?: Uint8Array): Uint8Array {
  const head = ASCII.encode(`${salt && salt.length > 0 ? `4:salt${salt.length}:` : ''}`);
  const middle = ASCII.encode(`3:seqi${seq.toString()}e1:v`);
  const saltLength = salt && salt.length > 0 ? salt.length : 0;
  const out = new Uint8Array(head.length + saltLength + middle.length + encodedValue.length);
  let offset = 0;
  out.set(head, offset);
  offset += head.length;
  if (saltLength > 0) out.set(salt!, offset);
  offset += saltLength;
  out.set(middle, offset);
  offset += middle.length;
  out.set(encodedValue, offset);
  return out;
}

/** Sign `message` with a 32-byte ed25519 seed (RFC 8032 secret key). */
export function signWithSeed(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

/**
 * Sign with a 64-byte expanded secret key (clamped scalar ‖ prefix), the form
 * libsodium-era tools and BEP 44's test vectors print. RFC 8032 5.1.6 with the
 * hashing done by the caller's key instead of SHA-512(seed).
 */
export function signWithExpandedKey(message: Uint8Array, expanded: Uint8Array): Uint8Array {
  if (expanded.length !== 64) throw new RangeError(`an expanded ed25519 secret key is 64 bytes, got ${expanded.length}`);
  const L = ed.Point.CURVE().n;
  const scalar = littleEndian(expanded.subarray(0, 32)) % L;
  const publicKey = ed.Point.BASE.multiply(scalar).toBytes();
  const r = littleEndian(sha512(concatBytes(expanded.subarray(32, 64), message))) % L;
  const R = ed.Point.BASE.multiply(r).toBytes(); // r = 0 (odds 2^-252) throws
  const k = littleEndian(sha512(concatBytes(R, publicKey, message))) % L;
  const S = (r + k * scalar) % L;
  const signature = new Uint8Array(SIGNATURE_BYTES);
  signature.set(R, 0);
  for (let i = 0, s = S; i < 32; i++, s >>= 8n) signature[32 + i] = Number(s & 0xffn);
  return signature;
}

/** The public key of a 64-byte expanded secret key. */
export function expandedKeyPublic(expanded: Uint8Array): Uint8Array {
  const L = ed.Point.CURVE().n;
  return ed.Point.BASE.multiply(littleEndian(expanded.subarray(0, 32)) % L).toBytes();
}

/** The public key of a 32-byte seed. */
export function seedPublic(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed);
}

/**
 * Does `signature` sign `message` under `publicKey`? RFC 8032 strict checks
 * (no ZIP 215 leniency: what libsodium refuses, we refuse). Never throws.
 */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false; // a key that is not a curve point, a non-canonical S, ...
  }
}

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

