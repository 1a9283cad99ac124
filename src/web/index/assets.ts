/** The index's own stylesheet and the statistics page's chart script (served from here: no CDN). */

export const INDEX_CSS = `
:root { color-scheme: light dark; --fg: #1d2125; --muted: #667; --bg: #fff; --line: #dde; --accent: #2561c4; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e6e6; --muted: #99a; --bg: #16181b; --line: #333842; --accent: #7aa7ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 2em; align-items: baseline; padding: .7em 1.5em; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; font-size: 1.15em; color: var(--fg); text-decoration: none; }
nav a { margin-right: 1.2em; }
nav a[aria-current] { font-weight: 600; text-decoration: none; color: var(--fg); }
main { padding: 1em 1.5em; max-width: 1300px; }
footer { padding: 1em 1.5em; color: var(--muted); font-size: .85em; border-top: 1px solid var(--line); }
a { color: var(--accent); }
form.search { display: flex; flex-wrap: wrap; gap: .5em; margin: .5em 0 1em; }
form.search input[type=search] { flex: 1 1 24em; font-size: 1.05em; padding: .35em .5em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
td.name { word-break: break-word; max-width: 40em; }
.num { text-align: right; white-space: nowrap; }
.time { white-space: nowrap; }
.note, .count { color: var(--muted); }
.error { color: #c33; }
.pager { margin: 1em 0; display: flex; gap: 1em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1.2em; }
dl.facts dd { margin: 0; }
.infohash { font-size: .95em; word-break: break-all; }
h1.torrent-name { word-break: break-word; }
a.button { display: inline-block; padding: .35em .9em; border: 1px solid var(--accent); border-radius: 4px; text-decoration: none; }
.tree ul { list-style: none; padding-left: 1.2em; margin: 0; }
.tree > ul { padding-left: 0; }
.tree li { word-break: break-word; }
.tree .size { color: var(--muted); font-size: .9em; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .7em 1em; }
.card b { display: block; font-size: 1.4em; }
.chart { min-height: 40px; margin: .5em 0 1em; }
table.counts { width: auto; min-width: 24em; }
dl.api dd { margin: .2em 0 1em 1em; }
`;

/** Draws /api/stats' perHour and perDay as bar charts with uPlot (loaded before it). */
export const STATS_SCRIPT = `
'use strict';
(async () => {
  const charts = document.querySelectorAll('.chart[data-series]');
  if (charts.length === 0 || typeof uPlot === 'undefined') return;
  const stats = await (await fetch('/api/stats')).json();
  for (const el of charts) {
    const rows = stats[el.dataset.series] || [];
    if (rows.length === 0) { el.textContent = 'Nothing found in that time.'; continue; }
    const data = [rows.map((r) => r.at / 1000), rows.map((r) => r.torrents), rows.map((r) => r.infohashes)];
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
    new uPlot({
      width: Math.min(el.clientWidth || 900, 1200), height: 220,
      series: [{}, { label: 'Torrents', stroke: '#2561c4', fill: 'rgba(37,97,196,0.35)', paths: bars }, { label: 'New infohashes', stroke: '#999', scale: 'ih' }],
      axes: [{}, { label: 'torrents' }, { side: 1, scale: 'ih', grid: { show: false }, label: 'infohashes' }],
    }, data, el);
    el.dataset.drawn = String(rows.length);
  }
})().catch((error) => console.error(error));
`;
