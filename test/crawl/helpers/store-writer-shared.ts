/** What the writer child and the tests that check its work agree on. */
import type { TorrentRecord } from '../../../src/crawl/store/index.ts';

export const ih = (n: number): string => n.toString(16).padStart(40, '0');

export function madeUpTorrent(infohash: string, at: number): TorrentRecord {
  return {
    infohash,
    name: `made-up ${infohash.slice(-8)}`,
    size: parseInt(infohash.slice(-8), 16) * 1000,
    files: [
      { path: `folder/${infohash.slice(0, 8)}.bin`, length: 1 },
      { path: 'readme.txt', length: parseInt(infohash.slice(-8), 16) * 1000 - 1 },
    ],
    fetchedAt: at,
    peer: { host: '127.0.0.9', port: 6881 },
  };
}
