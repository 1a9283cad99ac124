/**
 * A crawl database with known torrents, on either backend, and the index
 * served over it on loopback: what the index tests and the browser test read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore, openSqliteStore, type CrawlStore, type TorrentRecord } from '../../../src/crawl/store/index.ts';
import { openPostgresReader } from '../../../src/web/index/postgres-reader.ts';
import type { IndexReader } from '../../../src/web/index/reader.ts';
import { openSqliteReader } from '../../../src/web/index/sqlite-reader.ts';
import { IndexServer } from '../../../src/web/index/server.ts';
import { dropSchema, postgresUrl, postgresWanted, uniqueSchema } from '../../crawl/helpers/stores.ts';

export const HOUR = 3_600_000;
/** Fixed times, a few hours back from now (the statistics page shows the last 72 hours). */
export const T0 = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;

export const ih = (n: number): string => n.toString(16).padStart(40, '0');
export const HYBRID_V2 = 'ab'.repeat(32);
export const HOSTILE = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> "quoted" & 'single'`;

export function torrent(n: number, name: string, files: { path: string; length: number }[], extra: Partial<TorrentRecord> = {}): TorrentRecord {
  return { infohash: ih(n), name, size: files.reduce((s, f) => s + f.length, 0), files, fetchedAt: T0 + n * 60_000, peer: { host: '127.0.0.1', port: 6881 }, ...extra };
}

/** The torrents every index test finds: words in names and in file paths, kinds, sizes, a hybrid, a hostile name. */
export const TORRENTS: TorrentRecord[] = [
  torrent(1, 'Debian.Live.12.5.0.amd64.Gnome', [{ path: 'debian-live-12.5.0-amd64-gnome.iso', length: 3_200_000_000 }]),
  torrent(2, 'Big Buck Bunny (2008) [1080p]', [
    { path: 'Big Buck Bunny/bbb_sunflower_1080p_60fps.mp4', length: 700_000_000 },
    { path: 'Big Buck Bunny/extras/poster.jpg', length: 200_000 },
    { path: 'Big Buck Bunny/Subs/English.srt', length: 40_000 },
  ]),
  torrent(3, 'Free Music Archive — Ünïcode Collection', [
    { path: 'CD1/01 Opening.flac', length: 30_000_000 },
    { path: 'CD1/02 Sunflower Waltz.flac', length: 25_000_000 },
  ], { infohashV2: HYBRID_V2 }),
  torrent(4, HOSTILE, [{ path: '<b>bold</b>/evil<script>.txt', length: 10 }]),
  torrent(5, 'Sintel.2010.720p', [{ path: 'sintel.mkv', length: 1_100_000_000 }]),
];

export interface IndexSite {
  name: 'sqlite' | 'postgres';
  store: CrawlStore;
  reader: IndexReader;
  server: IndexServer;
  url: string;
  close(): Promise<void>;
}

export interface IndexBackend {
  name: 'sqlite' | 'postgres';
  open(): Promise<{ store: CrawlStore; reader: () => Promise<IndexReader>; destroy: () => Promise<void> }>;
}

const sqlite: IndexBackend = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'btdht-index-'));
    const path = join(dir, 'crawl.sqlite');
    return { store: await openSqliteStore({ path }), reader: () => openSqliteReader(path), destroy: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const postgres: IndexBackend = {
  name: 'postgres',
  async open() {
    const schema = uniqueSchema('index');
    const url = postgresUrl();
    return { store: await openPostgresStore({ url, schema }), reader: () => openPostgresReader({ url, schema }), destroy: () => dropSchema(schema) };
  },
};

export function indexBackends(): IndexBackend[] {
  return postgresWanted() ? [sqlite, postgres] : [sqlite];
}

/** The fixture torrents written (with sightings by every source), the index served on 127.0.0.1. */
export async function openIndexSite(backend: IndexBackend, torrents: TorrentRecord[] = TORRENTS): Promise<IndexSite> {
  const { store, reader: openReader, destroy } = await backend.open();
  await store.write({
    observations: [
      ...torrents.map((t, n) => ({ infohash: t.infohash, source: (['get_peers', 'announce_peer', 'sample'] as const)[n % 3]!, at: t.fetchedAt - 30_000 })),
      // The hybrid's v2 hash seen before its v1 hash: its first sighting is this one.
      { infohash: HYBRID_V2.slice(0, 40), source: 'sample' as const, at: T0 + 140_000 },
    ],
  });
  await store.write({ torrents });
  const reader = await openReader();
  const server = await IndexServer.start({ host: '127.0.0.1', port: 0 }, { reader, statsTtlMs: 0 });
  return {
    name: backend.name,
    store,
    reader,
    server,
    url: server.url,
    close: async () => {
      await server.close();
      await reader.close();
      await store.close();
      await destroy();
    },
  };
}
