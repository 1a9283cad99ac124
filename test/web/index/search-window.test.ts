/**
 * Bounded search cost with more matches than SEARCH_WINDOW, on both databases:
 * newest added first is read straight from the full-text index (any page up
 * to the last, either order) with the count stopped at the window; filters
 * and other sorts are answered among the newest SEARCH_WINDOW matches; an
 * empty page still says how many matched. Expected pages are computed here
 * from the data written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type TorrentRecord } from '../../../src/crawl/store/index.ts';
import { openSqliteDatabase } from '../../../src/crawl/store/sqlite-driver.ts';
import { openSqliteReader } from '../../../src/web/index/sqlite-reader.ts';
import { MAX_PAGE, PAGE_SIZE, SEARCH_WINDOW, wordSearch, type SearchQuery } from '../../../src/web/index/query.ts';
import type { IndexReader } from '../../../src/web/index/reader.ts';
import { ih, indexBackends, T0, torrent } from './fixture.ts';

const N = SEARCH_WINDOW + 50;
const ns = Array.from({ length: N }, (_, i) => i + 1);
/** Scrambled sizes, all distinct. */
const sizeOf = (n: number): number => ((n * 7919) % 100_003) + 1;
const isVideo = (n: number): boolean => n % 3 === 0;

function synthetic(n: number): TorrentRecord {
  // Stored in order n (row id n), but fetched — and so first seen — in the opposite order.
  const file = { path: `f${n}/${n % 2 === 0 ? 'even' : 'odd'}.${isVideo(n) ? 'mkv' : 'txt'}`, length: sizeOf(n) };
  return { ...torrent(n, `Alpha t${n}`, [file]), fetchedAt: T0 + (N - n) * 1000 };
}

/** The newest SEARCH_WINDOW stored (the window of any query that matches every torrent). */
const window = ns.slice(-SEARCH_WINDOW);
const ids = (list: number[]): string[] => list.map(ih);

describe.each(indexBackends())('search cost bounded over $name', (backend) => {
  let reader: IndexReader;
  let destroy: () => Promise<void>;
  beforeAll(async () => {
    const opened = await backend.open();
    for (let i = 0; i < N; i += 2_500) await opened.store.write({ torrents: ns.slice(i, i + 2_500).map(synthetic) });
    await opened.store.close();
    reader = await opened.reader();
    destroy = opened.destroy;
  }, 120_000);
  afterAll(async () => {
    await reader?.close();
    await destroy?.();
  });

  const search = async (q: string, change: Partial<SearchQuery> = {}, slice?: { offset: number; limit: number }) => {
    const r = await reader.search(wordSearch(q, change), slice);
    return { ...r, ids: r.torrents.map((t) => t.infohash) };
  };

  it('serves newest added first straight from the index, the count stopped at the window', async () => {
    const first = await search('alpha');
    expect(first).toMatchObject({ total: SEARCH_WINDOW, capped: true, windowed: false });
    expect(first.ids).toEqual(ids(ns.slice(-PAGE_SIZE).reverse()));
    const last = await search('alpha', { page: MAX_PAGE });
    expect(last.ids).toEqual(ids(ns.slice(N - SEARCH_WINDOW, N - SEARCH_WINDOW + PAGE_SIZE).reverse()));
    // Oldest first reads the index from its other end: the very first torrents stored.
    expect((await search('alpha', { order: 'asc' })).ids).toEqual(ids(ns.slice(0, PAGE_SIZE)));
    // Under the window: exact and not capped.
    const odd = await search('odd');
    expect(odd).toMatchObject({ total: N / 2, capped: false, windowed: false });
    expect(odd.ids).toEqual(ids(ns.filter((n) => n % 2 === 1).slice(-PAGE_SIZE).reverse()));
    expect((await search('alpha t77')).ids).toEqual([ih(77)]);
  });

  it('filters and sorts among the newest matches, and counts the matches kept', async () => {
    const videos = window.filter(isVideo);
    const video = await search('alpha', { kinds: ['video'] });
    expect(video).toMatchObject({ total: videos.length, capped: true, windowed: true });
    expect(video.ids).toEqual(ids(videos.slice(-PAGE_SIZE).reverse()));
    const bySize = [...window].sort((a, b) => sizeOf(b) - sizeOf(a));
    const size = await search('alpha', { sort: 'size' });
    expect(size).toMatchObject({ total: SEARCH_WINDOW, capped: true, windowed: true });
    expect(size.ids).toEqual(ids(bySize.slice(0, PAGE_SIZE)));
    expect((await search('alpha', { sort: 'size', order: 'asc', page: 3 })).ids).toEqual(ids(bySize.reverse().slice(2 * PAGE_SIZE, 3 * PAGE_SIZE)));
    // First seen is not the stored order: here it is the reverse, so the newest sighting is the window's oldest row.
    expect((await search('alpha', { sort: 'first_seen' })).ids).toEqual(ids(window.slice(0, PAGE_SIZE)));
    const small = await search('odd', { maxSize: 50_000 });
    const expected = ns.filter((n) => n % 2 === 1 && sizeOf(n) <= 50_000);
    expect(small).toMatchObject({ total: expected.length, capped: false, windowed: true });
    expect(small.ids).toEqual(ids(expected.slice(-PAGE_SIZE).reverse()));
  });

  it('browses without words through the sort column index, counted up to the window', async () => {
    const all = await search('');
    expect(all).toMatchObject({ total: SEARCH_WINDOW, capped: true, windowed: false });
    expect(all.ids).toEqual(ids(ns.slice(-PAGE_SIZE).reverse()));
    // The whole table is sorted by its index, not only the window.
    expect((await search('', { sort: 'size' })).ids).toEqual(ids([...ns].sort((a, b) => sizeOf(b) - sizeOf(a)).slice(0, PAGE_SIZE)));
    const kinds = await search('', { kinds: ['video'] });
    expect(kinds).toMatchObject({ total: window.filter(isVideo).length, windowed: true });
  });

  it('says how many matched on a page past the last one', async () => {
    expect(await search('alpha t77', { page: 2 })).toMatchObject({ total: 1, capped: false, ids: [] });
    expect(await search('odd', { kinds: ['video'], page: MAX_PAGE })).toMatchObject({ total: ns.filter((n) => n % 2 === 1 && isVideo(n)).length, ids: [] });
    expect(await search('nothing')).toMatchObject({ total: 0, capped: false, ids: [] });
  });
});

describe('a SQLite file without the facets index (written before it existed, until a crawl opens it)', () => {
  it('gives the same windowed answers, from the rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'btdht-facets-'));
    const path = join(dir, 'crawl.sqlite');
    try {
      const store = await openSqliteStore({ path });
      await store.write({ torrents: ns.slice(0, 300).map(synthetic) });
      await store.close();
      const queries = [wordSearch('alpha', { sort: 'size' }), wordSearch('odd', { kinds: ['video'], sort: 'first_seen', order: 'asc' }), wordSearch('', { minSize: 50_000 })];
      const answers = async () => {
        const reader = await openSqliteReader(path);
        try {
          return await Promise.all(queries.map((q) => reader.search(q)));
        } finally {
          await reader.close();
        }
      };
      const indexed = await answers();
      expect(indexed[0]!.torrents.map((t) => t.infohash)).toEqual(ids([...ns.slice(0, 300)].sort((a, b) => sizeOf(b) - sizeOf(a)).slice(0, PAGE_SIZE)));
      const db = await openSqliteDatabase(path);
      db.exec('DROP INDEX torrents_facets');
      db.close();
      expect(await answers()).toEqual(indexed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
