/**
 * The index beside a crawl: `btdht crawl --serve` answers while the crawl
 * writes, retention keeps the database within --max-torrents and the summary
 * says how many it removed; `btdht crawl-demo --serve` keeps its index up
 * until stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCore } from '../../../src/core/index.ts';
import { startCrawlSwarm, type CrawlSwarm } from '../../../src/crawl/demo/swarm.ts';
import { formatSummary } from '../../../src/cli/crawl-progress.ts';
import { runCrawl, type CrawlFlags } from '../../../src/cli/crawl.ts';
import { runCrawlDemo } from '../../../src/cli/crawl-demo.ts';
import { backends } from '../../helpers/backends.ts';

const backend = backends[0] ?? 'wasm';

describe('btdht crawl --serve, with retention', () => {
  let swarm: CrawlSwarm;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'btdht-crawl-serve-'));
    swarm = await startCrawlSwarm({ nodes: 20, torrents: 5, core: await loadCore(backend) });
  }, 60_000);

  afterAll(async () => {
    await swarm?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the index while crawling; keeps at most --max-torrents and says how many it removed', async () => {
    const notes: string[] = [];
    let served: Promise<{ status: number; total: number }> | undefined;
    const flags: CrawlFlags = {
      ids: 4,
      db: join(dir, 'crawl.sqlite'),
      metadata: true,
      port: 0,
      host: '127.0.0.1',
      concurrency: 8,
      backend,
      duration: 40,
      bootstrap: swarm.bootstrap,
      serve: { host: '127.0.0.1', port: 0 },
      maxTorrents: 3,
      pruneBy: 'oldest',
    };
    const summary = await runCrawl(
      flags,
      { out: () => {}, err: { isTTY: false, write: (text: string) => notes.push(text) } },
      {
        crawler: { walkIntervalMs: 500, retryDelayMs: 500 },
        retentionIntervalMs: 200,
        onStarted: () => {
          const url = /search index at (http:\/\/127\.0\.0\.1:\d+)\//.exec(notes.join(''))?.[1];
          served = fetch(`${url}/api/search`).then(async (r) => ({ status: r.status, total: ((await r.json()) as { total: number }).total }));
        },
        stopWhen: (stats) => stats.metadata.fetched >= 5,
      },
    );
    expect(served).toBeDefined();
    expect((await served!).status).toBe(200);
    expect(summary.metadata.fetched).toBe(5);
    expect(summary.store.rows.torrents).toBe(3);
    expect(summary.retention).toMatchObject({ removed: 2, by: 'oldest', maxTorrents: 3, errors: 0 });
    expect(formatSummary(summary).join('\n')).toMatch(/retention {3}2 torrents removed \(oldest first; at most 3 torrents\)/);
  }, 60_000);

  it('crawl-demo --serve keeps its index up until stopped', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    let answer: Promise<number> | undefined;
    const result = await runCrawlDemo(
      { nodes: 20, torrents: 4, duration: 40, ids: 4, backend, serve: { host: '127.0.0.1', port: 0 } },
      {
        out: (line) => {
          lines.push(line);
          const url = /^index over what it found: (http:\/\/127\.0\.0\.1:\d+)\//.exec(line)?.[1];
          // Asked after the URL is printed: the index is still up, then stopped.
          if (url !== undefined) answer = fetch(`${url}/api/search?q=`).then(async (r) => ((await r.json()) as { total: number }).total).finally(() => stop.abort());
        },
        err: { isTTY: false, write: () => true },
      },
      stop.signal,
    );
    expect(result.fetched).toBe(4);
    expect(await answer).toBe(4);
    expect(result.index?.served).toBe(4);
    await expect(fetch(`${result.index!.url}/`)).rejects.toThrow();
  }, 90_000);
});
