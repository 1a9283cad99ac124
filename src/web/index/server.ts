/**
 * `btdht serve`: the search index over a crawl database, on HTTP. Pages
 * (search, torrent, statistics, API help), the JSON API, RSS and Torznab.
 * Read-only (GET and HEAD); every page is rendered with its text escaped and
 * sent under a Content-Security-Policy allowing only this server's own
 * scripts and styles, so a torrent name can never run as code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { packageAsset } from '../assets.ts';
import { HttpFace } from '../http-face.ts';
import type { ListenAddress } from '../listen.ts';
import { detailJson, searchJson } from './api.ts';
import { INDEX_CSS, STATS_SCRIPT } from './assets.ts';
import { kindsOfCategories, rssFeed, torznabCaps, torznabError } from './feeds.ts';
import { errorPage } from './layout.ts';
import { PAGE_SIZE, parseSearch, QueryError, SEARCH_WINDOW, searchWords, wordSearch } from './query.ts';
import type { IndexReader, IndexStats } from './reader.ts';
import { searchPage } from './search-page.ts';
import { apiPage, statsPage } from './stats-page.ts';
import { torrentPage } from './torrent-page.ts';

export interface IndexServerOptions {
  reader: IndexReader;
  /** How long statistics are reused before they are counted again (default 10 s). */
  statsTtlMs?: number;
  /** The URL feeds link to (default: the address it listens on). */
  publicUrl?: string;
}

const RSS_ITEMS = 50;
const TORZNAB_MAX = 100;

const SECURITY = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

export class IndexServer {
  readonly #reader: IndexReader;
  readonly #statsTtlMs: number;
  readonly #publicUrl: string | undefined;
  #face: HttpFace | undefined;
  #stats: { at: number; value: Promise<IndexStats> } | undefined;

  private constructor(options: IndexServerOptions) {
    this.#reader = options.reader;
    this.#statsTtlMs = options.statsTtlMs ?? 10_000;
    this.#publicUrl = options.publicUrl?.replace(/\/+$/, '');
  }

  /** Bind `address` (a ListenError when taken or not ours) and serve. */
  static async start(address: ListenAddress, options: IndexServerOptions, what = '--listen'): Promise<IndexServer> {
    const server = new IndexServer(options);
    server.#face = await HttpFace.start(address, what, {
      handle: (request, response) => server.#handle(request, response),
      failed: (response, error) => send(response, 503, TEXT, `the database could not answer: ${error instanceof Error ? error.message : String(error)}\n`),
      requestTimeoutMs: 15_000,
    });
    return server;
  }

  get address(): ListenAddress {
    return this.#face!.address;
  }

  get url(): string {
    return this.#face!.url;
  }

  /** Stop listening. The reader stays open: its owner closes it. */
  close(): Promise<void> {
    return this.#face!.close();
  }

  #origin(): string {
    return this.#publicUrl ?? this.url;
  }

  #statsNow(): Promise<IndexStats> {
    const now = Date.now();
    if (this.#stats === undefined || now - this.#stats.at > this.#statsTtlMs) {
      const value = this.#reader.stats();
      this.#stats = { at: now, value };
      value.catch(() => (this.#stats = undefined));
    }
    return this.#stats.value;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const head = request.method === 'HEAD';
    if (request.method !== 'GET' && !head) {
      response.setHeader('allow', 'GET, HEAD');
      send(response, 405, TEXT, 'only GET and HEAD\n');
      return;
    }
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://index.invalid');
    } catch {
      send(response, 400, TEXT, 'malformed request target\n');
      return;
    }
    const path = url.pathname;
    const params = url.searchParams;
    const reply = (status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void => send(response, status, type, body, head, headers);
    const json = (status: number, value: unknown): void => reply(status, JSON_TYPE, `${JSON.stringify(value)}\n`);
    try {
      if (path === '/') {
        const query = parseSearch(params);
        reply(200, HTML, searchPage(query, await this.#reader.search(query)));
      } else if (path.startsWith('/torrent/')) {
        const torrent = await this.#reader.torrent(decodeSegment(path.slice('/torrent/'.length)));
        if (torrent === undefined) reply(404, HTML, errorPage(404, 'No torrent with that infohash is in this index.'));
        else reply(200, HTML, torrentPage(torrent));
      } else if (path === '/stats') {
        reply(200, HTML, statsPage(await this.#statsNow()));
      } else if (path === '/api') {
        reply(200, HTML, apiPage(this.#origin()));
      } else if (path === '/api/search') {
        const query = parseSearch(params);
        json(200, searchJson(query, await this.#reader.search(query)));
      } else if (path.startsWith('/api/torrents/')) {
        const torrent = await this.#reader.torrent(decodeSegment(path.slice('/api/torrents/'.length)));
        if (torrent === undefined) json(404, { error: 'no torrent with that infohash (40 or 64 hex digits) in this index' });
        else json(200, detailJson(torrent));
      } else if (path === '/api/stats') {
        json(200, await this.#statsNow());
      } else if (path === '/rss') {
        const q = params.get('q') ?? '';
        const result = await this.#reader.search(wordSearch(q), { offset: 0, limit: RSS_ITEMS });
        const words = searchWords(q);
        reply(200, 'application/rss+xml; charset=utf-8', rssFeed(result.torrents, this.#origin(), words.length > 0 ? `btdht index: ${words.join(' ')}` : 'btdht index: new torrents'));
      } else if (path === '/torznab/api' || path === '/torznab/api/') {
        await this.#torznab(params, reply);
      } else if (path === '/assets/index.css') {
        reply(200, 'text/css; charset=utf-8', INDEX_CSS, { 'cache-control': 'max-age=3600' });
      } else if (path === '/assets/index-stats.js') {
        reply(200, 'text/javascript; charset=utf-8', STATS_SCRIPT, { 'cache-control': 'max-age=3600' });
      } else {
        const asset = packageAsset(path);
        if (asset === undefined) {
          if (path.startsWith('/api/')) json(404, { error: 'not found: /api/search, /api/torrents/:infohash, /api/stats' });
          else reply(404, HTML, errorPage(404, 'No such page.'));
          return;
        }
        const { body, contentType } = await asset;
        reply(200, contentType, body, { 'cache-control': 'max-age=3600' });
      }
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      if (path.startsWith('/api/')) json(400, { error: error.message });
      else if (path.startsWith('/torznab')) reply(400, 'application/xml; charset=utf-8', torznabError(201, error.message));
      else reply(400, HTML, errorPage(400, error.message));
    }
  }

  async #torznab(params: URLSearchParams, reply: (status: number, type: string, body: string) => void): Promise<void> {
    const xml = 'application/xml; charset=utf-8';
    const t = params.get('t') ?? '';
    if (t === 'caps') {
      reply(200, xml, torznabCaps(TORZNAB_MAX, PAGE_SIZE));
      return;
    }
    if (!['search', 'tvsearch', 'movie', 'music', 'book'].includes(t)) {
      reply(200, xml, torznabError(202, `no such function: t=${t} (caps, search, tvsearch, movie, music, book)`));
      return;
    }
    const offset = whole(params.get('offset'), 0, 'offset');
    const limit = Math.min(whole(params.get('limit'), PAGE_SIZE, 'limit'), TORZNAB_MAX);
    if (limit < 1) throw new QueryError('limit: expected at least 1');
    const query = wordSearch(params.get('q') ?? '');
    const cat = params.get('cat');
    if (cat !== null && cat.trim() !== '') {
      const cats = cat.split(',').map((c) => whole(c.trim(), 0, 'cat'));
      const kinds = kindsOfCategories(cats);
      // Only categories we never hold: an empty answer, not everything.
      if (kinds === undefined) {
        reply(200, xml, rssFeed([], this.#origin(), 'btdht index', true, offset, 0));
        return;
      }
      query.kinds = kinds;
    }
    const rows = Math.max(0, Math.min(limit, SEARCH_WINDOW - offset));
    const result = rows === 0 ? { torrents: [], total: 0, capped: true, windowed: false } : await this.#reader.search(query, { offset, limit: rows });
    reply(200, xml, rssFeed(result.torrents, this.#origin(), 'btdht index', true, offset, result.total));
  }
}

function whole(text: string | null, fallback: number, what: string): number {
  if (text === null || text === '') return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new QueryError(`${what}: expected a whole number, got ${JSON.stringify(text)}`);
  return n;
}

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string | Uint8Array, headOnly = false, headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  response.writeHead(status, { 'content-type': contentType, 'content-length': bytes.length, 'cache-control': 'no-store', ...SECURITY, ...headers });
  response.end(headOnly ? undefined : bytes);
}
