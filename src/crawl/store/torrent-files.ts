/**
 * Optional .torrent files beside the database: `{ info: <raw info dict> }`,
 * bencoded by concatenation so the info bytes (and so the infohash) are exactly
 * the verified ones. Written to a temporary name, synced, then renamed: a
 * reader or a crash sees a whole file or none. Files go in 256 subfolders by
 * the infohash's first byte, so no folder holds millions of entries.
 */
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInfohash } from './aggregate.ts';

const PREFIX = new TextEncoder().encode('d4:info');
const SUFFIX = new TextEncoder().encode('e');

/** The bytes of a .torrent holding just `info`. */
export function torrentFileBytes(info: Uint8Array): Uint8Array {
  const out = new Uint8Array(PREFIX.length + info.length + SUFFIX.length);
  out.set(PREFIX, 0);
  out.set(info, PREFIX.length);
  out.set(SUFFIX, PREFIX.length + info.length);
  return out;
}

/**
 * @example
 * import { TorrentFileWriter } from 'btdht/crawl';
 * const writer = new TorrentFileWriter('./torrents');
 * const info = new TextEncoder().encode('d6:lengthi5e4:name5:hello12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae');
 * // Named by the infohash (the caller verified `info` hashes to it); an existing file is left as it is.
 * const path = await writer.write('e3811b9539cacff680e418124272177c47477157', info);
 */
export class TorrentFileWriter {
  readonly #dir: string;
  #sequence = 0;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Where the .torrent of `infohash` (40 lower-case hex) goes. */
  pathFor(infohash: string): string {
    checkInfohash(infohash);
    return join(this.#dir, infohash.slice(0, 2), `${infohash}.torrent`);
  }

  /** Write it unless it exists; resolves with its path. */
  async write(infohash: string, info: Uint8Array): Promise<string> {
    const path = this.pathFor(infohash);
    if (await exists(path)) return path;
    await mkdir(join(this.#dir, infohash.slice(0, 2)), { recursive: true });
    const temporary = `${path}.${process.pid}.${++this.#sequence}.tmp`;
    try {
      const file = await open(temporary, 'wx');
      try {
        await file.writeFile(torrentFileBytes(info));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return path;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
