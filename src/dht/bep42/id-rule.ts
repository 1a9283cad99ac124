/**
 * BEP 42, the id rule: node ids tied to the node's external IP. The first 21
 * bits of a compliant id equal the top 21 bits of CRC32C(masked IP | r), where
 * r is the low 3 bits of the id's last byte. Pure functions; the CRC32C comes
 * from the core so both backends are exercised.
 */
import { encodeCompactAddress } from '../../krpc/compact.ts';

export type Crc32c = (bytes: Uint8Array) => number;

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff];
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

/**
 * The 21-bit prefix BEP 42 assigns to `ip` (4 or 16 bytes, network order) and
 * `rand` (only its low 3 bits count), as a number in [0, 2^21).
 *
 * @example
 * bep42Prefix(Uint8Array.of(124, 31, 75, 21), 1, core.crc32c) === 0x5fbfbf >>> 3
 */
export function bep42Prefix(ip: Uint8Array, rand: number, crc32c: Crc32c): number {
  const mask = ip.length === 4 ? V4_MASK : ip.length === 16 ? V6_MASK : undefined;
  if (!mask) throw new RangeError(`BEP 42 needs a 4- or 16-byte IP, got ${ip.length} bytes`);
  const masked = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) masked[i] = ip[i]! & mask[i]!;
  masked[0] = masked[0]! | ((rand & 7) << 5);
  return crc32c(masked) >>> 11;
}

/** The first 21 bits of a 20-byte id. */
function idPrefix(id: Uint8Array): number {
  return (id[0]! << 13) | (id[1]! << 5) | (id[2]! >>> 3);
}

/** Does `id` carry the BEP 42 prefix for `ip` (with r taken from its last byte)? */
export function isBep42Compliant(id: Uint8Array, ip: Uint8Array, crc32c: Crc32c): boolean {
  if (id.length !== 20) return false;
  return idPrefix(id) === bep42Prefix(ip, id[19]!, crc32c);
}

/**
 * A compliant id for `ip` built from 20 random bytes: byte 19 supplies r, bytes
 * 3–18 and the low 3 bits of byte 2 stay random.
 */
export function bep42NodeId(ip: Uint8Array, random: Uint8Array, crc32c: Crc32c): Uint8Array {
  if (random.length !== 20) throw new RangeError('BEP 42 node id needs 20 random bytes');
  const id = random.slice();
  const prefix = bep42Prefix(ip, id[19]!, crc32c);
  id[0] = prefix >>> 13;
  id[1] = (prefix >>> 5) & 0xff;
  id[2] = ((prefix << 3) & 0xf8) | (id[2]! & 0x07);
  return id;
}

/**
 * Addresses BEP 42 exempts from the check (local networks): 10/8, 172.16/12,
 * 192.168/16, 169.254/16, 127/8; for IPv6 by analogy ::1, fe80::/10 and fc00::/7.
 */
export function isBep42Exempt(ip: Uint8Array): boolean {
  if (ip.length === 4) {
    const [a, b] = [ip[0]!, ip[1]!];
    return a === 10 || a === 127 || (a === 172 && (b & 0xf0) === 16) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (ip.length === 16) {
    if ((ip[0]! & 0xfe) === 0xfc) return true;
    if (ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80) return true;
    for (let i = 0; i < 15; i++) if (ip[i] !== 0) return false;
    return ip[15] === 1;
  }
  return false;
}

/** The IP bytes (4 or 16) of a numeric host, or undefined. */
export function ipBytes(host: string): Uint8Array | undefined {
  const compact = encodeCompactAddress(host, 0);
  return compact?.subarray(0, compact.length - 2);
}

/** Is `id` BEP 42-compliant for `host`, or is `host` a local address (exempt)? A host that is not an IP literal is not. */
export function complies(id: Uint8Array, host: string, crc32c: Crc32c): boolean {
  const ip = ipBytes(host);
  if (!ip) return false;
  return compliesIp(id, ip, crc32c);
}

/** `complies` for an IP already in bytes (4 or 16, e.g. a compact address's first bytes): no text to parse. */
export function compliesIp(id: Uint8Array, ip: Uint8Array, crc32c: Crc32c): boolean {
  if (ip.length !== 4 && ip.length !== 16) return false;
  return isBep42Exempt(ip) || isBep42Compliant(id, ip, crc32c);
}
