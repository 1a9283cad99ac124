/**
 * What a reader of the index may ask, read from a URL's query string and
 * checked: the words, a page, a sort and filters. Anything malformed is a
 * QueryError naming the parameter (a 400, never a guess). The words are
 * reduced to letters and digits, so no user text ever reaches FTS5's or
 * PostgreSQL's query syntax.
 */
import { isTorrentKind, TORRENT_KINDS, type TorrentKind } from '../../crawl/store/kind.ts';

/** `added`: the order the crawl stored torrents in (newest first by default); `first_seen`: the first sighting of either infohash. */
export const SORTS = ['added', 'first_seen', 'size', 'seeders'] as const;
export type SearchSort = (typeof SORTS)[number];

export interface SearchQuery {
  /** Words every result holds in its name or file paths (at most MAX_WORDS); none: browse everything. */
  words: string[];
  /** 1-based. */
  page: number;
  sort: SearchSort;
  order: 'desc' | 'asc';
  /** Only torrents of these kinds (none: every kind). */
  kinds: TorrentKind[];
  /** Bytes, inclusive. */
  minSize?: number;
  maxSize?: number;
}

/** Which rows of the ordered result: by default the query's page; feeds ask by offset. */
export interface Slice {
  offset: number;
  limit: number;
}

export const PAGE_SIZE = 25;
/** A query considers at most this many candidates (the newest matches): its cost is bounded whatever the words. */
export const SEARCH_WINDOW = 10_000;
export const MAX_PAGE = SEARCH_WINDOW / PAGE_SIZE;
export const MAX_WORDS = 8;
const MAX_WORD_CHARS = 64;
const MAX_QUERY_CHARS = 512;

/** A malformed query parameter: the message names it and says what is expected. */
export class QueryError extends Error {
  override name = 'QueryError';
}

/** Letters, digits and combining marks: the tokens both full-text indexes split names into. */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** The searchable words of free text, lower-cased and de-duplicated. */
export function searchWords(text: string): string[] {
  if (text.length > MAX_QUERY_CHARS) throw new QueryError(`q: at most ${MAX_QUERY_CHARS} characters, got ${text.length}`);
  const words = [...new Set((text.normalize('NFC').toLowerCase().match(WORD) ?? []))];
  if (words.length > MAX_WORDS) throw new QueryError(`q: at most ${MAX_WORDS} words, got ${words.length}`);
  const long = words.find((w) => w.length > MAX_WORD_CHARS);
  if (long !== undefined) throw new QueryError(`q: a word has at most ${MAX_WORD_CHARS} characters, got one of ${long.length}`);
  return words;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** A size such as 700MB, 1.5GiB or 123456 (bytes). */
export function parseSize(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  const bytes = match && unit !== undefined ? Math.round(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes)) throw new QueryError(`${what}: expected a size such as 700MB, 1.5GiB or a number of bytes, got ${JSON.stringify(text)}`);
  return bytes;
}

function one(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new QueryError(`${name}: given ${values.length} times, expected once`);
  const value = values[0]?.trim();
  return value === '' ? undefined : value;
}

/** The page number from `page` (1-based); for a feed's `offset` see offsetPage. */
export function parsePage(text: string | undefined): number {
  if (text === undefined) return 1;
  const page = Number(text);
  if (!/^\d+$/.test(text) || page < 1 || page > MAX_PAGE) throw new QueryError(`page: expected a whole number from 1 to ${MAX_PAGE}, got ${JSON.stringify(text)}`);
  return page;
}

/** A newest-first search for these words (feeds, tests). */
export function wordSearch(text: string, change: Partial<SearchQuery> = {}): SearchQuery {
  return { words: searchWords(text), page: 1, sort: 'added', order: 'desc', kinds: [], ...change };
}

/** Read a search from a query string: q, page, sort, order, kind, min_size, max_size. */
export function parseSearch(params: URLSearchParams): SearchQuery {
  const query: SearchQuery = { words: searchWords(one(params, 'q') ?? ''), page: parsePage(one(params, 'page')), sort: 'added', order: 'desc', kinds: [] };
  const sort = one(params, 'sort');
  if (sort !== undefined) {
    if (!(SORTS as readonly string[]).includes(sort)) throw new QueryError(`sort: expected one of ${SORTS.join(', ')}, got ${JSON.stringify(sort)}`);
    query.sort = sort as SearchSort;
  }
  const order = one(params, 'order');
  if (order !== undefined) {
    if (order !== 'asc' && order !== 'desc') throw new QueryError(`order: expected asc or desc, got ${JSON.stringify(order)}`);
    query.order = order;
  }
  const kind = one(params, 'kind');
  if (kind !== undefined) {
    if (!isTorrentKind(kind)) throw new QueryError(`kind: expected one of ${TORRENT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
    query.kinds = [kind];
  }
  const min = one(params, 'min_size');
  const max = one(params, 'max_size');
  if (min !== undefined) query.minSize = parseSize(min, 'min_size');
  if (max !== undefined) query.maxSize = parseSize(max, 'max_size');
  if (query.minSize !== undefined && query.maxSize !== undefined && query.minSize > query.maxSize) {
    throw new QueryError(`min_size (${min}) is larger than max_size (${max})`);
  }
  return query;
}

/** The query string that asks for `query` (links to other pages and sorts). */
export function searchParams(query: SearchQuery, change: Partial<SearchQuery> = {}): URLSearchParams {
  const q = { ...query, ...change };
  const params = new URLSearchParams();
  if (q.words.length > 0) params.set('q', q.words.join(' '));
  if (q.sort !== 'added') params.set('sort', q.sort);
  if (q.order !== 'desc') params.set('order', q.order);
  if (q.kinds.length === 1) params.set('kind', q.kinds[0]!);
  if (q.minSize !== undefined) params.set('min_size', String(q.minSize));
  if (q.maxSize !== undefined) params.set('max_size', String(q.maxSize));
  if (q.page !== 1) params.set('page', String(q.page));
  return params;
}

/** Whether the query narrows anything beyond its words (then the window applies even without words). */
export function hasFilters(query: SearchQuery): boolean {
  return query.kinds.length > 0 || query.minSize !== undefined || query.maxSize !== undefined;
}
