/**
 * The index over both databases, through HTTP: search by words of names and
 * file paths, filters, sorts, paging, a torrent by any of its hashes, the
 * statistics, RSS and Torznab, hostile names escaped, bad input refused with
 * what was wrong. The reader reads while the store writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE, HYBRID_V2, ih, indexBackends, openIndexSite, T0, torrent, type IndexSite } from './fixture.ts';

interface SearchJson {
  total: number;
  capped: boolean;
  page: number;
  results: { infohash: string; infohashV2: string | null; name: string; size: number; kind: string; magnet: string; firstSeen: number; seeders: number | null }[];
}

async function get(site: IndexSite, path: string): Promise<{ status: number; type: string; text: string; headers: Headers }> {
  const response = await fetch(`${site.url}${path}`);
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text(), headers: response.headers };
}

async function search(site: IndexSite, query: string): Promise<SearchJson> {
  const r = await get(site, `/api/search?${query}`);
  expect(r.status, r.text).toBe(200);
  return JSON.parse(r.text) as SearchJson;
}

const names = (r: SearchJson): string[] => r.results.map((t) => t.infohash);

describe.each(indexBackends())('index over $name', (backend) => {
  let site: IndexSite;
  beforeAll(async () => {
    site = await openIndexSite(backend);
  });
  afterAll(async () => {
    await site?.close();
  });

  it('finds torrents by words of their names and of their file paths, every word required, any case and accent', async () => {
    expect(names(await search(site, 'q=debian'))).toEqual([ih(1)]);
    expect(names(await search(site, 'q=BUNNY+1080p'))).toEqual([ih(2)]);
    // "sunflower" is in a file path of 2 and of 3: newest first.
    expect(names(await search(site, 'q=sunflower'))).toEqual([ih(3), ih(2)]);
    expect(names(await search(site, 'q=sunflower+waltz'))).toEqual([ih(3)]);
    expect(names(await search(site, 'q=poster'))).toEqual([ih(2)]); // a file in a folder
    expect(names(await search(site, 'q=%C3%BCn%C3%AFcode'))).toEqual([ih(3)]);
    expect(names(await search(site, 'q=UNICODE'))).toEqual([ih(3)]); // accents folded on both databases
    expect((await search(site, 'q=nothing-like-this')).total).toBe(0);
    // Query syntax is only words: operators and quotes are not syntax errors.
    expect(names(await search(site, `q=${encodeURIComponent('debian" OR NEAR(x')}`))).toEqual([]);
    expect(names(await search(site, `q=${encodeURIComponent('"debian*"')}`))).toEqual([ih(1)]);
  });

  it('browses, filters by kind and size, sorts by first seen, size and seeders, both ways', async () => {
    const all = await search(site, '');
    expect(all.total).toBe(5);
    expect(all.capped).toBe(false);
    expect(names(all)).toEqual([5, 4, 3, 2, 1].map(ih));
    expect(all.results.find((t) => t.infohash === ih(2))?.kind).toBe('video');
    expect(all.results.find((t) => t.infohash === ih(1))?.kind).toBe('software');
    expect(names(await search(site, 'kind=video'))).toEqual([ih(5), ih(2)]);
    expect(names(await search(site, 'kind=audio'))).toEqual([ih(3)]);
    expect(names(await search(site, 'min_size=1GB'))).toEqual([ih(5), ih(1)]);
    expect(names(await search(site, 'min_size=1MB&max_size=1GiB'))).toEqual([ih(3), ih(2)]);
    expect(names(await search(site, 'sort=size'))).toEqual([1, 5, 2, 3, 4].map(ih));
    expect(names(await search(site, 'sort=size&order=asc'))).toEqual([4, 3, 2, 5, 1].map(ih));
    expect(names(await search(site, 'sort=first_seen&order=asc&kind=video'))).toEqual([ih(2), ih(5)]);
    expect(await site.store.recordSwarm([{ infohash: ih(1), seeders: 3, leechers: 1, at: T0 }, { infohash: HYBRID_V2, seeders: 40, leechers: 2, at: T0 }])).toBe(2);
    expect(names(await search(site, 'sort=seeders')).slice(0, 2)).toEqual([ih(3), ih(1)]);
    expect(names(await search(site, 'sort=seeders&min_size=1')).slice(0, 2)).toEqual([ih(3), ih(1)]);
  });

  it('shows a torrent by its v1, v2 or truncated v2 hash: both hashes, files, swarm, times, magnet', async () => {
    for (const hash of [ih(3), HYBRID_V2, HYBRID_V2.slice(0, 40), HYBRID_V2.toUpperCase()]) {
      const r = await get(site, `/api/torrents/${hash}`);
      expect(r.status).toBe(200);
      const t = JSON.parse(r.text) as { infohash: string; infohashV2: string; files: unknown[]; firstSeen: number; lastSeen: number; magnet: string };
      expect(t).toMatchObject({ infohash: ih(3), infohashV2: HYBRID_V2, firstSeen: T0 + 140_000 });
      expect(t.files).toHaveLength(2);
      expect(t.lastSeen).toBe(T0 + 3 * 60_000 - 30_000);
      expect(t.magnet).toBe(`magnet:?xt=urn:btih:${ih(3)}&xt=urn:btmh:1220${HYBRID_V2}&dn=${encodeURIComponent('Free Music Archive — Ünïcode Collection')}`);
    }
    const page = await get(site, `/torrent/${HYBRID_V2}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<code class="infohash" id="infohash-v1">${ih(3)}</code>`);
    expect(page.text).toContain(`<code class="infohash" id="infohash-v2">${HYBRID_V2}</code>`);
    expect(page.text).toContain('02 Sunflower Waltz.flac');
    expect(page.text).toContain('hybrid (v1 + v2)');
    expect((await get(site, `/api/torrents/${ih(99)}`)).status).toBe(404);
    expect((await get(site, '/api/torrents/zz')).status).toBe(404);
    expect((await get(site, `/torrent/${ih(99)}`)).status).toBe(404);
  });

  it('escapes a hostile name and hostile paths everywhere it shows them', async () => {
    const results = await get(site, '/?q=pwned');
    expect(results.status).toBe(200);
    expect(results.headers.get('content-security-policy')).toContain("script-src 'self'");
    for (const text of [results.text, (await get(site, `/torrent/${ih(4)}`)).text]) {
      expect(text).not.toContain('<script>window');
      expect(text).not.toContain('<img src=x');
      expect(text).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;');
    }
    const page = (await get(site, `/torrent/${ih(4)}`)).text;
    expect(page).toContain('&lt;b&gt;bold&lt;/');
    expect(page).toContain('evil&lt;script&gt;.txt');
    expect(page).not.toContain('<b>bold');
    const rss = await get(site, '/rss?q=pwned');
    expect(rss.text).toContain('<title>&lt;script&gt;window.__pwned');
    expect(rss.text).not.toContain('<script>');
    const api = JSON.parse((await get(site, '/api/search?q=pwned')).text) as SearchJson;
    expect(api.results[0]?.name).toBe(HOSTILE);
  });

  it('counts per hour and per day, database size and sources', async () => {
    const r = await get(site, '/api/stats');
    const stats = JSON.parse(r.text) as { torrents: number; infohashes: number; dbBytes: number; perHour: { at: number; torrents: number }[]; perDay: { torrents: number }[]; sources: Record<string, number>; backend: string };
    expect(stats).toMatchObject({ torrents: 5, infohashes: 6, backend: backend.name });
    expect(stats.dbBytes).toBeGreaterThan(0);
    expect(stats.perHour.reduce((s, h) => s + h.torrents, 0)).toBe(5);
    expect(stats.perHour.every((h) => h.at % 3_600_000 === 0)).toBe(true);
    expect(stats.perDay.reduce((s, h) => s + h.torrents, 0)).toBe(5);
    expect(stats.sources).toEqual({ get_peers: 2, announce_peer: 2, sample: 2 });
    const page = await get(site, '/stats');
    expect(page.text).toContain('<b id="stat-torrents">5</b>');
    expect(page.text).toContain('/assets/uplot.min.js');
    expect((await get(site, '/assets/uplot.min.js')).status).toBe(200);
  });

  it('speaks RSS and Torznab (caps, search by words and category, offset and limit)', async () => {
    const rss = await get(site, '/rss');
    expect(rss.type).toContain('application/rss+xml');
    expect(rss.text.match(/<item>/g)).toHaveLength(5);
    const caps = await get(site, '/torznab/api?t=caps');
    expect(caps.text).toContain('<search available="yes" supportedParams="q"/>');
    expect(caps.text).toContain('<category id="2000" name="Movies"/>');
    const found = await get(site, '/torznab/api?t=search&q=sunflower&apikey=anything');
    expect(found.text).toContain('<torznab:response offset="0" total="2"/>');
    expect(found.text).toContain(`<torznab:attr name="infohash" value="${ih(3)}"/>`);
    expect(found.text).toContain('<torznab:attr name="seeders" value="40"/>');
    const movies = await get(site, '/torznab/api?t=movie&cat=2000,2040');
    expect(movies.text.match(/<item>/g)).toHaveLength(2);
    const paged = await get(site, '/torznab/api?t=search&offset=1&limit=2');
    expect(paged.text.match(/<item>/g)).toHaveLength(2);
    expect(paged.text).toContain(`value="${ih(4)}"`);
    expect((await get(site, '/torznab/api?t=nope')).text).toContain('<error code="202"');
    expect((await get(site, '/torznab/api?t=search&limit=x')).text).toContain('<error code="201"');
  });

  it('refuses bad input with what was wrong, and only reads', async () => {
    for (const [query, says] of [
      ['page=0', 'page'],
      ['page=401', 'page'],
      ['sort=name', 'sort'],
      ['kind=films', 'kind'],
      ['min_size=big', 'min_size'],
      ['min_size=2GB&max_size=1GB', 'min_size'],
      ['q=a+b+c+d+e+f+g+h+i', 'q'],
      ['q=a&q=b', 'q'],
    ] as const) {
      const r = await get(site, `/api/search?${query}`);
      expect(r.status, query).toBe(400);
      expect((JSON.parse(r.text) as { error: string }).error).toMatch(new RegExp(`^${says}`));
      expect((await get(site, `/?${query}`)).status).toBe(400);
    }
    expect((await fetch(`${site.url}/api/search`, { method: 'POST' })).status).toBe(405);
    expect((await get(site, '/nope')).status).toBe(404);
  });

  it('reads while a crawl writes: new torrents appear at once', async () => {
    await site.store.write({ torrents: [torrent(6, 'Tears of Steel', [{ path: 'tears_of_steel_1080p.webm', length: 600_000_000 }])] });
    expect(names(await search(site, 'q=steel'))).toEqual([ih(6)]);
    expect((await search(site, '')).total).toBe(6);
  });
});
