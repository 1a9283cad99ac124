/**
 * Read name, size and file list out of a verified info dictionary: v1 single-
 * and multi-file (BEP 3, `.utf-8` variants preferred), v2 file tree (BEP 52),
 * hybrids (files from the tree, which has no padding). Verified bytes are still
 * someone's bytes: anything malformed yields undefined, never an exception.
 */
import bencode from 'bencode';
import type { TorrentFile, TorrentInfo } from './types.ts';

/** A file tree nested deeper than this is not a torrent anyone can store. */
const MAX_TREE_DEPTH = 256;

type Dict = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8');

/**
 * @example
 * import { parseInfo } from 'btdht/crawl';
 * const info = new TextEncoder().encode('d6:lengthi5e4:name5:hello12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae');
 * parseInfo(info); // { name: 'hello', totalSize: 5, files: [{ path: 'hello', length: 5 }], version: 1, pieceLength: 16384, private: false }
 * parseInfo(new TextEncoder().encode('le')); // undefined: not an info dictionary
 */
export function parseInfo(raw: Uint8Array): TorrentInfo | undefined {
  let info: unknown;
  try {
    info = bencode.decode(raw);
  } catch {
    return undefined; // not bencode, or nested deep enough to overflow the decoder
  }
  if (!isDict(info)) return undefined;

  const name = text(info['name.utf-8']) ?? text(info['name']);
  const pieceLength = info['piece length'];
  if (name === undefined || !isLength(pieceLength) || pieceLength === 0) return undefined;

  const isV2 = info['meta version'] === 2 && isDict(info['file tree']);
  const hasV1 = isLength(info['length']) || Array.isArray(info['files']);
  let files: TorrentFile[] | undefined;
  if (isV2) files = fileTree(info['file tree'] as Dict);
  else if (hasV1) files = v1Files(info, name);
  if (files === undefined) return undefined;

  let totalSize = 0;
  for (const file of files) totalSize += file.length;
  if (!Number.isSafeInteger(totalSize)) return undefined;

  return {
    name,
    totalSize,
    files,
    version: isV2 ? (hasV1 ? 'hybrid' : 2) : 1,
    pieceLength,
    private: info['private'] === 1,
  };
}

function v1Files(info: Dict, name: string): TorrentFile[] | undefined {
  const length = info['length'];
  if (isLength(length)) return [{ path: name, length }];
  const list = info['files'];
  if (!Array.isArray(list)) return undefined;
  const files: TorrentFile[] = [];
  for (const entry of list) {
    if (!isDict(entry) || !isLength(entry['length'])) return undefined;
    if (isPadding(entry['attr'])) continue;
    const path = pathOf(entry['path.utf-8']) ?? pathOf(entry['path']);
    if (path === undefined) return undefined;
    files.push({ path, length: entry['length'] });
  }
  return files;
}

/** BEP 52: directories are dicts keyed by name; a file is a dict whose '' key holds { length }. */
function fileTree(root: Dict): TorrentFile[] | undefined {
  const files: TorrentFile[] = [];
  // Iterative, so a hostile depth cannot overflow the stack.
  const stack: Array<{ node: Dict; prefix: string; depth: number }> = [{ node: root, prefix: '', depth: 0 }];
  while (stack.length > 0) {
    const { node, prefix, depth } = stack.pop()!;
    if (depth > MAX_TREE_DEPTH) return undefined;
    for (const key of Object.keys(node).sort()) {
      const child = node[key];
      if (!isDict(child) || key === '') return undefined;
      const path = prefix === '' ? key : `${prefix}/${key}`;
      const leaf = child[''];
      if (leaf !== undefined) {
        if (!isDict(leaf) || !isLength(leaf['length'])) return undefined;
        files.push({ path, length: leaf['length'] });
      } else {
        stack.push({ node: child, prefix: path, depth: depth + 1 });
      }
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return files;
}

function pathOf(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const parts: string[] = [];
  for (const part of value) {
    const s = text(part);
    if (s === undefined) return undefined;
    parts.push(s);
  }
  return parts.join('/');
}

/** BEP 47: an `attr` string containing 'p' marks a padding file. */
function isPadding(attr: unknown): boolean {
  return attr instanceof Uint8Array && attr.includes(0x70);
}

function text(value: unknown): string | undefined {
  return value instanceof Uint8Array ? utf8.decode(value) : undefined;
}

function isLength(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
