/**
 * What a torrent mostly holds, by its files' extensions weighted by size:
 * the index filters on it, and Torznab maps it to categories. Decided once,
 * when the torrent is stored.
 */
import type { TorrentFile } from '../metadata/types.ts';

export const TORRENT_KINDS = ['video', 'audio', 'image', 'document', 'archive', 'software', 'other'] as const;
export type TorrentKind = (typeof TORRENT_KINDS)[number];

const EXTENSIONS: Record<Exclude<TorrentKind, 'other'>, string[]> = {
  video: ['mkv', 'mp4', 'avi', 'm4v', 'mov', 'wmv', 'mpg', 'mpeg', 'ts', 'm2ts', 'webm', 'flv', 'vob', 'ogv', '3gp', 'rmvb', 'divx'],
  audio: ['mp3', 'flac', 'm4a', 'aac', 'ogg', 'opus', 'wav', 'wma', 'ape', 'alac', 'aiff', 'dsf', 'mka', 'm4b', 'wv'],
  image: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp', 'tif', 'tiff', 'raw', 'cr2', 'nef', 'heic', 'psd', 'svg'],
  document: ['pdf', 'epub', 'mobi', 'azw', 'azw3', 'djvu', 'doc', 'docx', 'txt', 'rtf', 'odt', 'cbr', 'cbz', 'chm', 'fb2', 'xls', 'xlsx', 'ppt', 'pptx'],
  archive: ['zip', 'rar', '7z', 'tar', 'gz', 'tgz', 'bz2', 'xz', 'zst', 'lz', 'cab'],
  software: ['exe', 'msi', 'apk', 'dmg', 'pkg', 'deb', 'rpm', 'appimage', 'iso', 'img', 'bin', 'jar', 'xapk', 'nsp', 'xci'],
};

const KIND_OF = new Map<string, TorrentKind>();
for (const [kind, list] of Object.entries(EXTENSIONS)) for (const ext of list) KIND_OF.set(ext, kind as TorrentKind);

export function isTorrentKind(value: string): value is TorrentKind {
  return (TORRENT_KINDS as readonly string[]).includes(value);
}

/** The kind of one file path by its extension ('other' when unknown). */
export function fileKind(path: string): TorrentKind {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash + 1 || path.length - dot > 10) return 'other';
  return KIND_OF.get(path.slice(dot + 1).toLowerCase()) ?? 'other';
}

/** The kind holding most bytes; a torrent of only unknown files is 'other'. */
export function torrentKind(files: readonly TorrentFile[]): TorrentKind {
  const bytes = new Map<TorrentKind, number>();
  for (const file of files) {
    const kind = fileKind(file.path);
    // +1: a torrent of empty files still counts its files.
    bytes.set(kind, (bytes.get(kind) ?? 0) + file.length + 1);
  }
  let best: TorrentKind = 'other';
  let most = 0;
  for (const [kind, n] of bytes) {
    if (kind !== 'other' && n > most) {
      best = kind;
      most = n;
    }
  }
  // Unknown files outweighing every known kind make it 'other' (a game of .pak files with a readme.txt).
  return (bytes.get('other') ?? 0) > most ? 'other' : best;
}
