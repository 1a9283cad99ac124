/** The statistics page: totals, finds per hour and per day (a chart, and the same figures as a table), sources. */
import { esc, formatCount, formatSize, formatTime } from './format.ts';
import { layout } from './layout.ts';
import type { HourCount, IndexStats } from './reader.ts';
import { SEARCH_WINDOW } from './query.ts';

function table(id: string, rows: HourCount[], what: 'hour' | 'day'): string {
  if (rows.length === 0) return `<p class="note">Nothing found in that time.</p>`;
  const when = (at: number): string => (what === 'day' ? new Date(at).toISOString().slice(0, 10) : formatTime(at));
  return `<table class="counts" id="${id}"><thead><tr><th>${what === 'day' ? 'Day' : 'Hour'}</th><th class="num">Torrents</th><th class="num">New infohashes</th></tr></thead><tbody>
${rows
  .slice()
  .reverse()
  .map((r) => `<tr><td>${esc(when(r.at))}</td><td class="num">${formatCount(r.torrents)}</td><td class="num">${formatCount(r.infohashes)}</td></tr>`)
  .join('\n')}
</tbody></table>`;
}

export function statsPage(s: IndexStats): string {
  const body = `<h1>Statistics</h1>
<div class="cards">
<div class="card"><b id="stat-torrents">${formatCount(s.torrents)}</b> torrents</div>
<div class="card"><b id="stat-infohashes">${formatCount(s.infohashes)}</b> infohashes seen</div>
<div class="card"><b id="stat-bytes">${esc(formatSize(s.dbBytes))}</b> database (${esc(s.backend)})</div>
<div class="card"><b>${s.newestAt === null ? '–' : esc(formatTime(s.newestAt))}</b> newest torrent</div>
</div>
<h2>Found per hour (last 72 hours)</h2>
<div class="chart" id="chart-hour" data-series="perHour"></div>
<h2>Found per day (last 90 days)</h2>
<div class="chart" id="chart-day" data-series="perDay"></div>
${table('per-day', s.perDay, 'day')}
<details><summary>Per hour</summary>${table('per-hour', s.perHour, 'hour')}</details>
<h2>Sources</h2>
<p class="note">New infohashes by what first reported them (one may count under several).</p>
<table class="counts" id="sources"><tbody>
<tr><td>get_peers queries</td><td class="num">${formatCount(s.sources.get_peers)}</td></tr>
<tr><td>announce_peer messages</td><td class="num">${formatCount(s.sources.announce_peer)}</td></tr>
<tr><td>BEP 51 samples</td><td class="num">${formatCount(s.sources.sample)}</td></tr>
</tbody></table>`;
  return layout('Statistics', 'stats', body, '<link rel="stylesheet" href="/assets/uplot.min.css"><script src="/assets/uplot.min.js" defer></script><script src="/assets/index-stats.js" defer></script>');
}

export function apiPage(origin: string): string {
  const o = esc(origin);
  const body = `<h1>API</h1>
<p>Read-only, JSON unless said otherwise. Every text field is the torrent's own (hostile) text: escape it where you show it.</p>
<dl class="api">
<dt><code>GET /api/search?q=WORDS&amp;page=N&amp;sort=added|first_seen|size|seeders&amp;order=desc|asc&amp;kind=KIND&amp;min_size=700MB&amp;max_size=4GiB</code></dt>
<dd>One page of torrents matching every word in their name or file paths, with the total, counted up to ${formatCount(SEARCH_WINDOW)} (<code>capped</code>: more matched; <code>windowed</code>: sorted and filtered among the newest ${formatCount(SEARCH_WINDOW)} matches). Newest added first by default. <a href="${o}/api/search?q=linux">Example</a></dd>
<dt><code>GET /api/torrents/INFOHASH</code></dt><dd>One torrent by its v1 infohash, its v2 infohash (64 hex) or its truncated v2 infohash, with its files.</dd>
<dt><code>GET /api/stats</code></dt><dd>Totals, finds per hour and per day, database size, sources.</dd>
<dt><code>GET /rss?q=WORDS</code></dt><dd>RSS 2.0 feed of the newest torrents (matching the words if given).</dd>
<dt><code>GET /torznab/api?t=caps</code>, <code>?t=search&amp;q=WORDS&amp;cat=2000&amp;offset=0&amp;limit=50</code></dt><dd>Torznab, for indexer managers (Prowlarr, Jackett, Sonarr, Radarr): add <code>${o}/torznab</code> as a generic Torznab indexer; no API key needed.</dd>
</dl>`;
  return layout('API', 'api', body);
}
