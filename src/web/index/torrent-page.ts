/** One torrent's page: its hashes, sizes, swarm, times, magnet link and file tree. */
import { esc, formatCount, formatSize, formatTime, magnetLink } from './format.ts';
import { fileTreeHtml } from './file-tree.ts';
import { layout } from './layout.ts';
import type { TorrentDetail } from './reader.ts';

export function torrentPage(t: TorrentDetail): string {
  const v2Only = t.infohashV2 !== null && t.infohashV2.slice(0, 40) === t.infohash;
  const hashes = [
    v2Only ? '' : `<dt>Infohash v1</dt><dd><code class="infohash" id="infohash-v1">${t.infohash}</code></dd>`,
    t.infohashV2 === null ? '' : `<dt>Infohash v2</dt><dd><code class="infohash" id="infohash-v2">${t.infohashV2}</code></dd>`,
  ].join('');
  const swarm =
    t.seeders === null
      ? '<dd>not checked yet</dd>'
      : `<dd><span id="seeders">${formatCount(t.seeders)}</span> seeders, <span id="leechers">${formatCount(t.leechers ?? 0)}</span> leechers${
          t.swarmCheckedAt !== null ? ` <span class="note">(checked ${esc(formatTime(t.swarmCheckedAt))})</span>` : ''
        }</dd>`;
  const body = `<h1 class="torrent-name">${esc(t.name)}</h1>
<p><a class="magnet button" id="magnet" href="${esc(magnetLink(t))}">Magnet link</a> <a href="/api/torrents/${t.infohash}">JSON</a></p>
<dl class="facts">
${hashes}
<dt>Version</dt><dd>${t.infohashV2 === null ? 'v1' : v2Only ? 'v2' : 'hybrid (v1 + v2)'}</dd>
<dt>Size</dt><dd>${esc(formatSize(t.size))} <span class="note">(${formatCount(t.size)} bytes)</span></dd>
<dt>Files</dt><dd>${formatCount(t.fileCount)}</dd>
<dt>Type</dt><dd>${esc(t.kind)}</dd>
<dt>Swarm</dt>${swarm}
<dt>First seen</dt><dd>${esc(formatTime(t.firstSeen))}</dd>
<dt>Last seen</dt><dd>${esc(formatTime(t.lastSeen))}</dd>
<dt>Fetched</dt><dd>${esc(formatTime(t.fetchedAt))}</dd>
</dl>
<h2>Files</h2>
${fileTreeHtml(t.files)}`;
  return layout(t.name, 'search', body);
}
