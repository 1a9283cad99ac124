/** Info dictionaries built by hand (v1, v2, hybrid) and their infohashes. */
import bencode from 'bencode';
import { createHash, randomBytes } from 'node:crypto';

export interface InfoFixture {
  info: Uint8Array;
  /** 40 hex: SHA-1 for v1 and hybrid, truncated SHA-256 for v2. */
  infohash: string;
  name: string;
  size: number;
  paths: string[];
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

export function sha256TruncatedHex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 40);
}

/** A v1 single-file torrent; `pieces` sets how many piece hashes (so the dictionary's size). */
export function v1Single(name: string, length: number, pieces = Math.max(1, Math.ceil(length / 16384))): InfoFixture {
  const info = bencode.encode({ length, name: enc(name), 'piece length': 16384, pieces: randomBytes(20 * pieces) });
  return { info, infohash: sha1Hex(info), name, size: length, paths: [name] };
}

/** A v1 multi-file torrent with a BEP 47 padding file and UTF-8 path variants. */
export function v1Multi(name: string): InfoFixture {
  const info = bencode.encode({
    name: enc('legacy-name'),
    'name.utf-8': enc(name),
    'piece length': 16384,
    pieces: randomBytes(40),
    files: [
      { length: 1000, path: [enc('docs'), enc('readme.txt')] },
      { length: 15384, path: [enc('.pad'), enc('15384')], attr: enc('p') },
      { length: 5000, path: [enc('x')], 'path.utf-8': [enc('ünïcode'), enc('ß.bin')] },
    ],
  });
  return { info, infohash: sha1Hex(info), name, size: 6000, paths: ['docs/readme.txt', 'ünïcode/ß.bin'] };
}

function fileTree(): Record<string, unknown> {
  return {
    dir: { 'a.txt': { '': { length: 10, 'pieces root': randomBytes(32) } } },
    'b.bin': { '': { length: 0 } },
    'c.bin': { '': { length: 70_000, 'pieces root': randomBytes(32) } },
  };
}

/** A v2-only torrent (BEP 52), named by its truncated SHA-256. */
export function v2Only(name: string): InfoFixture {
  const info = bencode.encode({ 'file tree': fileTree(), 'meta version': 2, name: enc(name), 'piece length': 16384 });
  return { info, infohash: sha256TruncatedHex(info), name, size: 70_010, paths: ['b.bin', 'c.bin', 'dir/a.txt'] };
}

/** A hybrid torrent: v2 tree plus v1 files with padding; announced under its SHA-1. */
export function hybrid(name: string): InfoFixture {
  const info = bencode.encode({
    'file tree': fileTree(),
    'meta version': 2,
    name: enc(name),
    'piece length': 16384,
    pieces: randomBytes(20 * 6),
    files: [
      { length: 0, path: [enc('b.bin')] },
      { length: 70_000, path: [enc('c.bin')] },
      { length: 11_920, path: [enc('.pad'), enc('11920')], attr: enc('p') },
      { length: 10, path: [enc('dir'), enc('a.txt')] },
    ],
  });
  return { info, infohash: sha1Hex(info), name, size: 70_010, paths: ['b.bin', 'c.bin', 'dir/a.txt'] };
}
