import bencode from 'bencode';
import { describe, expect, it } from 'vitest';
import { parseInfo, verifyInfo } from '../../src/crawl/metadata/index.ts';
import { fromHex } from '../../src/util/hex.ts';
import { hybrid, sha1Hex, v1Multi, v1Single, v2Only } from './helpers/info-fixtures.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('parseInfo', () => {
  it('reads a v1 single-file torrent', () => {
    const f = v1Single('movie.mkv', 123_456);
    expect(parseInfo(f.info)).toMatchObject({ name: 'movie.mkv', totalSize: 123_456, files: [{ path: 'movie.mkv', length: 123_456 }], version: 1, pieceLength: 16384, private: false });
  });

  it('reads a v1 multi-file torrent: utf-8 variants win, padding files are left out', () => {
    const f = v1Multi('Ŋame');
    const info = parseInfo(f.info)!;
    expect(info.name).toBe('Ŋame');
    expect(info.files.map((x) => x.path)).toEqual(f.paths);
    expect(info.totalSize).toBe(f.size);
  });

  it('reads a v2 file tree and a hybrid (files from the tree)', () => {
    for (const [f, version] of [[v2Only('v2'), 2], [hybrid('hy'), 'hybrid']] as const) {
      const info = parseInfo(f.info)!;
      expect(info.version).toBe(version);
      expect(info.files.map((x) => x.path)).toEqual(f.paths);
      expect(info.totalSize).toBe(f.size);
    }
  });

  it('reads the private flag', () => {
    const raw = bencode.encode({ length: 1, name: enc('p'), 'piece length': 16384, pieces: new Uint8Array(20), private: 1 });
    expect(parseInfo(raw)?.private).toBe(true);
  });

  it('returns undefined for what is not an info dictionary, never throws', () => {
    const bad: Uint8Array[] = [
      enc('not bencode'),
      enc('i42e'),
      enc('d4:name3:abce'), // no piece length, no files
      bencode.encode({ name: enc('x'), 'piece length': 16384, length: -5 }),
      bencode.encode({ name: enc('x'), 'piece length': 16384, files: [{ length: 3 }] }), // no path
      bencode.encode({ name: enc('x'), 'piece length': 16384, files: [{ length: 3, path: [] }] }),
      bencode.encode({ name: 5, 'piece length': 16384, length: 1 }),
      bencode.encode({ name: enc('x'), 'piece length': 16384, 'meta version': 2, 'file tree': { a: { '': { length: 'x' } } } }),
      bencode.encode({ name: enc('x'), 'piece length': 0, length: 1 }),
      enc('l'.repeat(100_000)), // nesting past any stack
    ];
    for (const raw of bad) expect(parseInfo(raw)).toBeUndefined();
  });

  it('survives a deep v2 file tree', () => {
    let tree: Record<string, unknown> = { '': { length: 1 } };
    for (let i = 0; i < 300; i++) tree = { d: tree };
    const raw = bencode.encode({ name: enc('deep'), 'piece length': 16384, 'meta version': 2, 'file tree': tree });
    expect(parseInfo(raw)).toBeUndefined(); // deeper than the cap
  });
});

describe('verifyInfo', () => {
  it('accepts SHA-1 for v1 and hybrid, truncated SHA-256 for v2, and nothing else', () => {
    const v1 = v1Single('a', 10);
    const v2 = v2Only('b');
    const hy = hybrid('c');
    expect(verifyInfo(fromHex(v1.infohash), v1.info)).toBe('sha1');
    expect(verifyInfo(fromHex(hy.infohash), hy.info)).toBe('sha1');
    expect(verifyInfo(fromHex(v2.infohash), v2.info)).toBe('sha256');
    // A v1 dictionary cannot pass as its SHA-256, nor any dictionary as another's hash.
    expect(verifyInfo(fromHex(v2.infohash), v1.info)).toBeUndefined();
    expect(verifyInfo(fromHex(sha1Hex(v2.info)), v1.info)).toBeUndefined();
    const flipped = v1.info.slice();
    flipped[flipped.length - 2] = flipped[flipped.length - 2]! ^ 1;
    expect(verifyInfo(fromHex(v1.infohash), flipped)).toBeUndefined();
    expect(verifyInfo(new Uint8Array(19), v1.info)).toBeUndefined();
  });
});
