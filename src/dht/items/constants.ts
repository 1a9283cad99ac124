/**
 * BEP 44 numbers, each with where it comes from. (Kept beside the module until
 * the node's constants.ts takes them in.)
 */

/** Storing nodes may refuse a `v` whose bencoded form is longer (BEP 44: "longer than 1000 bytes"). */
export const MAX_VALUE_BYTES = 1000;
/** "The salt string MUST NOT be longer than 64 bytes" (BEP 44). */
export const MAX_SALT_BYTES = 64;
/** ed25519 public key and signature sizes (BEP 44 `k`, `sig`). */
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const SEED_BYTES = 32;
/** "The sequence number SHOULD not exceed MAX_INT64" (BEP 44); we refuse above it, and below 0. */
export const MAX_SEQ = 0x7fff_ffff_ffff_ffffn;

/** "Without re-announcement, these items MAY expire in 2 hours" (BEP 44). */
export const ITEM_EXPIRY_MS = 2 * 60 * 60_000;
/** "They SHOULD be re-announced once an hour" (BEP 44). */
export const REPUBLISH_INTERVAL_MS = 60 * 60_000;
/** Republishing may be skipped when more than this many copies were seen, the nearest this many all holding it (BEP 44 "Expiration"). */
export const REPUBLISH_COPIES = 8;

/** Items a node stores at most, and their bencoded bytes at most (memory bound against put floods). */
export const MAX_STORED_ITEMS = 5_000;
export const MAX_STORED_BYTES = 4 * 1024 * 1024;
/** put queries handled per second at most: each costs a signature check (~1 ms); beyond, dropped. */
export const MAX_PUTS_PER_SECOND = 200;
/** Own items the republisher keeps at most. */
export const MAX_REPUBLISHED_ITEMS = 1_000;

/** BEP 44 error codes (in addition to BEP 5's 201–204). */
export const ERROR_VALUE_TOO_BIG = 205;
export const ERROR_BAD_SIGNATURE = 206;
export const ERROR_SALT_TOO_BIG = 207;
export const ERROR_CAS_MISMATCH = 301;
export const ERROR_SEQ_TOO_LOW = 302;
/** BEP 5 protocol error, for malformed arguments and bad tokens. */
export const ERROR_PROTOCOL = 203;
