/**
 * The live dashboard's page: a static shell whose script fills it from the
 * `/events` feed (metrics snapshots keyed like Prometheus series). Every
 * number shown carries the series it shows as `data-metric`, so what is on
 * screen can be checked against `/metrics`. Network-supplied text (method
 * names, IPs) only ever goes into textContent.
 */
import { DASHBOARD_SCRIPT } from './client.ts';

export { DASHBOARD_SCRIPT };

export function dashboardPage(title: string, crawling: boolean): string {
  const name = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} — dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/uplot.min.css">
<link rel="stylesheet" href="assets/dashboard.css">
</head>
<body data-crawl="${crawling ? '1' : '0'}">
<header>
  <h1>${name}</h1>
  <span id="status" class="status">connecting…</span>
  <a href="metrics">/metrics</a>
</header>
<main>
  <section class="cards" id="cards"></section>
  <section class="charts">
    <figure><figcaption>Queries in per second, by method</figcaption><div class="chart" id="chart-queries-in"></div></figure>
    <figure><figcaption>Queries out per second, by method</figcaption><div class="chart" id="chart-queries-out"></div></figure>
    <figure><figcaption>Answers to our queries per second</figcaption><div class="chart" id="chart-answers"></div></figure>
    <figure><figcaption>Traffic, bytes per second</figcaption><div class="chart" id="chart-bytes"></div></figure>
    <figure><figcaption>Routing table nodes</figcaption><div class="chart" id="chart-nodes"></div></figure>
    <figure><figcaption>Lookups in flight</figcaption><div class="chart" id="chart-lookups"></div></figure>
  </section>
  <section class="crawl" id="crawl" ${crawling ? '' : 'hidden'}>
    <h2>Crawl</h2>
    <div class="charts">
      <figure><figcaption>Infohashes seen per second, by source</figcaption><div class="chart" id="chart-harvest"></div></figure>
      <figure><figcaption>Metadata per minute</figcaption><div class="chart" id="chart-metadata"></div></figure>
      <figure><figcaption>Fetch queue and connections</figcaption><div class="chart" id="chart-queue"></div></figure>
      <figure><figcaption>Database rows</figcaption><div class="chart" id="chart-rows"></div></figure>
    </div>
    <table id="crawl-table"><caption>Crawl totals</caption><tbody></tbody></table>
  </section>
  <section class="tables">
    <table id="traffic"><caption>Traffic by method (totals)</caption>
      <thead><tr><th>method</th><th>queries in</th><th>queries out</th><th>responses in</th><th>timeouts</th></tr></thead><tbody></tbody></table>
    <table id="lookups"><caption>Lookups by method</caption>
      <thead><tr><th>method</th><th>started</th><th>ok</th><th>failed</th><th>aborted</th><th>mean s</th><th>mean queries</th></tr></thead><tbody></tbody></table>
    <table id="buckets"><caption>Routing table buckets (depth = shared prefix bits)</caption>
      <thead><tr><th>family</th><th>depth</th><th>good</th><th>questionable</th><th>bad</th><th></th></tr></thead><tbody></tbody></table>
    <table id="tables"><caption>Tables against their caps</caption>
      <thead><tr><th>table</th><th>entries</th><th>cap</th><th></th></tr></thead><tbody></tbody></table>
    <table id="drops"><caption>Dropped and invalid messages</caption>
      <thead><tr><th>reason</th><th>count</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script src="assets/uplot.min.js"></script>
<script src="assets/dashboard.js"></script>
</body>
</html>
`;
}

export const DASHBOARD_CSS = `
:root { color-scheme: light dark; --fg: #1d232a; --muted: #66707a; --bg: #f7f8fa; --card: #fff; --line: #dde1e6; --bar: #3b82f6; --warn: #e0a100; }
@media (prefers-color-scheme: dark) { :root { --fg: #e4e7eb; --muted: #98a1ab; --bg: #15191e; --card: #1e242b; --line: #333b44; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1rem; align-items: baseline; padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 1.15rem; margin: 0; }
header a { margin-left: auto; color: var(--muted); }
.status { color: var(--muted); font-variant-numeric: tabular-nums; }
.status.live { color: #16a34a; }
.status.down { color: #dc2626; }
main { padding: 1rem 1.25rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: .6rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; }
.card .label { color: var(--muted); font-size: .8rem; }
.card .value { font-size: 1.3rem; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: .8rem; margin-top: 1rem; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem; min-width: 0; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
.chart { min-height: 200px; }
.tables { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: .8rem; margin-top: 1rem; align-items: start; }
th { white-space: nowrap; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
caption { text-align: left; font-weight: 600; padding: .4rem 0; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid var(--line); text-align: right; font-variant-numeric: tabular-nums; }
th:first-child, td:first-child { text-align: left; }
td.bar { width: 35%; }
.fill { height: .6rem; background: var(--bar); border-radius: 3px; min-width: 1px; }
.fill.high { background: var(--warn); }
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
