/** Hex helpers for ids, infohashes and test vectors. */

const HEX_DIGITS = '0123456789abcdef';

/**
 * Lower-case hex of `bytes`.
 * @example
 * import { toHex } from 'btdht';
 * toHex(new Uint8Array([0xde, 0xad])); // 'dead'
 */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  }
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87; // a-f, A-F
  return -1;
}

/**
 * Bytes of a hex string (either case). Throws TypeError on odd length or a non-hex char.
 * @example
 * import { fromHex } from 'btdht';
 * fromHex('e3811b9539cacff680e418124272177c47477157'); // 20 bytes
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new TypeError(`hex string of odd length ${hex.length}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(2 * i));
    const lo = nibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new TypeError(`not a hex string: ${JSON.stringify(hex)}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}
