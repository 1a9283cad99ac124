/** The JSON the API answers with: plain objects of the reader's records, with their magnet links and pages. */
import { magnetLink } from './format.ts';
import { PAGE_SIZE, type SearchQuery } from './query.ts';
import type { SearchResult, TorrentDetail, TorrentSummary } from './reader.ts';

export interface TorrentJson extends TorrentSummary {
  magnet: string;
  /** The torrent's page, relative to the index. */
  page: string;
}

export function torrentJson<T extends TorrentSummary>(t: T): T & { magnet: string; page: string } {
  return { ...t, magnet: magnetLink(t), page: `/torrent/${t.infohash}` };
}

export function searchJson(query: SearchQuery, result: SearchResult): object {
  return {
    query: {
      words: query.words,
      sort: query.sort,
      order: query.order,
      kinds: query.kinds,
      minSize: query.minSize ?? null,
      maxSize: query.maxSize ?? null,
    },
    page: query.page,
    pageSize: PAGE_SIZE,
    total: result.total,
    capped: result.capped,
    windowed: result.windowed,
    results: result.torrents.map(torrentJson),
  };
}

export function detailJson(t: TorrentDetail): object {
  return torrentJson(t);
}
