/**
 * Real torrents for the crawl demo, made in memory: content from a seeded
 * pseudo-random stream (never stored: the demo seeds metadata only), split
 * into pieces hashed with SHA-1, described by a BEP 3 info dictionary —
 * single files and small folders, a few KiB to about 1.5 MiB. The infohash is
 * the SHA-1 of the bencoded dictionary, as any client would compute it.
 */
import bencode from 'bencode';
import { sha1 } from '@noble/hashes/legacy.js';
import { toHex } from '../../util/hex.ts';
import type { TorrentFile } from '../metadata/types.ts';

export interface DemoTorrent {
  /** 40 lower-case hex digits. */
  infohash: string;
  /** The bencoded info dictionary (what BEP 9 transfers). */
  info: Uint8Array;
  name: string;
  /** Total size in bytes. */
  size: number;
  /** Paths relative to the torrent's root, '/'-joined (a single file: its name). */
  files: TorrentFile[];
}

const KIB = 1024;

/**
 * Torrent number `index` of a demo run; `seed` makes each run's torrents its
 * own (the same seed and index give the same torrent).
 */
export function makeDemoTorrent(index: number, seed: number): DemoTorrent {
  const random = xorshift(seed * 7_919 + index * 104_729 + 1);
  const tag = (random() >>> 0).toString(16).padStart(8, '0').slice(0, 6);
  const name = `btdht-demo-${String(index).padStart(3, '0')}-${tag}`;
  const multi = index % 3 === 2;
  const files: TorrentFile[] = multi
    ? [
        { path: 'README.txt', length: 200 + (random() % 4_000) },
        { path: 'data/part-1.bin', length: 8 * KIB + (random() % (600 * KIB)) },
        { path: 'data/part-2.bin', length: 1 + (random() % (300 * KIB)) },
        { path: 'data/extra/notes.md', length: 50 + (random() % 2_000) },
      ]
    : [{ path: `${name}.bin`, length: 4 * KIB + (random() % (1_500 * KIB)) }];
  const size = files.reduce((sum, f) => sum + f.length, 0);
  const pieceLength = size > 512 * KIB ? 64 * KIB : 16 * KIB;
  const pieces = hashPieces(size, pieceLength, random);
  const dictionary: Record<string, unknown> = {
    name: multi ? name : files[0]!.path,
    'piece length': pieceLength,
    pieces,
  };
  if (multi) dictionary['files'] = files.map((f) => ({ length: f.length, path: f.path.split('/') }));
  else dictionary['length'] = size;
  const info = bencode.encode(dictionary);
  return { infohash: toHex(sha1(info)), info, name: dictionary['name'] as string, size, files };
}

/** SHA-1 of each piece of `size` pseudo-random bytes, concatenated (BEP 3 `pieces`). */
function hashPieces(size: number, pieceLength: number, random: () => number): Uint8Array {
  const count = Math.ceil(size / pieceLength);
  const out = new Uint8Array(count * 20);
  const piece = new Uint8Array(pieceLength);
  const words = new Uint32Array(piece.buffer);
  for (let i = 0; i < count; i++) {
    for (let w = 0; w < words.length; w++) words[w] = random();
    const length = Math.min(pieceLength, size - i * pieceLength);
    out.set(sha1(piece.subarray(0, length)), i * 20);
  }
  return out;
}

/** xorshift32: cheap, seeded, good enough for filler bytes and sizes. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
