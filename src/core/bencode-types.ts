/**
 * The strict bencode decoder's limits and its error (the value types live in
 * src/ground/bencode.ts, shared with every layer).
 */
import type { DecodeErrorCode } from '../ground/bencode.ts';

/** Nesting cap: deeper input is rejected with 'too-deep' (DHT messages nest 3 levels). */
export const MAX_DEPTH = 64;
/** Cap on decoded values in one input, so a 64 KiB datagram cannot make a huge tree. */
export const MAX_ITEMS = 65536;
/** Integers longer than this many digits (sign excluded) are rejected. */
export const MAX_INTEGER_DIGITS = 64;

/** A strict-decoding failure: what went wrong and the byte offset where. */
export class BencodeError extends Error {
  override readonly name = 'BencodeError';
  constructor(
    readonly code: DecodeErrorCode,
    readonly offset: number,
  ) {
    super(`invalid bencode at byte ${offset}: ${code}`);
  }
}
