/**
 * The strict bencode decoder's limits and its error (the value types live in
 * src/ground/bencode.ts, shared with every layer).
 */
import type { DecodeErrorCode } from '../ground/bencode.ts';

/**
 * Nesting cap: deeper input is rejected with 'too-deep' (DHT messages nest 3 levels).
 * @example
 * import { MAX_DEPTH, loadCore } from 'btdht/core';
 * const core = await loadCore();
 * const deep = 'l'.repeat(MAX_DEPTH + 1) + 'e'.repeat(MAX_DEPTH + 1);
 * core.decode(new TextEncoder().encode(deep)); // throws BencodeError 'too-deep'
 */
export const MAX_DEPTH = 64;
/**
 * Cap on decoded values in one input, so a 64 KiB datagram cannot make a huge tree.
 * @example
 * import { MAX_ITEMS, loadCore } from 'btdht/core';
 * const core = await loadCore();
 * const many = `l${'i0e'.repeat(MAX_ITEMS)}e`;
 * core.decode(new TextEncoder().encode(many)); // throws BencodeError 'too-many-items'
 */
export const MAX_ITEMS = 65536;
/**
 * Integers longer than this many digits (sign excluded) are rejected.
 * @example
 * import { MAX_INTEGER_DIGITS, loadCore } from 'btdht/core';
 * const core = await loadCore();
 * core.decode(new TextEncoder().encode(`i${'9'.repeat(MAX_INTEGER_DIGITS + 1)}e`)); // throws BencodeError 'number-too-long'
 */
export const MAX_INTEGER_DIGITS = 64;

/**
 * A strict-decoding failure: what went wrong and the byte offset where.
 * @example
 * import { BencodeError, loadCore } from 'btdht/core';
 * const core = await loadCore();
 * try {
 *   core.decode(new TextEncoder().encode('d1:bi1e1:ai2ee'));
 * } catch (error) {
 *   if (error instanceof BencodeError) console.log(error.code, 'at byte', error.offset); // unsorted-keys
 * }
 */
export class BencodeError extends Error {
  override readonly name = 'BencodeError';
  constructor(
    readonly code: DecodeErrorCode,
    readonly offset: number,
  ) {
    super(`invalid bencode at byte ${offset}: ${code}`);
  }
}
