/** Bencoded values: the types every layer reads and writes, and why a decode fails. */

/**
 * Bencoded values as the core hands them out.
 *
 * Byte strings are `Uint8Array` (never JS strings: infohashes, tokens and compact
 * node info are binary). Integers are `number` when they fit a safe integer and
 * `bigint` beyond 2^53. Dictionary keys are JS strings holding one byte per
 * char code (latin1), so any key bytes round-trip; they are sorted on encode.
 */
export type BencodeValue = Uint8Array | number | bigint | BencodeList | BencodeDict;
export type BencodeList = BencodeValue[];
export interface BencodeDict {
  [key: string]: BencodeValue;
}

/**
 * What `encode` accepts: decoded values, plus JS strings (encoded as UTF-8) for
 * convenience. Anything else (booleans, floats, null) is rejected with a TypeError.
 */
export type BencodeInput =
  | BencodeValue
  | string
  | readonly BencodeInput[]
  | { readonly [key: string]: BencodeInput | undefined };

/** Why a byte string is not valid (canonical) bencode. */
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

