/**
 * The HTTP face of `--metrics`: Prometheus text at `GET /metrics`, the live
 * dashboard at `GET /` (its script, styles and uPlot served from the package),
 * and the dashboard's feed at `GET /events` (server-sent events, one metrics
 * snapshot every `intervalMs` while anyone listens). Read-only: GET and HEAD.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { packageAsset } from './assets.ts';
import { DASHBOARD_CSS, DASHBOARD_SCRIPT, dashboardPage } from './dashboard/page.ts';
import type { MetricsHub } from './metrics/hub.ts';
import { HttpFace } from './http-face.ts';
import type { ListenAddress } from './listen.ts';

export interface MetricsServerOptions {
  hub: MetricsHub;
  /** The dashboard's title (what runs: "btdht node", "btdht crawl"). */
  title: string;
  /** How often the dashboard gets a snapshot (default 1 s). */
  intervalMs?: number;
  /** Dashboards connected at once, at most (default 16); more get 503. */
  maxClients?: number;
}

const NO_CACHE = { 'cache-control': 'no-store' };

export class MetricsServer {
  readonly #options: Required<MetricsServerOptions>;
  readonly #clients = new Set<ServerResponse>();
  #face: HttpFace | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #sending = false;

  private constructor(options: MetricsServerOptions) {
    this.#options = { intervalMs: 1_000, maxClients: 16, ...options };
  }

  /** Bind `address` (a ListenError when the port is taken or the address not ours) and serve. */
  static async start(address: ListenAddress, options: MetricsServerOptions, what = '--metrics'): Promise<MetricsServer> {
    const server = new MetricsServer(options);
    server.#face = await HttpFace.start(address, what, {
      handle: (request, response) => server.#handle(request, response),
      failed: (response, error) => respond(response, 500, 'text/plain; charset=utf-8', `internal error: ${error instanceof Error ? error.message : String(error)}\n`),
      requestTimeoutMs: 10_000,
    });
    return server;
  }

  /** Where it listens (the bound port when 0 was asked). */
  get address(): ListenAddress {
    return this.#face!.address;
  }

  get url(): string {
    return this.#face!.url;
  }

  /** Stop listening and end every dashboard feed. */
  close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const client of this.#clients) client.end();
    this.#clients.clear();
    return this.#face!.close();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      respond(response, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const hub = this.#options.hub;
    switch (path) {
      case '/metrics':
        respond(response, 200, hub.contentType, await hub.text(), request.method === 'HEAD');
        return;
      case '/':
        respond(response, 200, 'text/html; charset=utf-8', dashboardPage(this.#options.title, hub.crawling), request.method === 'HEAD');
        return;
      case '/assets/dashboard.js':
        respond(response, 200, 'text/javascript; charset=utf-8', DASHBOARD_SCRIPT, request.method === 'HEAD');
        return;
      case '/assets/dashboard.css':
        respond(response, 200, 'text/css; charset=utf-8', DASHBOARD_CSS, request.method === 'HEAD');
        return;
      case '/events':
        this.#subscribe(request, response);
        return;
    }
    const asset = packageAsset(path);
    if (asset) {
      const { body, contentType } = await asset;
      respond(response, 200, contentType, body, request.method === 'HEAD', { 'cache-control': 'max-age=3600' });
      return;
    }
    respond(response, 404, 'text/plain; charset=utf-8', 'not found: / (dashboard), /metrics (Prometheus), /events (dashboard feed)\n');
  }

  #subscribe(request: IncomingMessage, response: ServerResponse): void {
    if (this.#clients.size >= this.#options.maxClients) {
      respond(response, 503, 'text/plain; charset=utf-8', `too many dashboards open (${this.#options.maxClients})\n`);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', ...NO_CACHE });
    response.write(`retry: 2000\n\n`);
    this.#clients.add(response);
    request.socket.setTimeout(0);
    request.on('close', () => {
      this.#clients.delete(response);
      if (this.#clients.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    });
    void this.#broadcast([response]);
    this.#timer ??= setInterval(() => void this.#broadcast([...this.#clients]), this.#options.intervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** One snapshot to each of `clients` (skipped while the previous one is still being built). */
  async #broadcast(clients: ServerResponse[]): Promise<void> {
    if (this.#sending || clients.length === 0) return;
    this.#sending = true;
    try {
      const message = `data: ${JSON.stringify(await this.#options.hub.snapshot())}\n\n`;
      for (const client of clients) if (!client.writableEnded && client.writableLength < MAX_BUFFERED) client.write(message);
    } finally {
      this.#sending = false;
    }
  }
}

/** A client that does not read its feed stops getting snapshots past this many buffered bytes. */
const MAX_BUFFERED = 1 << 20;

function respond(response: ServerResponse, status: number, contentType: string, body: string | Uint8Array, headOnly = false, headers: Record<string, string> = NO_CACHE): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  response.writeHead(status, { 'content-type': contentType, 'content-length': bytes.length, 'x-content-type-options': 'nosniff', ...headers });
  response.end(headOnly ? undefined : bytes);
}
