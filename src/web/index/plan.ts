/**
 * One search, planned the same way for both databases as ONE statement
 * returning the counts on every row and the page's torrents (or one row of
 * counts and no torrent when the page is empty). Two shapes, each of bounded
 * cost whatever is asked:
 *   - straight: nothing but the words (or nothing at all) and an order an
 *     index serves — newest added first is the full-text index's own row id
 *     order, so the page is read from it with an early stop (LIMIT), and the
 *     count stops at SEARCH_WINDOW matches, read from that index alone;
 *   - window: filters, or the words with another sort: the newest
 *     SEARCH_WINDOW matches (or torrents) are read once (MATERIALIZED),
 *     filtered, counted and sorted, and the page's rows joined last.
 * Every plan reads at most SEARCH_WINDOW candidates and pages at most
 * SEARCH_WINDOW deep. The backends only say how a word match, a placeholder
 * and an order are written.
 */
import { hasFilters, PAGE_SIZE, SEARCH_WINDOW, type SearchQuery, type Slice } from './query.ts';

export type { Slice };
import type { TorrentSummary } from './reader.ts';
import { isTorrentKind } from '../../crawl/store/kind.ts';

export interface Dialect {
  /** A placeholder for `value`, which it records. */
  param(value: unknown): string;
  /** A query yielding column `id` of the torrents matching every word, in id order (any: whichever is cheapest), from `offset`, at most `limit`. */
  matches(words: string[], order: 'asc' | 'desc' | 'any', limit: number, offset?: number): string;
  /** ORDER BY terms for a sort column, putting torrents without a figure last when descending. */
  order(column: string, order: 'asc' | 'desc'): string;
  /** The torrents table as `t` where a window's candidates are looked up by id for their kind, size, seeders and first seen. */
  candidateRows(): string;
}

export const SUMMARY_COLUMNS = 't.infohash, t.infohash_v2, t.name, t.size, t.file_count, t.kind, t.first_seen, t.fetched_at, t.seeders, t.leechers';

export interface SearchPlan {
  /**
   * Rows with columns total and window_n (candidates counted, at most
   * SEARCH_WINDOW, before and after the filters) and SUMMARY_COLUMNS, one per
   * torrent of the page; one row with null torrent columns when the page is empty.
   */
  sql: string;
  /** Sorted and filtered among the newest SEARCH_WINDOW candidates (false: read in index order). */
  windowed: boolean;
}

export function pageSlice(query: SearchQuery): Slice {
  return { offset: (query.page - 1) * PAGE_SIZE, limit: PAGE_SIZE };
}

/** The column a sort reads: `added` is the row id, the order the crawl stored torrents in. */
function sortColumn(query: SearchQuery): string {
  return query.sort === 'added' ? 't.id' : `t.${query.sort}`;
}

function orderBy(query: SearchQuery, d: Dialect): string {
  const dir = query.order === 'asc' ? 'ASC' : 'DESC';
  return query.sort === 'added' ? `ORDER BY t.id ${dir}` : `ORDER BY ${d.order(sortColumn(query), query.order)}, t.id ${dir}`;
}

export function planSearch(query: SearchQuery, d: Dialect, slice: Slice = pageSlice(query)): SearchPlan {
  if (slice.offset < 0 || slice.limit < 1 || slice.offset + slice.limit > SEARCH_WINDOW) throw new RangeError(`rows ${slice.offset}+${slice.limit}: beyond the search window`);
  const limit = Math.floor(slice.limit);
  const offset = Math.floor(slice.offset);
  const order = orderBy(query, d);
  const words = query.words.length > 0;
  if (!hasFilters(query) && (!words || query.sort === 'added')) {
    // Straight from an index: the full-text index in row id order, or the sort column's index.
    const page = words ? d.matches(query.words, query.order, limit, offset) : `SELECT t.id FROM torrents t ${order} LIMIT ${limit} OFFSET ${offset}`;
    const counted = words ? d.matches(query.words, 'any', SEARCH_WINDOW) : `SELECT id FROM torrents LIMIT ${SEARCH_WINDOW}`;
    return {
      sql: `SELECT c.total, c.total AS window_n, ${SUMMARY_COLUMNS}
        FROM (SELECT count(*) AS total FROM (${counted}) AS w) AS c
        LEFT JOIN ((${page}) AS p JOIN torrents t ON t.id = p.id) ON 1 = 1
        ${order}`,
      windowed: false,
    };
  }
  const filters: string[] = [];
  if (query.kinds.length > 0) filters.push(`t.kind IN (${query.kinds.map((k) => d.param(k)).join(', ')})`);
  if (query.minSize !== undefined) filters.push(`t.size >= ${d.param(query.minSize)}`);
  if (query.maxSize !== undefined) filters.push(`t.size <= ${d.param(query.maxSize)}`);
  const where = filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : '';
  const candidates = words ? d.matches(query.words, 'desc', SEARCH_WINDOW) : `SELECT id FROM torrents ORDER BY id DESC LIMIT ${SEARCH_WINDOW}`;
  const sortKey = query.sort === 'added' ? '' : `, ${sortColumn(query)}`;
  // The candidates' sort key only (no wide row) is kept; the page's 25 rows are joined last.
  return {
    sql: `WITH hits AS MATERIALIZED (${candidates}),
        kept AS MATERIALIZED (SELECT t.id${sortKey} FROM hits JOIN ${d.candidateRows()} ON t.id = hits.id ${where}),
        c AS (SELECT (SELECT count(*) FROM kept) AS total, (SELECT count(*) FROM hits) AS window_n)
      SELECT c.total, c.window_n, ${SUMMARY_COLUMNS}
      FROM c LEFT JOIN ((SELECT t.id FROM kept t ${order} LIMIT ${limit} OFFSET ${offset}) AS p JOIN torrents t ON t.id = p.id) ON 1 = 1
      ${order}`,
    windowed: true,
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

/** A row of a SearchPlan's statement. */
export interface PlanSqlRow extends Omit<SummarySqlRow, 'infohash'> {
  total: number | string;
  window_n: number | string;
  /** Null on the one row of an empty page. */
  infohash: string | null;
}

/** The page and counts from the rows of a SearchPlan's statement. */
export function planResult(plan: SearchPlan, rows: PlanSqlRow[]): { torrents: TorrentSummary[]; total: number; capped: boolean; windowed: boolean } {
  const first = rows[0];
  const total = Number(first?.total ?? 0);
  const window = Number(first?.window_n ?? 0);
  const torrents = rows.filter((r): r is PlanSqlRow & { infohash: string } => r.infohash !== null).map(toSummary);
  return { torrents, total, capped: window >= SEARCH_WINDOW, windowed: plan.windowed };
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
