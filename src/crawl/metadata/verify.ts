/**
 * Is this info dictionary the one the infohash names? v1 and hybrid torrents
 * are named by SHA-1 of the info dictionary; a v2 torrent (BEP 52) announced
 * on the DHT is named by its SHA-256 truncated to 20 bytes. @noble/hashes is
 * synchronous and runtime-neutral; measured here it costs less per torrent
 * than WebCrypto's digest, whose promise machinery dominates for dictionaries
 * of a few KB (bench/metadata.ts).
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';

export type VerifiedBy = 'sha1' | 'sha256';

/** Which hash of `info` equals `infohash` (20 bytes), or undefined for neither. */
export function verifyInfo(infohash: Uint8Array, info: Uint8Array): VerifiedBy | undefined {
  if (infohash.length !== 20) return undefined;
  if (prefixEquals(sha1(info), infohash)) return 'sha1';
  // Only a v2 dictionary can match the SHA-256 form: skip the second hash otherwise.
  if (!mentionsMetaVersion(info)) return undefined;
  if (prefixEquals(sha256(info), infohash)) return 'sha256';
  return undefined;
}

function prefixEquals(hash: Uint8Array, infohash: Uint8Array): boolean {
  for (let i = 0; i < infohash.length; i++) if (hash[i] !== infohash[i]) return false;
  return true;
}

/** `12:meta version` appears in the bytes: a cheap test before a second hash. */
const META_VERSION_KEY = new TextEncoder().encode('12:meta version');

function mentionsMetaVersion(info: Uint8Array): boolean {
  const first = META_VERSION_KEY[0]!;
  const last = info.length - META_VERSION_KEY.length;
  outer: for (let i = info.indexOf(first); i !== -1 && i <= last; i = info.indexOf(first, i + 1)) {
    for (let j = 1; j < META_VERSION_KEY.length; j++) if (info[i + j] !== META_VERSION_KEY[j]) continue outer;
    return true;
  }
  return false;
}
