/**
 * Make a torrent's strings storable everywhere. Names come from someone's
 * bytes: a NUL decodes to U+0000, which PostgreSQL's text and jsonb refuse
 * (the whole batch would fail). Both backends store the same replacement.
 */
import type { TorrentRecord } from './types.ts';

const NUL = /\u0000/g;

function clean(text: string): string {
  return text.includes('\u0000') ? text.replace(NUL, '\uFFFD') : text;
}

export function cleanTorrent(torrent: TorrentRecord): TorrentRecord {
  const dirty = torrent.name.includes('\u0000') || torrent.files.some((f) => f.path.includes('\u0000'));
  if (!dirty) return torrent;
  return {
    ...torrent,
    name: clean(torrent.name),
    files: torrent.files.map((f) => ({ path: clean(f.path), length: f.length })),
  };
}
