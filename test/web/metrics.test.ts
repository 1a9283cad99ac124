/**
 * `/metrics`: valid Prometheus text (parsed strictly), named by convention,
 * and counters that move by exactly the traffic a client node sends over
 * loopback. Bounded: a few dozen datagrams, every wait capped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { MetricsHub } from '../../src/web/metrics/hub.ts';
import { FETCH_SECONDS_BUCKETS } from '../../src/web/metrics/crawl-metrics.ts';
import { parseExposition, type Exposition, type MetricFamily } from '../helpers/prometheus.ts';
import { CRAWL_STATS, endpointOf, fakeCrawler, measuredNode, quietNode, RawClient, sendJunk, until, type Measured } from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

function value(exposition: Exposition, key: string): number {
  const found = exposition.values.get(key);
  if (found === undefined) throw new Error(`no series ${key} in /metrics`);
  return found;
}

/** The naming rules of issue #14: btdht_ prefix, counters in _total, units in names. */
function checkNames(families: Iterable<MetricFamily>): void {
  for (const family of families) {
    expect(family.name, family.name).toMatch(/^btdht_[a-z0-9_]+$/);
    expect(family.help.length, `${family.name} has a HELP`).toBeGreaterThan(10);
    if (family.type === 'counter') expect(family.name).toMatch(/_total$/);
    else expect(family.name).not.toMatch(/_total$/);
    if (/duration|latency|_age/.test(family.name)) expect(family.name).toMatch(/_seconds$/);
    if (/size/.test(family.name) && family.type !== 'histogram') expect(family.name).toMatch(/_bytes$/);
    for (const sample of family.samples) for (const label of Object.keys(sample.labels)) expect(label).toMatch(/^[a-z][a-z0-9_]*$/);
  }
}

describe('/metrics exposition', () => {
  it('is valid Prometheus text: btdht_ names, counters in _total, units in names, histograms that add up', { timeout: 20_000 }, async () => {
    const node = await measuredNode('127.0.0.21', 'wasm');
    cleanup.push(() => node.close());
    const client = quietNode('127.0.0.22', 'wasm');
    await client.start();
    cleanup.push(() => client.stop());
    await client.ping(endpointOf(node.dht));
    const { source, events } = fakeCrawler(CRAWL_STATS);
    node.hub.addCrawler(source, { counts: () => Promise.resolve({ infohashes: 21, torrents: 6 }), sizeBytes: () => Promise.resolve(123_456) });
    for (const [outcome, ms] of [['fetched', 300], ['fetched', 4_000], ['no-peers', 70]] as const) events.emit('fetch', { infohash: '00'.repeat(20), outcome, durationMs: ms, attempt: 1, retry: false });

    const exposition = await node.scrape();
    checkNames(exposition.families.values());
    // What libtorrent counts for its DHT, and the crawl's part: each present with its type.
    const types = Object.fromEntries([...exposition.families.values()].map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      btdht_routing_nodes: 'gauge',
      btdht_routing_bucket_nodes: 'gauge',
      btdht_datagrams_in_total: 'counter',
      btdht_datagrams_out_total: 'counter',
      btdht_bytes_in_total: 'counter',
      btdht_bytes_out_total: 'counter',
      btdht_lookups_started_total: 'counter',
      btdht_lookups_finished_total: 'counter',
      btdht_lookups_in_flight: 'gauge',
      btdht_lookup_duration_seconds: 'histogram',
      btdht_lookup_queries: 'histogram',
      btdht_external_ip_info: 'gauge',
      btdht_bep42_id_changes_total: 'counter',
      btdht_queries_in_total: 'counter',
      btdht_queries_out_total: 'counter',
      btdht_responses_in_total: 'counter',
      btdht_timeouts_total: 'counter',
      btdht_errors_in_total: 'counter',
      btdht_errors_out_total: 'counter',
      btdht_messages_dropped_total: 'counter',
      btdht_invalid_messages_total: 'counter',
      btdht_rate_limit_blocks_total: 'counter',
      btdht_rate_limit_blocked_ips: 'gauge',
      btdht_destination_budget_total: 'counter',
      btdht_table_entries: 'gauge',
      btdht_table_capacity: 'gauge',
      btdht_crawl_infohashes_seen_total: 'counter',
      btdht_crawl_metadata_fetched_total: 'counter',
      btdht_crawl_metadata_fetch_duration_seconds: 'histogram',
      btdht_crawl_queue_infohashes: 'gauge',
      btdht_crawl_db_rows: 'gauge',
      btdht_crawl_db_size_bytes: 'gauge',
    });
    // Every bounded table beside its cap.
    const tables = exposition.families.get('btdht_table_entries')!.samples.map((s) => s.labels['table']);
    const caps = exposition.families.get('btdht_table_capacity')!.samples.map((s) => s.labels['table']);
    expect(tables).toEqual(caps);
    expect(tables).toEqual(expect.arrayContaining(['routing', 'replacement_cache', 'peers', 'infohashes', 'rate_limited_ips', 'ip_voters', 'items', 'scrape_records']));
    expect(value(exposition, 'btdht_table_capacity{table="routing"}')).toBe(160 * 8);
    expect(value(exposition, 'btdht_routing_nodes{family="ipv4",state="good"}')).toBe(1);
    // The crawl's numbers as its stats and store said, the histogram by outcome.
    expect(value(exposition, 'btdht_crawl_infohashes_seen_total{source="sample"}')).toBe(11);
    expect(value(exposition, 'btdht_crawl_queue_infohashes{state="retry_wait"}')).toBe(1);
    expect(value(exposition, 'btdht_crawl_db_rows{table="torrents"}')).toBe(6);
    expect(value(exposition, 'btdht_crawl_db_size_bytes')).toBe(123_456);
    expect(value(exposition, 'btdht_crawl_metadata_fetch_duration_seconds_count{outcome="fetched"}')).toBe(2);
    expect(value(exposition, 'btdht_crawl_metadata_fetch_duration_seconds_sum{outcome="fetched"}')).toBeCloseTo(4.3, 6);
    expect(value(exposition, 'btdht_crawl_metadata_fetch_duration_seconds_bucket{le="0.5",outcome="fetched"}')).toBe(1);
    expect(value(exposition, 'btdht_crawl_metadata_fetch_duration_seconds_count{outcome="failed"}')).toBe(1);
    expect(FETCH_SECONDS_BUCKETS.at(-1)).toBeGreaterThanOrEqual(60);
  });

  it('escapes hostile label values (a hooked method name with quotes, backslash, newline)', async () => {
    const node = await measuredNode('127.0.0.23', 'js');
    cleanup.push(() => node.close());
    const client = quietNode('127.0.0.24', 'js');
    await client.start();
    cleanup.push(() => client.stop());
    const method = 'x"y\\z\nw';
    node.dht.onQuery(method, () => ({ response: {} }));
    await client.query(endpointOf(node.dht), method, {});
    const exposition = await node.scrape();
    const sample = exposition.families.get('btdht_queries_in_total')!.samples.find((s) => s.labels['method'] === method);
    expect(sample?.value).toBe(1);
  });
});

describe.each(backends)('/metrics counters after known traffic on loopback (%s core)', (backend) => {
  const host = backend === 'wasm' ? '127.0.0.31' : '127.0.0.41';
  const clientHost = backend === 'wasm' ? '127.0.0.32' : '127.0.0.42';

  it('queries by method, datagrams both ways, invalid messages: exact', { timeout: 20_000 }, async () => {
    const node: Measured = await measuredNode(host, backend);
    cleanup.push(() => node.close());
    const client = await RawClient.open(clientHost);
    cleanup.push(() => Promise.resolve(client.close()));
    const before = await node.scrape();
    expect(value(before, 'btdht_datagrams_in_total')).toBe(0);

    const to = node.dht.address();
    for (let i = 0; i < 5; i++) expect((await client.query(to, 'ping'))?.['y']).toEqual(new TextEncoder().encode('r'));
    for (let i = 0; i < 3; i++) await client.query(to, 'find_node', { target: new Uint8Array(20).fill(i) });
    for (let i = 0; i < 2; i++) await client.query(to, 'get_peers', { info_hash: new Uint8Array(20).fill(9) });
    const junkBytes = await sendJunk(clientHost, to, 4);
    await until(() => node.dht.stats().datagramsIn === 14, 5_000, 'traffic arrived');
    // Everything the node sent went to the client: wait until it has all arrived.
    await until(() => client.bytesReceived === node.dht.stats().bytesOut, 5_000, 'answers arrived');

    const after = await node.scrape();
    expect(value(after, 'btdht_queries_in_total{method="ping"}')).toBe(5);
    expect(value(after, 'btdht_queries_in_total{method="find_node"}')).toBe(3);
    expect(value(after, 'btdht_queries_in_total{method="get_peers"}')).toBe(2);
    expect(after.families.get('btdht_queries_in_total')!.samples).toHaveLength(3);
    const invalid = after.families.get('btdht_invalid_messages_total')!.samples.reduce((sum, s) => sum + s.value, 0);
    expect(invalid).toBe(4);
    expect(value(after, 'btdht_datagrams_in_total')).toBe(14);
    // Ten answers, plus whatever the node asked the client itself (a ping to place it in its table), never answered.
    const asked = after.families.get('btdht_queries_out_total')!.samples.reduce((sum, s) => sum + s.value, 0);
    expect(value(after, 'btdht_datagrams_out_total')).toBe(10 + asked);
    expect(after.values.get('btdht_responses_in_total{method="ping"}') ?? 0).toBe(0);
    expect(value(after, 'btdht_bytes_in_total')).toBe(client.bytesSent + junkBytes);
    expect(value(after, 'btdht_bytes_out_total')).toBe(client.bytesReceived);
  });

  it('a flooding source: blocked once, every datagram counted as answered, rate-dropped or blocked', { timeout: 20_000 }, async () => {
    const node = await measuredNode(host, backend, { maxQueriesPerIpPerSecond: 2 });
    cleanup.push(() => node.close());
    const client = await RawClient.open(clientHost);
    cleanup.push(() => Promise.resolve(client.close()));
    const SENT = 40;
    const answers = await Promise.all(Array.from({ length: SENT }, () => client.query(node.dht.address(), 'ping', {}, 1_000)));
    await until(() => node.dht.stats().datagramsIn === SENT, 5_000, 'flood arrived');
    const exposition = await node.scrape();
    expect(value(exposition, 'btdht_rate_limit_blocks_total')).toBe(1);
    expect(value(exposition, 'btdht_rate_limit_blocked_ips')).toBe(1);
    const answered = value(exposition, 'btdht_queries_in_total{method="ping"}');
    const rate = value(exposition, 'btdht_messages_dropped_total{reason="rate"}');
    const blocked = exposition.values.get('btdht_messages_dropped_total{reason="blocked"}') ?? 0;
    expect(answered).toBeGreaterThan(0);
    expect(answered + rate + blocked).toBe(SENT);
    expect(answers.filter((a) => a !== undefined)).toHaveLength(answered);
  });
});

describe.each(backends)('/metrics lookups on loopback (%s core)', (backend) => {
  const [host, peerB, peerC] = backend === 'wasm' ? ['127.0.0.51', '127.0.0.52', '127.0.0.53'] : ['127.0.0.61', '127.0.0.62', '127.0.0.63'];

  it('started, ended by outcome, timed, queries per lookup: as the lookups ran', { timeout: 30_000 }, async () => {
    const node = await measuredNode(host, backend);
    cleanup.push(() => node.close());
    const peers = [quietNode(peerB, backend), quietNode(peerC, backend)];
    for (const peer of peers) {
      await peer.start();
      cleanup.push(() => peer.stop());
      expect(await node.dht.addNode(endpointOf(peer))).toBe(true);
    }
    const infohash = new Uint8Array(20).fill(0x77);
    await node.dht.getPeers(infohash);
    // Nobody answers now: the next get_peers lookup fails (timeouts only).
    for (const peer of peers) await peer.stop();
    await node.dht.getPeers(infohash);
    // An aborted lookup is counted, not timed.
    await node.dht.findNode(new Uint8Array(20).fill(1), { signal: AbortSignal.abort() });
    await until(() => node.dht.stats().lookups.inFlight === 0, 10_000, 'lookups over');

    const m = await node.scrape();
    expect(value(m, 'btdht_lookups_started_total{method="get_peers"}')).toBe(2);
    expect(value(m, 'btdht_lookups_finished_total{method="get_peers",outcome="ok"}')).toBe(1);
    expect(value(m, 'btdht_lookups_finished_total{method="get_peers",outcome="failed"}')).toBe(1);
    expect(m.values.get('btdht_lookups_finished_total{method="get_peers",outcome="aborted"}') ?? 0).toBe(0);
    expect(value(m, 'btdht_lookups_finished_total{method="find_node",outcome="aborted"}')).toBeGreaterThanOrEqual(1);
    expect(value(m, 'btdht_lookups_in_flight')).toBe(0);
    // Every lookup started has ended, by one outcome.
    for (const sample of m.families.get('btdht_lookups_started_total')!.samples) {
      const method = sample.labels['method']!;
      const ended = m.families.get('btdht_lookups_finished_total')!.samples.filter((s) => s.labels['method'] === method).reduce((sum, s) => sum + s.value, 0);
      expect(ended, method).toBe(sample.value);
    }
    // Both get_peers lookups timed; every get_peers query the node sent was one of theirs.
    expect(value(m, 'btdht_lookup_duration_seconds_count{method="get_peers"}')).toBe(2);
    expect(value(m, 'btdht_lookup_queries_count{method="get_peers"}')).toBe(2);
    expect(value(m, 'btdht_lookup_queries_sum{method="get_peers"}')).toBe(value(m, 'btdht_queries_out_total{method="get_peers"}'));
    // The failed one waited for at least one timeout (1 s), the histogram says so.
    expect(value(m, 'btdht_lookup_duration_seconds_sum{method="get_peers"}')).toBeGreaterThanOrEqual(1);
    expect(value(m, 'btdht_lookup_duration_seconds_bucket{le="0.5",method="get_peers"}')).toBeLessThanOrEqual(1);
  });
});

describe.each(backends)('/metrics routing table by depth (%s core)', (backend) => {
  const base = backend === 'wasm' ? 100 : 120;

  it('every node in one bucket row, by state; capacity k per bucket; also with several ids (crawler mode)', { timeout: 30_000 }, async () => {
    const node = await measuredNode(`127.0.0.${base}`, backend, { ids: 4 });
    cleanup.push(() => node.close());
    for (let i = 1; i <= 10; i++) {
      const peer = quietNode(`127.0.0.${base + i}`, backend);
      await peer.start();
      cleanup.push(() => peer.stop());
      expect(await node.dht.addNode(endpointOf(peer))).toBe(true);
    }
    const m = await node.scrape();
    const stats = node.dht.stats();
    const rows = m.families.get('btdht_routing_bucket_nodes')!.samples;
    expect(rows.reduce((sum, s) => sum + s.value, 0)).toBe(stats.nodes);
    expect(stats.nodes).toBeGreaterThanOrEqual(10);
    expect(value(m, 'btdht_routing_nodes{family="ipv4",state="good"}')).toBe(rows.filter((s) => s.labels['state'] === 'good').reduce((sum, s) => sum + s.value, 0));
    const capacity = m.families.get('btdht_routing_bucket_capacity')!.samples.reduce((sum, s) => sum + s.value, 0);
    expect(capacity).toBe(stats.buckets * 8);
    // The public buckets(): every node counted once, in the bucket whose prefix it has.
    const buckets = node.dht.buckets();
    expect(buckets).toHaveLength(stats.buckets);
    expect(buckets.reduce((sum, b) => sum + b.good + b.questionable + b.bad, 0)).toBe(stats.nodes);
    for (const n of node.dht.nodes()) {
      const holding = buckets.filter((b) => sharesPrefix(n.id, b.prefix, b.depth));
      expect(holding.length).toBeGreaterThanOrEqual(1);
    }
  });
});

function sharesPrefix(id: Uint8Array, prefixHex: string, bits: number): boolean {
  const prefix = Buffer.from(prefixHex, 'hex');
  for (let bit = 0; bit < bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((id[bit >> 3]! & mask) !== (prefix[bit >> 3]! & mask)) return false;
  }
  return true;
}

describe('/metrics BEP 42 votes', () => {
  it('voters, votes for the adopted external IP, candidates: from the ip our responders report', { timeout: 20_000 }, async () => {
    const node = await measuredNode('127.0.0.140', 'js', { bep42Votes: 1 });
    cleanup.push(() => node.close());
    const before = await node.scrape();
    expect(value(before, 'btdht_bep42_ip_voters{family="ipv4"}')).toBe(0);
    expect(value(before, 'btdht_bep42_external_ip_candidates{family="ipv4"}')).toBe(0);
    expect(before.families.get('btdht_external_ip_info')!.samples).toHaveLength(0);
    // Every answer carries our address as the responder saw it (BEP 42 `ip`): 127.0.0.140.
    const peer = quietNode('127.0.0.141', 'js');
    await peer.start();
    cleanup.push(() => peer.stop());
    await node.dht.ping(endpointOf(peer));
    const after = await node.scrape();
    // One responder network (127.0.0.0/24) holds one vote, for 127.0.0.140: adopted at a threshold of 1.
    expect(value(after, 'btdht_bep42_ip_voters{family="ipv4"}')).toBe(1);
    expect(value(after, 'btdht_bep42_external_ip_votes{family="ipv4"}')).toBe(1);
    expect(value(after, 'btdht_bep42_external_ip_candidates{family="ipv4"}')).toBe(1);
    expect(value(after, 'btdht_external_ip_info{family="ipv4",ip="127.0.0.140"}')).toBe(1);
  });
});

describe('the dashboard feed', () => {
  it('/events sends snapshots whose values are the /metrics series', { timeout: 20_000 }, async () => {
    const node = await measuredNode('127.0.0.25', 'wasm');
    cleanup.push(() => node.close());
    const client = await RawClient.open('127.0.0.26');
    cleanup.push(() => Promise.resolve(client.close()));
    for (let i = 0; i < 3; i++) await client.query(node.dht.address(), 'ping');
    const controller = new AbortController();
    const response = await fetch(`${node.server.url}/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    while (!/\ndata: .*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const snapshot = JSON.parse(/\ndata: (.*)\n\n/.exec(text)![1]!) as { t: number; values: Record<string, number> };
    expect(snapshot.values['btdht_queries_in_total{method="ping"}']).toBe(3);
    const exposition = await node.scrape();
    for (const [key, v] of Object.entries(snapshot.values)) if (key.startsWith('btdht_queries_in_total')) expect(exposition.values.get(key)).toBe(v);
    // The page and its scripts come from the package (no CDN).
    const page = await (await fetch(`${node.server.url}/`)).text();
    expect(page).not.toMatch(/https?:\/\//);
    for (const asset of ['assets/uplot.min.js', 'assets/uplot.min.css', 'assets/dashboard.js', 'assets/dashboard.css']) {
      expect(page).toContain(asset);
      const got = await fetch(`${node.server.url}/${asset}`);
      expect(got.status, asset).toBe(200);
      expect((await got.arrayBuffer()).byteLength, asset).toBeGreaterThan(500);
    }
    expect((await fetch(`${node.server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${node.server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
