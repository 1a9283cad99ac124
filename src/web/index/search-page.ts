/** The search page: the form, one page of results, the pager. */
import { TORRENT_KINDS } from '../../crawl/store/kind.ts';
import { esc, formatCount, formatSize, formatTime, magnetLink } from './format.ts';
import { layout } from './layout.ts';
import { MAX_PAGE, PAGE_SIZE, SEARCH_WINDOW, searchParams, SORTS, type SearchQuery, type SearchSort } from './query.ts';
import type { SearchResult, TorrentSummary } from './reader.ts';

const SORT_NAMES: Record<SearchSort, string> = { added: 'Added', first_seen: 'First seen', size: 'Size', seeders: 'Seeders' };

function option(value: string, label: string, selected: boolean): string {
  return `<option value="${esc(value)}"${selected ? ' selected' : ''}>${esc(label)}</option>`;
}

function form(query: SearchQuery): string {
  const kind = query.kinds.length === 1 ? query.kinds[0] : undefined;
  return `<form class="search" action="/" method="get" role="search">
<input type="search" name="q" value="${esc(query.words.join(' '))}" placeholder="Search names and file paths" aria-label="Search words" autofocus>
<select name="kind" aria-label="File type">${option('', 'Any type', kind === undefined)}${TORRENT_KINDS.map((k) => option(k, k, k === kind)).join('')}</select>
<input name="min_size" value="${esc(query.minSize ?? '')}" placeholder="Min size (700MB)" aria-label="Minimum size" size="12">
<input name="max_size" value="${esc(query.maxSize ?? '')}" placeholder="Max size (4GiB)" aria-label="Maximum size" size="12">
<select name="sort" aria-label="Sort by">${SORTS.map((s) => option(s, SORT_NAMES[s], s === query.sort)).join('')}</select>
<select name="order" aria-label="Order">${option('desc', 'Descending', query.order === 'desc')}${option('asc', 'Ascending', query.order === 'asc')}</select>
<button type="submit">Search</button>
</form>`;
}

function row(t: TorrentSummary): string {
  const swarm = t.seeders === null ? '<td class="num">–</td><td class="num">–</td>' : `<td class="num">${formatCount(t.seeders)}</td><td class="num">${formatCount(t.leechers ?? 0)}</td>`;
  return `<tr>
<td class="name"><a href="/torrent/${t.infohash}">${esc(t.name)}</a></td>
<td>${esc(t.kind)}</td>
<td class="num" data-bytes="${t.size}">${esc(formatSize(t.size))}</td>
<td class="num">${formatCount(t.fileCount)}</td>
${swarm}
<td class="time" title="first seen ${esc(formatTime(t.firstSeen))}">${esc(formatTime(t.fetchedAt))}</td>
<td><a class="magnet" href="${esc(magnetLink(t))}" title="Magnet link">magnet</a></td>
</tr>`;
}

function sortLink(query: SearchQuery, sort: SearchSort): string {
  const order = query.sort === sort && query.order === 'desc' ? 'asc' : 'desc';
  const mark = query.sort === sort ? (query.order === 'desc' ? ' ▾' : ' ▴') : '';
  return `<a href="/?${esc(searchParams(query, { sort, order, page: 1 }).toString())}">${SORT_NAMES[sort]}${mark}</a>`;
}

function pager(query: SearchQuery, result: SearchResult): string {
  const pages = Math.min(MAX_PAGE, Math.max(1, Math.ceil(result.total / PAGE_SIZE)));
  const link = (page: number, label: string, rel: string): string => `<a rel="${rel}" href="/?${esc(searchParams(query, { page }).toString())}">${label}</a>`;
  const parts: string[] = [];
  if (query.page > 1) parts.push(link(query.page - 1, '← Previous', 'prev'));
  parts.push(`<span>Page ${query.page} of ${formatCount(pages)}</span>`);
  if (query.page < pages) parts.push(link(query.page + 1, 'Next →', 'next'));
  return `<nav class="pager">${parts.join(' ')}</nav>`;
}

export function searchPage(query: SearchQuery, result: SearchResult): string {
  const searching = query.words.length > 0;
  const first = (query.page - 1) * PAGE_SIZE;
  const count =
    result.total === 0
      ? `<p class="count">No torrents${searching ? ` match <q>${esc(query.words.join(' '))}</q>` : ' yet'}.</p>`
      : `<p class="count">${formatCount(first + 1)}–${formatCount(first + result.torrents.length)} of ${formatCount(result.total)}${result.capped ? '+' : ''} torrents${
          searching ? ` matching <q>${esc(query.words.join(' '))}</q>` : ''
        }${
          !result.capped
            ? ''
            : result.windowed
              ? ` <span class="note">(sorted and filtered among the newest ${formatCount(SEARCH_WINDOW)} matches: add words to narrow)</span>`
              : ` <span class="note">(counted up to ${formatCount(SEARCH_WINDOW)})</span>`
        }</p>`;
  const table =
    result.torrents.length === 0
      ? ''
      : `<table class="results">
<thead><tr><th>Name</th><th>Type</th><th class="num">${sortLink(query, 'size')}</th><th class="num">Files</th><th class="num">${sortLink(query, 'seeders')}</th><th class="num">Leechers</th><th>${sortLink(query, 'added')}</th><th></th></tr></thead>
<tbody>
${result.torrents.map(row).join('\n')}
</tbody>
</table>
${pager(query, result)}`;
  return layout(searching ? query.words.join(' ') : 'Search', 'search', `${form(query)}\n${count}\n${table}`);
}
