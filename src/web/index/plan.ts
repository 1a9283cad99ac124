/**
 * One search, planned the same way for both databases: which candidates
 * (the newest SEARCH_WINDOW matches of the words, or every torrent when
 * nothing narrows the list and an index serves the sort), the filters on
 * them, the order and the page. The backends only say how a word match and a
 * placeholder are written. Every plan reads at most SEARCH_WINDOW candidates
 * and pages at most SEARCH_WINDOW deep: its cost is bounded whatever is asked.
 */
import { hasFilters, PAGE_SIZE, SEARCH_WINDOW, type SearchQuery, type Slice } from './query.ts';

export type { Slice };
import type { TorrentSummary } from './reader.ts';
import { isTorrentKind } from '../../crawl/store/kind.ts';

export interface Dialect {
  /** A placeholder for `value`, which it records. */
  param(value: unknown): string;
  /** A query yielding column `id` of the newest SEARCH_WINDOW torrents matching every word. */
  matches(words: string[]): string;
  /** ORDER BY terms for a sort column, putting torrents without a figure last when descending. */
  order(column: string, order: 'asc' | 'desc'): string;
}

export const SUMMARY_COLUMNS = 't.infohash, t.infohash_v2, t.name, t.size, t.file_count, t.kind, t.first_seen, t.fetched_at, t.seeders, t.leechers';

export interface SearchPlan {
  /** Rows of the page (SUMMARY_COLUMNS). */
  page: string;
  /** One row, columns total and window (how many candidates there were, before the filters). */
  count: string;
  /** True when every torrent is a candidate: count is exact, and never capped. */
  global: boolean;
}

export function pageSlice(query: SearchQuery): Slice {
  return { offset: (query.page - 1) * PAGE_SIZE, limit: PAGE_SIZE };
}

export function planSearch(query: SearchQuery, d: Dialect, slice: Slice = pageSlice(query)): SearchPlan {
  if (slice.offset < 0 || slice.limit < 1 || slice.offset + slice.limit > SEARCH_WINDOW) throw new RangeError(`rows ${slice.offset}+${slice.limit}: beyond the search window`);
  const filters: string[] = [];
  if (query.kinds.length > 0) filters.push(`t.kind IN (${query.kinds.map((k) => d.param(k)).join(', ')})`);
  if (query.minSize !== undefined) filters.push(`t.size >= ${d.param(query.minSize)}`);
  if (query.maxSize !== undefined) filters.push(`t.size <= ${d.param(query.maxSize)}`);
  const where = filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : '';
  const order = `ORDER BY ${d.order(`t.${query.sort}`, query.order)}, t.id ${query.order === 'asc' ? 'ASC' : 'DESC'}`;
  const limit = `LIMIT ${Math.floor(slice.limit)} OFFSET ${Math.floor(slice.offset)}`;
  if (query.words.length === 0 && !hasFilters(query)) {
    // An index on the sort column serves the page; counting every row is one index scan.
    return { page: `SELECT ${SUMMARY_COLUMNS} FROM torrents t ${order} ${limit}`, count: 'SELECT count(*) AS total, count(*) AS window FROM torrents', global: true };
  }
  const candidates = query.words.length > 0 ? d.matches(query.words) : `SELECT id FROM torrents ORDER BY id DESC LIMIT ${SEARCH_WINDOW}`;
  const from = `FROM (${candidates}) AS hits JOIN torrents t ON t.id = hits.id`;
  return {
    page: `SELECT ${SUMMARY_COLUMNS} ${from} ${where} ${order} ${limit}`,
    // Without filters every candidate counts: the index alone counts them, no row is read.
    count:
      filters.length === 0
        ? `SELECT count(*) AS total, count(*) AS window FROM (${candidates}) AS w`
        : `SELECT count(t.id) AS total, (SELECT count(*) FROM (${candidates}) AS w) AS window ${from} ${where}`,
    global: false,
  };
}

/** A result row as both backends return it (SUMMARY_COLUMNS). */
export interface SummarySqlRow {
  infohash: string;
  infohash_v2: string | null;
  name: string;
  size: number;
  file_count: number;
  kind: string;
  first_seen: number;
  fetched_at: number;
  seeders: number | null;
  leechers: number | null;
}

export function toSummary(row: SummarySqlRow): TorrentSummary {
  return {
    infohash: row.infohash,
    infohashV2: row.infohash_v2,
    name: row.name,
    size: Number(row.size),
    fileCount: row.file_count,
    kind: isTorrentKind(row.kind) ? row.kind : 'other',
    firstSeen: Number(row.first_seen),
    fetchedAt: Number(row.fetched_at),
    seeders: row.seeders,
    leechers: row.leechers,
  };
}

export { SEARCH_WINDOW };
