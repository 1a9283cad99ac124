/**
 * The dashboard in a real browser (Debian's chromium, puppeteer-core): the
 * page loads with no console error and no request leaving the server, its
 * charts draw, and after known traffic on loopback the numbers on screen are
 * those of /metrics. Bounded: a few dozen datagrams, every wait capped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { CHROMIUM, haveChromium, launchChromium, type LaunchedBrowser } from '../../scripts/chromium.ts';
import { CRAWL_STATS, fakeCrawler, measuredNode, RawClient, sendJunk, until, type Measured } from './helpers.ts';

let chromium: LaunchedBrowser;
beforeAll(async () => {
  if (!haveChromium()) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (CI does), or set BTDHT_CHROMIUM`);
  chromium = await launchChromium();
}, 60_000);
afterAll(async () => chromium?.close());

/** Open the dashboard, recording console errors, page errors and every request that is not to the server. */
async function open(node: Measured): Promise<{ page: Page; problems: string[] }> {
  const page = await chromium.browser.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error instanceof Error ? error.message : String(error)}`));
  page.on('requestfailed', (request) => {
    // The feed is cut when the test closes the page or the server: not a fault of the page.
    if (!request.url().endsWith('/events')) problems.push(`request failed: ${request.url()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(`${node.server.url}/`) && !request.url().startsWith('data:')) problems.push(`request outside the server: ${request.url()}`);
  });
  const response = await page.goto(`${node.server.url}/`, { waitUntil: 'load', timeout: 20_000 });
  expect(response?.status()).toBe(200);
  return { page, problems };
}

/** Every number on screen that names its series: `data-metric` → `data-value` and the text shown. */
function onScreen(page: Page): Promise<{ key: string; value: string; text: string }[]> {
  return page.$$eval('[data-metric]', (elements) =>
    elements.map((element) => ({ key: element.getAttribute('data-metric') ?? '', value: element.getAttribute('data-value') ?? '', text: element.textContent ?? '' })),
  );
}

describe('the dashboard in chromium', () => {
  it('loads with no console error, draws its charts, and shows the numbers of /metrics after known traffic', { timeout: 60_000 }, async () => {
    const node = await measuredNode('127.0.0.91', 'wasm');
    const client = await RawClient.open('127.0.0.92');
    const { source, events } = fakeCrawler(CRAWL_STATS);
    node.hub.addCrawler(source, { counts: () => Promise.resolve({ infohashes: 21, torrents: 6 }), sizeBytes: () => Promise.resolve(5 * 1024 * 1024) });
    try {
      const { page, problems } = await open(node);
      const to = node.dht.address();
      // Known traffic, while the page is live: 7 pings, 4 find_node, 2 get_peers, 5 junk datagrams.
      for (let i = 0; i < 7; i++) await client.query(to, 'ping');
      for (let i = 0; i < 4; i++) await client.query(to, 'find_node', { target: new Uint8Array(20).fill(i) });
      for (let i = 0; i < 2; i++) await client.query(to, 'get_peers', { info_hash: new Uint8Array(20).fill(9) });
      await sendJunk('127.0.0.92', to, 5);
      await until(() => node.dht.stats().datagramsIn === 18, 5_000, 'traffic arrived');
      events.emit('fetch', { infohash: '00'.repeat(20), outcome: 'fetched', durationMs: 1_200, attempt: 1, retry: false });
      // The node pings the client to place it in its table: wait for those to time out, then it is quiet.
      await until(() => node.dht.stats().outstanding === 0 && node.dht.stats().tables.pendingPings.size === 0, 10_000, 'node quiet');
      const quietAt = Date.now();
      // A snapshot taken after that is on screen.
      await page.waitForFunction((t) => Number(document.body.getAttribute('data-updated')) > t, { timeout: 15_000 }, quietAt);
      const ping = 'btdht_queries_in_total{method="ping"}';
      const shown = await onScreen(page);
      const metrics = await node.scrape();

      // Every number on screen is the /metrics series it names.
      expect(shown.length).toBeGreaterThan(40);
      const numeric = shown.filter((s) => s.value !== '');
      for (const { key, value } of numeric) {
        expect(metrics.values.has(key), `${key} is a /metrics series`).toBe(true);
        expect(Number(value), key).toBe(metrics.values.get(key));
      }
      // And what the traffic made, as the reader sees it.
      const text = (key: string): string | undefined => shown.find((s) => s.key === key)?.text;
      expect(text(ping)).toBe('7');
      expect(text('btdht_queries_in_total{method="find_node"}')).toBe('4');
      expect(text('btdht_queries_in_total{method="get_peers"}')).toBe('2');
      expect(text('btdht_datagrams_in_total')).toBe('18');
      const invalid = shown.filter((s) => s.key.startsWith('btdht_invalid_messages_total')).reduce((sum, s) => sum + Number(s.value), 0);
      expect(invalid).toBe(5);
      expect(text('btdht_table_capacity{table="routing"}')).toBe('1,280');
      expect(text('btdht_crawl_db_rows{table="torrents"}')).toBe('6');
      expect(text('btdht_crawl_db_size_bytes')).toBe('5.0 MiB');
      expect(text('btdht_crawl_infohashes_new_total{source="sample"}')).toBe('9');
      // The routing table by depth: the client's ping put nobody in (no answer), so every bucket row shows 0 good.
      expect(shown.some((s) => s.key.startsWith('btdht_routing_bucket_nodes{depth="0",family="ipv4",state="good"}'))).toBe(true);

      // The charts are uPlot canvases, in every chart box (the crawl's too: a crawler is measured).
      const charts = await page.$$eval('.chart', (boxes) => boxes.map((box) => ({ id: box.id, canvases: box.querySelectorAll('canvas').length })));
      expect(charts.length).toBe(10);
      for (const chart of charts) expect(chart.canvases, chart.id).toBeGreaterThan(0);
      const status = await page.$eval('#status', (element) => element.textContent ?? '');
      expect(status).toMatch(/^live/);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      client.close();
      await node.close();
    }
  });

  it('says so when the feed is lost, without a console error', { timeout: 60_000 }, async () => {
    const node = await measuredNode('127.0.0.93', 'js');
    let closed = false;
    try {
      const { page, problems } = await open(node);
      await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('live'), { timeout: 15_000 });
      await node.close();
      closed = true;
      await page.waitForFunction(() => document.querySelector('#status')?.classList.contains('down'), { timeout: 15_000 });
      // EventSource reconnects report failed loads to the console as network errors, not script errors.
      expect(problems.filter((p) => !/ERR_CONNECTION_REFUSED|net::|Failed to load resource/.test(p))).toEqual([]);
      await page.close();
    } finally {
      if (!closed) await node.close();
    }
  });
});
