/** Bencoded values: the types every layer reads and writes, and why a decode fails. */

/**
 * Bencoded values as the core hands them out.
 *
 * Byte strings are `Uint8Array` (never JS strings: infohashes, tokens and compact
 * node info are binary). Integers are `number` when they fit a safe integer and
 * `bigint` beyond 2^53. Dictionary keys are JS strings holding one byte per
 * char code (latin1), so any key bytes round-trip; they are sorted on encode.
 * @example
 * import { loadCore, type BencodeValue } from 'btdht/core';
 * const core = await loadCore();
 * const value: BencodeValue = core.decode(new TextEncoder().encode('d3:cow3:mooe'));
 * if (value instanceof Uint8Array || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('not a dict');
 * value['cow']; // Uint8Array of 'moo' (byte strings stay bytes)
 */
export type BencodeValue = Uint8Array | number | bigint | BencodeList | BencodeDict;
/**
 * @example
 * import { loadCore, type BencodeList } from 'btdht/core';
 * const core = await loadCore();
 * const list: BencodeList = [1, 2n ** 60n, new Uint8Array([0x61]), [], {}];
 * core.encode(list); // li1ei1152921504606846976e1:aledee
 */
export type BencodeList = BencodeValue[];
/**
 * @example
 * import { loadCore, type BencodeDict } from 'btdht/core';
 * const core = await loadCore();
 * const dict: BencodeDict = { name: new TextEncoder().encode('spam'), size: 4 };
 * core.encode(dict); // d4:name4:spam4:sizei4ee
 */
export interface BencodeDict {
  [key: string]: BencodeValue;
}

/**
 * What `encode` accepts: decoded values, plus JS strings (encoded as UTF-8) for
 * convenience. Anything else (booleans, floats, null) is rejected with a TypeError.
 * @example
 * import { loadCore, type BencodeInput } from 'btdht/core';
 * const core = await loadCore();
 * const input: BencodeInput = { name: 'spam', tags: ['a', 'b'], big: 2n ** 64n }; // strings go out as UTF-8
 * core.encode(input);
 */
export type BencodeInput =
  | BencodeValue
  | string
  | readonly BencodeInput[]
  | { readonly [key: string]: BencodeInput | undefined };

/**
 * Why a byte string is not valid (canonical) bencode.
 * @example
 * import { BencodeError, loadCore, type DecodeErrorCode } from 'btdht/core';
 * const core = await loadCore();
 * try {
 *   core.decode(new TextEncoder().encode('i03e'));
 * } catch (error) {
 *   if (!(error instanceof BencodeError)) throw error;
 *   const code: DecodeErrorCode = error.code; // 'leading-zero'
 * }
 */
export type DecodeErrorCode =
  | 'unexpected-end' // input ended inside a value
  | 'invalid-byte' // a byte that cannot start or continue a value here
  | 'leading-zero' // i03e, 03:abc
  | 'negative-zero' // i-0e
  | 'empty-integer' // ie, i-e
  | 'length-exceeds-buffer' // 9:abc (declared length past the end)
  | 'too-deep' // nesting deeper than MAX_DEPTH
  | 'unsorted-keys' // dictionary keys not in strictly ascending byte order
  | 'duplicate-key'
  | 'trailing-bytes' // bytes after the top-level value
  | 'number-too-long' // an integer or string length with too many digits
  | 'too-many-items'; // more values than MAX_ITEMS

