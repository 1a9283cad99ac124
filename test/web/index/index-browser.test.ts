/**
 * The index in a real browser (Debian's chromium, puppeteer-core): search a
 * word of a seeded torrent's name, open its page, see its files and magnet
 * link; a hostile name renders as text and runs nothing; the statistics chart
 * draws from the locally served uPlot; no request leaves the server and no
 * console error shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { CHROMIUM, haveChromium, launchChromium, type LaunchedBrowser } from '../../../scripts/chromium.ts';
import { HOSTILE, HYBRID_V2, ih, indexBackends, openIndexSite, type IndexSite } from './fixture.ts';

let chromium: LaunchedBrowser;
let site: IndexSite;
beforeAll(async () => {
  if (!haveChromium()) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (CI does), or set BTDHT_CHROMIUM`);
  [chromium, site] = await Promise.all([launchChromium(), openIndexSite(indexBackends()[0]!)]);
}, 60_000);
afterAll(async () => {
  await chromium?.close();
  await site?.close();
});

/** A page that records console errors and every request not to the index. */
async function watchedPage(): Promise<{ page: Page; errors: string[]; outside: string[] }> {
  const page = await chromium.browser.newPage();
  const errors: string[] = [];
  const outside: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(site.url) && !r.url().startsWith('data:')) outside.push(r.url());
  });
  return { page, errors, outside };
}

describe('the index in chromium', () => {
  it('searches a word of a name, opens the torrent, shows its files, both hashes and its magnet link', async () => {
    const { page, errors, outside } = await watchedPage();
    await page.goto(`${site.url}/`, { waitUntil: 'load', timeout: 20_000 });
    await page.type('input[name=q]', 'waltz');
    await Promise.all([page.waitForNavigation({ timeout: 20_000 }), page.click('button[type=submit]')]);
    expect(new URL(page.url()).searchParams.get('q')).toBe('waltz');
    const rows = await page.$$eval('table.results tbody tr td.name a', (links) => links.map((a) => ({ text: a.textContent, href: a.getAttribute('href') })));
    expect(rows).toEqual([{ text: 'Free Music Archive — Ünïcode Collection', href: `/torrent/${ih(3)}` }]);
    await Promise.all([page.waitForNavigation({ timeout: 20_000 }), page.click('table.results td.name a')]);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Free Music Archive — Ünïcode Collection');
    const files = await page.$$eval('.tree li.file', (items) => items.map((li) => li.textContent));
    expect(files).toEqual(['01 Opening.flac 28.6 MiB', '02 Sunflower Waltz.flac 23.8 MiB']);
    expect(await page.$eval('#infohash-v1', (e) => e.textContent)).toBe(ih(3));
    expect(await page.$eval('#infohash-v2', (e) => e.textContent)).toBe(HYBRID_V2);
    const magnet = await page.$eval('#magnet', (a) => a.getAttribute('href'));
    expect(magnet).toBe(`magnet:?xt=urn:btih:${ih(3)}&xt=urn:btmh:1220${HYBRID_V2}&dn=${encodeURIComponent('Free Music Archive — Ünïcode Collection')}`);
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a hostile name as text on the results and on its page, and runs none of it', async () => {
    const { page, errors } = await watchedPage();
    await page.goto(`${site.url}/?q=pwned`, { waitUntil: 'load', timeout: 20_000 });
    expect(await page.$eval('td.name a', (a) => a.textContent)).toBe(HOSTILE);
    await page.goto(`${site.url}/torrent/${ih(4)}`, { waitUntil: 'load', timeout: 20_000 });
    expect(await page.$eval('h1', (h) => h.textContent)).toBe(HOSTILE);
    expect(await page.$$eval('.tree li.file', (items) => items.map((li) => li.textContent))).toEqual(['evil<script>.txt 10 B']);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    // Only the page's own elements: no script or img came from the name.
    expect(await page.$$eval('main script, main img', (nodes) => nodes.length)).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('draws the statistics chart from the uPlot it serves itself', async () => {
    const { page, errors, outside } = await watchedPage();
    await page.goto(`${site.url}/stats`, { waitUntil: 'load', timeout: 20_000 });
    await page.waitForSelector('#chart-hour[data-drawn]', { timeout: 20_000 });
    expect(await page.$eval('#chart-hour', (e) => e.querySelector('canvas') !== null)).toBe(true);
    expect(await page.$eval('#stat-torrents', (e) => e.textContent)).toBe('5');
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  }, 60_000);
});
