/**
 * The hashes a torrent is known by. A v1 torrent has one (SHA-1 of its info
 * dictionary); a v2 torrent (BEP 52) is named by the SHA-256 of it, which the
 * DHT carries truncated to 20 bytes; a hybrid has both, and is stored once,
 * under its v1 hash, whichever of the two it was found by.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../../util/hex.ts';

const HEX40 = /^[0-9a-f]{40}$/;
const HEX64 = /^[0-9a-f]{64}$/;

export interface TorrentKeys {
  /** The row's key: the v1 hash, else the truncated v2 hash (40 hex). */
  infohash: string;
  /** The full v2 hash (64 hex), for v2 and hybrid torrents. */
  infohashV2?: string;
}

/**
 * The keys of a verified info dictionary of this version (as parseInfo reports it).
 * `verified`: the infohash it was verified against by SHA-1 (the fetcher's check),
 * so the SHA-1 need not be computed again.
 */
export function torrentKeys(info: Uint8Array, version: 1 | 2 | 'hybrid', verified?: { infohash: string; by: 'sha1' | 'sha256' }): TorrentKeys {
  const v1 = (): string => (verified?.by === 'sha1' ? verified.infohash : toHex(sha1(info)));
  if (version === 1) return { infohash: v1() };
  const v2 = toHex(sha256(info));
  return { infohash: version === 'hybrid' ? v1() : v2.slice(0, 40), infohashV2: v2 };
}

/** Every 40-hex infohash the DHT may carry for these keys: the row key, and the truncated v2 hash if it differs. */
export function dhtKeys(keys: TorrentKeys): string[] {
  const v2 = keys.infohashV2?.slice(0, 40);
  return v2 === undefined || v2 === keys.infohash ? [keys.infohash] : [keys.infohash, v2];
}

/** Throws TypeError unless `hash` is 64 lower-case hex digits: a caller's bug. */
export function checkInfohashV2(hash: string): void {
  if (!HEX64.test(hash)) throw new TypeError(`not a lower-case hex v2 infohash (64 digits): ${JSON.stringify(hash)}`);
}

/** A hash a reader may look a torrent up by: 40 hex (v1 or truncated v2) or 64 hex (v2), any case; else undefined. */
export function lookupHash(text: string): { short: string; full?: string } | undefined {
  const hash = text.trim().toLowerCase();
  if (HEX40.test(hash)) return { short: hash };
  if (HEX64.test(hash)) return { short: hash.slice(0, 40), full: hash };
  return undefined;
}
