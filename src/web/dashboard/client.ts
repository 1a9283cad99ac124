/**
 * The dashboard's browser script (plain ES2017, no build step, no imports:
 * uPlot is the global `uPlot` from /assets/uplot.min.js). It keeps the last
 * ten minutes of snapshots, draws rates of counters and levels of gauges, and
 * shows each total in an element whose `data-metric` names its series.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var KEEP_SECONDS = 600;
  var PALETTE = ['#3b82f6', '#ef4444', '#10b981', '#f59e0b', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#f97316', '#64748b', '#14b8a6', '#a855f7'];
  var crawling = document.body.getAttribute('data-crawl') === '1';
  var history = [];
  var charts = {};

  function parseKey(key) {
    var brace = key.indexOf('{');
    if (brace < 0) return { name: key, labels: {} };
    var labels = {};
    var re = /([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")/g;
    var body = key.slice(brace + 1, -1);
    var m;
    while ((m = re.exec(body)) !== null) labels[m[1]] = JSON.parse(m[2]);
    return { name: key.slice(0, brace), labels: labels };
  }

  /** name -> [{ key, labels, value }] */
  function group(values) {
    var byName = {};
    Object.keys(values).forEach(function (key) {
      var parsed = parseKey(key);
      (byName[parsed.name] = byName[parsed.name] || []).push({ key: key, labels: parsed.labels, value: values[key] });
    });
    return byName;
  }

  function fmt(value) {
    if (value === undefined || value === null || isNaN(value)) return '–';
    if (Math.abs(value) >= 1e15) return value.toExponential(3);
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  }

  function bytes(value) {
    if (value === undefined) return '–';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; }
    return value.toFixed(i === 0 ? 0 : 1) + ' ' + units[i];
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (attrs) Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  /** A cell showing one series' value (formatted), named by data-metric. */
  function metricCell(tag, values, key, format) {
    var value = values[key];
    return el(tag, (format || fmt)(value), { 'data-metric': key, 'data-value': value === undefined ? '' : String(value) });
  }

  function fill(tbody, rows) {
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    rows.forEach(function (row) { tbody.appendChild(row); });
  }

  function bar(fraction) {
    var td = el('td', undefined, { class: 'bar' });
    var div = el('div', undefined, { class: 'fill' + (fraction > 0.9 ? ' high' : '') });
    div.style.width = Math.max(0, Math.min(100, fraction * 100)).toFixed(1) + '%';
    td.appendChild(div);
    return td;
  }

  function labelled(name, labels) {
    var keys = Object.keys(labels).sort();
    if (keys.length === 0) return name;
    return name + '{' + keys.map(function (k) { return k + '=' + JSON.stringify(String(labels[k])); }).join(',') + '}';
  }

  function sumOf(groups, name, filter) {
    var list = groups[name];
    if (!list) return undefined;
    var total = 0;
    list.forEach(function (s) { if (!filter || filter(s.labels)) total += s.value; });
    return total;
  }

  // ---- cards

  function renderCards(values, groups) {
    var cards = document.getElementById('cards');
    var items = [];
    function card(label, key, format) {
      var div = el('div', undefined, { class: 'card' });
      div.appendChild(el('div', label, { class: 'label' }));
      div.appendChild(metricCell('div', values, key, format));
      div.lastChild.className = 'value';
      items.push(div);
    }
    (groups.btdht_routing_nodes || []).filter(function (s) { return s.labels.state !== 'bad'; })
      .sort(function (a, b) { return a.key < b.key ? -1 : 1; })
      .forEach(function (s) { card(s.labels.family + ' nodes, ' + s.labels.state, s.key); });
    card('datagrams in', 'btdht_datagrams_in_total');
    card('datagrams out', 'btdht_datagrams_out_total');
    if ('btdht_bytes_in_total' in values) card('bytes in', 'btdht_bytes_in_total', bytes);
    if ('btdht_bytes_out_total' in values) card('bytes out', 'btdht_bytes_out_total', bytes);
    if ('btdht_lookups_in_flight' in values) card('lookups in flight', 'btdht_lookups_in_flight');
    card('blocked IPs now', 'btdht_rate_limit_blocked_ips');
    (groups.btdht_bep42_external_ip_votes || []).forEach(function (s) { card('external IP votes, ' + s.labels.family, s.key); });
    (groups.btdht_external_ip_info || []).forEach(function (s) {
      var div = el('div', undefined, { class: 'card' });
      div.appendChild(el('div', 'external IP, ' + s.labels.family, { class: 'label' }));
      div.appendChild(el('div', s.labels.ip, { class: 'value', 'data-metric': s.key }));
      items.push(div);
    });
    if (crawling) {
      card('torrents fetched', 'btdht_crawl_metadata_fetched_total');
      card('database rows: infohashes', labelled('btdht_crawl_db_rows', { table: 'infohashes' }));
      card('database rows: torrents', labelled('btdht_crawl_db_rows', { table: 'torrents' }));
      card('database size', 'btdht_crawl_db_size_bytes', bytes);
    }
    fill(cards, items);
  }

  // ---- tables

  function renderTraffic(values, groups) {
    var methods = {};
    ['btdht_queries_in_total', 'btdht_queries_out_total', 'btdht_responses_in_total', 'btdht_timeouts_total'].forEach(function (name) {
      (groups[name] || []).forEach(function (s) { methods[s.labels.method] = true; });
    });
    var rows = Object.keys(methods).sort().map(function (method) {
      var tr = el('tr');
      tr.appendChild(el('td', method));
      ['btdht_queries_in_total', 'btdht_queries_out_total', 'btdht_responses_in_total', 'btdht_timeouts_total'].forEach(function (name) {
        tr.appendChild(metricCell('td', values, labelled(name, { method: method })));
      });
      return tr;
    });
    fill(document.querySelector('#traffic tbody'), rows);
  }

  function renderLookups(values, groups) {
    var methods = {};
    (groups.btdht_lookups_started_total || []).forEach(function (s) { methods[s.labels.method] = true; });
    var rows = Object.keys(methods).sort().map(function (method) {
      var tr = el('tr');
      tr.appendChild(el('td', method));
      tr.appendChild(metricCell('td', values, labelled('btdht_lookups_started_total', { method: method })));
      ['ok', 'failed', 'aborted'].forEach(function (outcome) {
        tr.appendChild(metricCell('td', values, labelled('btdht_lookups_finished_total', { method: method, outcome: outcome })));
      });
      var count = values[labelled('btdht_lookup_duration_seconds_count', { method: method })];
      var sum = values[labelled('btdht_lookup_duration_seconds_sum', { method: method })];
      var qSum = values[labelled('btdht_lookup_queries_sum', { method: method })];
      tr.appendChild(el('td', count ? (sum / count).toFixed(2) : '–'));
      tr.appendChild(el('td', count ? (qSum / count).toFixed(1) : '–'));
      return tr;
    });
    fill(document.querySelector('#lookups tbody'), rows);
  }

  function renderBuckets(values, groups) {
    var buckets = {};
    (groups.btdht_routing_bucket_nodes || []).forEach(function (s) {
      var id = s.labels.family + '|' + s.labels.depth;
      buckets[id] = buckets[id] || { family: s.labels.family, depth: Number(s.labels.depth) };
    });
    var list = Object.keys(buckets).map(function (id) { return buckets[id]; });
    list.sort(function (a, b) { return a.family === b.family ? a.depth - b.depth : (a.family < b.family ? -1 : 1); });
    var rows = list.map(function (b) {
      var tr = el('tr');
      tr.appendChild(el('td', b.family));
      tr.appendChild(el('td', String(b.depth)));
      var total = 0;
      ['good', 'questionable', 'bad'].forEach(function (state) {
        var key = labelled('btdht_routing_bucket_nodes', { depth: b.depth, family: b.family, state: state });
        total += values[key] || 0;
        tr.appendChild(metricCell('td', values, key));
      });
      var capacity = values[labelled('btdht_routing_bucket_capacity', { depth: b.depth, family: b.family })];
      tr.appendChild(bar(capacity ? total / capacity : 0));
      return tr;
    });
    fill(document.querySelector('#buckets tbody'), rows);
  }

  function renderTables(values, groups) {
    var rows = (groups.btdht_table_entries || []).slice().sort(function (a, b) { return a.labels.table < b.labels.table ? -1 : 1; }).map(function (s) {
      var capKey = labelled('btdht_table_capacity', { table: s.labels.table });
      var cap = values[capKey];
      var tr = el('tr');
      tr.appendChild(el('td', s.labels.table));
      tr.appendChild(metricCell('td', values, s.key));
      tr.appendChild(metricCell('td', values, capKey, function (v) { return v === 0 ? 'off' : fmt(v); }));
      tr.appendChild(bar(cap ? s.value / cap : 0));
      return tr;
    });
    fill(document.querySelector('#tables tbody'), rows);
  }

  function renderDrops(values, groups) {
    var rows = [];
    (groups.btdht_messages_dropped_total || []).concat(groups.btdht_invalid_messages_total || []).sort(function (a, b) { return a.key < b.key ? -1 : 1; }).forEach(function (s) {
      var tr = el('tr');
      tr.appendChild(el('td', s.labels.reason !== undefined ? s.labels.reason : 'invalid: ' + s.labels.kind));
      tr.appendChild(metricCell('td', values, s.key));
      rows.push(tr);
    });
    fill(document.querySelector('#drops tbody'), rows);
  }

  function renderCrawl(values, groups) {
    var rows = [];
    function row(label, key, format) {
      var tr = el('tr');
      tr.appendChild(el('td', label));
      tr.appendChild(metricCell('td', values, key, format));
      rows.push(tr);
    }
    (groups.btdht_crawl_infohashes_new_total || []).forEach(function (s) { row('new infohashes via ' + s.labels.source, s.key); });
    row('metadata fetched', 'btdht_crawl_metadata_fetched_total');
    row('metadata failed (given up)', 'btdht_crawl_metadata_failed_total');
    row('metadata retries', 'btdht_crawl_metadata_retries_total');
    (groups.btdht_crawl_queue_infohashes || []).forEach(function (s) { row('queue: ' + s.labels.state, s.key); });
    (groups.btdht_crawl_connections || []).forEach(function (s) { row('connections: ' + s.labels.state, s.key); });
    row('items written', 'btdht_crawl_store_items_written_total');
    row('store errors', 'btdht_crawl_store_errors_total');
    fill(document.querySelector('#crawl-table tbody'), rows);
  }

  // ---- charts

  /** Per-second rate of each series of a counter between consecutive snapshots. */
  function rateSeries(name, labelOf, perSeconds) {
    var keys = {};
    history.forEach(function (snap) { (snap.groups[name] || []).forEach(function (s) { keys[s.key] = labelOf(s.labels); }); });
    return Object.keys(keys).sort().map(function (key) {
      var points = history.map(function (snap, i) {
        if (i === 0) return null;
        var prev = history[i - 1];
        var a = prev.values[key], b = snap.values[key];
        var dt = (snap.t - prev.t) / 1000;
        if (a === undefined || b === undefined || dt <= 0 || b < a) return null;
        return (b - a) / dt * (perSeconds || 1);
      });
      return { label: keys[key], points: points };
    });
  }

  /** Levels of each series of a gauge. */
  function levelSeries(name, labelOf, filter) {
    var keys = {};
    history.forEach(function (snap) { (snap.groups[name] || []).forEach(function (s) { if (!filter || filter(s.labels)) keys[s.key] = labelOf(s.labels); }); });
    return Object.keys(keys).sort().map(function (key) {
      return { label: keys[key], points: history.map(function (snap) { var v = snap.values[key]; return v === undefined ? null : v; }) };
    });
  }

  function draw(id, series) {
    var target = document.getElementById(id);
    if (!target || typeof uPlot === 'undefined') return;
    var times = history.map(function (snap) { return snap.t / 1000; });
    var data = [times].concat(series.map(function (s) { return s.points; }));
    var signature = series.map(function (s) { return s.label; }).join('\n');
    var width = Math.max(300, target.clientWidth || 440);
    var chart = charts[id];
    if (chart && chart.signature === signature) {
      if (chart.width !== width) { chart.plot.setSize({ width: width, height: 200 }); chart.width = width; }
      chart.plot.setData(data);
      return;
    }
    if (chart) chart.plot.destroy();
    var options = {
      width: width,
      height: 200,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{ stroke: '#888' }, { stroke: '#888', size: 60 }],
      series: [{}].concat(series.map(function (s, i) { return { label: s.label, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true, points: { show: false } }; })),
    };
    charts[id] = { signature: signature, width: width, plot: new uPlot(options, data, target) };
  }

  function byLabel(name) { return function (labels) { return labels[name]; }; }

  function renderCharts() {
    draw('chart-queries-in', rateSeries('btdht_queries_in_total', byLabel('method')));
    draw('chart-queries-out', rateSeries('btdht_queries_out_total', byLabel('method')));
    draw('chart-answers', [].concat(
      sumRate('btdht_responses_in_total', 'responses'),
      sumRate('btdht_timeouts_total', 'timeouts'),
      sumRate('btdht_errors_in_total', 'errors')));
    var traffic = rateSeries('btdht_bytes_in_total', function () { return 'in'; }).concat(rateSeries('btdht_bytes_out_total', function () { return 'out'; }));
    draw('chart-bytes', traffic);
    draw('chart-nodes', levelSeries('btdht_routing_nodes', function (l) { return l.family + ' ' + l.state; }, function (l) { return l.state !== 'bad'; }));
    draw('chart-lookups', levelSeries('btdht_lookups_in_flight', function () { return 'in flight'; }));
    if (crawling) {
      draw('chart-harvest', rateSeries('btdht_crawl_infohashes_seen_total', byLabel('source')));
      draw('chart-metadata', rateSeries('btdht_crawl_metadata_fetched_total', function () { return 'fetched'; }, 60)
        .concat(rateSeries('btdht_crawl_metadata_failed_total', function () { return 'failed'; }, 60)));
      draw('chart-queue', levelSeries('btdht_crawl_queue_infohashes', byLabel('state')).concat(levelSeries('btdht_crawl_connections', function (l) { return 'connections ' + l.state; })));
      draw('chart-rows', levelSeries('btdht_crawl_db_rows', byLabel('table')));
    }
  }

  /** The rate of the sum over every series of a counter. */
  function sumRate(name, label) {
    var points = history.map(function (snap, i) {
      if (i === 0) return null;
      var prev = history[i - 1];
      var a = sumOf(prev.groups, name), b = sumOf(snap.groups, name);
      var dt = (snap.t - prev.t) / 1000;
      if (a === undefined || b === undefined || dt <= 0 || b < a) return null;
      return (b - a) / dt;
    });
    return [{ label: label, points: points }];
  }

  // ---- feed

  var status = document.getElementById('status');
  function setStatus(text, cls) { status.textContent = text; status.className = 'status ' + cls; }

  function onSnapshot(snapshot) {
    var groups = group(snapshot.values);
    history.push({ t: snapshot.t, values: snapshot.values, groups: groups });
    while (history.length > 1 && history[history.length - 1].t - history[0].t > KEEP_SECONDS * 1000) history.shift();
    renderCards(snapshot.values, groups);
    renderTraffic(snapshot.values, groups);
    renderLookups(snapshot.values, groups);
    renderBuckets(snapshot.values, groups);
    renderTables(snapshot.values, groups);
    renderDrops(snapshot.values, groups);
    if (crawling) renderCrawl(snapshot.values, groups);
    renderCharts();
    document.body.setAttribute('data-updated', String(snapshot.t));
    setStatus('live · ' + new Date(snapshot.t).toLocaleTimeString(), 'live');
  }

  var source = new EventSource('events');
  source.onmessage = function (event) { onSnapshot(JSON.parse(event.data)); };
  source.onerror = function () { setStatus('disconnected, retrying…', 'down'); };
  window.addEventListener('resize', function () { if (history.length) renderCharts(); });
})();
`;
