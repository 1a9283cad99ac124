/**
 * The `btdht crawl` and `btdht crawl-demo` commands: bad arguments are
 * refused with a message naming the flag (checked in process, and through
 * the real command for each kind of failure); a harvest-only crawl in process
 * against a small loopback swarm paints its progress line in place on a
 * terminal and stores infohashes but no torrent; crawl-demo runs end to end
 * as a child process and reports every torrent fetched.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { startCrawlSwarm, type CrawlSwarm } from '../../src/crawl/demo/swarm.ts';
import { openSqliteStore } from '../../src/crawl/store/index.ts';
import {
  checkCrawlFlags,
  collectBootstrap,
  CrawlSetupError,
  parseConcurrency,
  parseDb,
  parseDuration,
  parseHost,
  parseIds,
  parseSchema,
  redact,
  runCrawl,
  type CrawlFlags,
} from '../../src/cli/crawl.ts';
import { formatSummary } from '../../src/cli/crawl-progress.ts';
import { CRAWL_CAPS, raisedCaps } from '../../src/cli/crawl-caps.ts';
import { fromHex } from '../../src/util/hex.ts';
import { runCli, startCli, waitUntil } from './helpers/cli-child.ts';

const backend = backends[0] ?? 'wasm';

const base: CrawlFlags = { ids: 1, db: 'x.sqlite', metadata: true, port: 0, host: '127.0.0.1', concurrency: 4, backend };

describe('btdht crawl: argument errors', () => {
  it('each parser refuses bad input, naming its flag', () => {
    const refuses = (parse: (value: string) => unknown, value: string, flag: string): void => {
      expect(() => parse(value)).toThrow(InvalidArgumentError);
      expect(() => parse(value)).toThrow(flag);
    };
    for (const bad of ['0', '-1', '1.5', 'many', '65537', '']) refuses(parseIds, bad, '--ids');
    expect(parseIds('64')).toBe(64);
    for (const bad of ['0', '-3', 'soon', '', 'Infinity']) refuses(parseDuration, bad, '--duration');
    expect(parseDuration('2.5')).toBe(2.5);
    for (const bad of ['0', '10001', 'x']) refuses(parseConcurrency, bad, '--concurrency');
    for (const bad of ['', '  ', 'mysql://root@db/crawl', 'https://example.org/db']) refuses(parseDb, bad, '--db');
    expect(parseDb('postgresql://u@127.0.0.1/crawl')).toBe('postgresql://u@127.0.0.1/crawl');
    expect(parseDb('./here.sqlite')).toBe('./here.sqlite');
    for (const bad of ['Public', 'drop table;', '1st', '']) refuses(parseSchema, bad, '--db-schema');
    for (const bad of ['localhost', '127.0.0', '']) refuses(parseHost, bad, '--host');
    expect(() => collectBootstrap('nonsense', undefined)).toThrow(InvalidArgumentError);
    expect(collectBootstrap('127.0.0.1:1,127.0.0.2:2', ['127.0.0.3:3'])).toEqual(['127.0.0.3:3', '127.0.0.1:1', '127.0.0.2:2']);
    expect(collectBootstrap('', undefined)).toEqual([]);
    expect(redact('postgres://crawler:s3cret@db.example:5432/dht')).toBe('postgres://crawler:***@db.example:5432/dht');
  });

  it('refuses flags that contradict each other before opening anything', () => {
    expect(() => checkCrawlFlags({ ...base, metadata: false, torrents: '/tmp/t' })).toThrow(CrawlSetupError);
    expect(() => checkCrawlFlags({ ...base, dbSchema: 'crawl' })).toThrow(/--db-schema is for PostgreSQL/);
    expect(() => checkCrawlFlags({ ...base, db: 'postgres://u@127.0.0.1/x', dbSchema: 'crawl' })).not.toThrow();
  });

  it('the command exits 2 (bad usage) with a clear message, for each kind of failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'btdht-crawl-args-'));
    try {
      const cases: Array<{ args: string[]; message: RegExp }> = [
        { args: ['crawl', '--ids', '0'], message: /--ids: expected a whole number from 1 to 65536, got "0"/ },
        { args: ['crawl', '--no-metadata', '--torrents', join(dir, 't')], message: /--torrents needs the metadata/ },
        { args: ['crawl', '--db', join(dir, 'no-such-folder', 'crawl.sqlite'), '--host', '127.0.0.1', '--port', '0'], message: /cannot open the database .*no-such-folder/ },
        { args: ['crawl-demo', '--nodes', '2'], message: /--nodes: expected a whole number from 3 to 250/ },
        { args: ['crawl', '--state', join(dir, 'no-such-folder', 's.json'), '--db', join(dir, 'state.sqlite'), '--host', '127.0.0.1', '--port', '0'], message: /state file .*s\.json: its folder .*no-such-folder does not exist/ },
      ];
      // Each exits within seconds; the bound only stops a hung child (five starting at once take long on a loaded machine).
      const results = await Promise.all(cases.map((c) => runCli(c.args, 100_000)));
      for (const [i, result] of results.entries()) {
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(cases[i]!.message);
        expect(result.stdout).toBe('');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('btdht crawl: the caps it raises over a node\'s', () => {
  it('raisedCaps lists each cap above the node default, with both values', () => {
    expect(raisedCaps({ maxOutstanding: 4_096, rateLimitTrackedIps: 20_000, maxQueriesOutPerSecond: 0, k: 20 })).toEqual([
      { key: 'maxQueriesOutPerSecond', nodeDefault: 500, value: 0 },
      { key: 'rateLimitTrackedIps', nodeDefault: 10_000, value: 20_000 },
    ]);
    expect(raisedCaps({})).toEqual([]);
  });

  it('the crawl runs at its caps, lists each at start (flags override them), and the node keeps its defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'btdht-crawl-caps-'));
    const child = startCli(['crawl', '--no-metadata', '--ids', '1', '--db', join(dir, 'c.sqlite'), '--host', '127.0.0.241', '--port', '0', '--bootstrap', '', '--metrics', '127.0.0.1:0', '--max-outstanding', '8000']);
    try {
      await waitUntil(() => /until SIGINT/.test(child.stderr()), 60_000, 'the crawl to start');
      const lines = child.stderr().split('\n').filter((line) => line.includes('cap raised'));
      expect(lines).toEqual([
        'btdht crawl: cap raised: maxOutstanding 8000 (node default 4096; --max-outstanding sets it)',
        'btdht crawl: cap raised: maxQueriesOutPerSecond 2000 (node default 500; --max-queries-out-per-second sets it)',
        'btdht crawl: cap raised: maxQueuedQueries 4096 (node default 1024; --max-queued-queries sets it)',
        'btdht crawl: cap raised: rateLimitTrackedIps 100000 (node default 10000; --rate-limit-tracked-ips sets it)',
      ]);
      expect(Object.keys(CRAWL_CAPS).sort()).toEqual(['maxOutstanding', 'maxQueriesOutPerSecond', 'maxQueuedQueries', 'rateLimitTrackedIps']);
      // The node runs at them: its tables' caps as /metrics shows them.
      const url = /metrics at (http:\/\/\S+)\/metrics/.exec(child.stderr())![1]!;
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^btdht_table_capacity\{table="outstanding"\} 8000$/m);
      expect(metrics).toMatch(/^btdht_table_capacity\{table="send_queue"\} 4096$/m);
      expect(metrics).toMatch(/^btdht_table_capacity\{table="rate_limited_ips"\} 100000$/m);
      child.process.kill('SIGINT');
      expect((await child.exited).code, child.stderr()).toBe(0);
      // Set back to the node defaults (here in a config file): said so.
      writeFileSync(join(dir, 'c.json'), JSON.stringify({ maxOutstanding: 4096, maxQueriesOutPerSecond: 500, maxQueuedQueries: 1024, rateLimitTrackedIps: 10000 }));
      const plain = await runCli(['crawl', '--config', join(dir, 'c.json'), '--no-metadata', '--ids', '1', '--db', join(dir, 'd.sqlite'), '--host', '127.0.0.241', '--port', '0', '--bootstrap', '', '--duration', '0.5', '--json'], 60_000);
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stderr).toMatch(/^btdht crawl: caps at the node defaults$/m);
      expect(plain.stderr).not.toMatch(/cap raised/);
      expect((JSON.parse(plain.stdout) as { raisedCaps: unknown[] }).raisedCaps).toEqual([]);
    } finally {
      child.process.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe(`btdht crawl against a loopback swarm (${backend} core)`, () => {
  let swarm: CrawlSwarm;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'btdht-crawl-cli-'));
    swarm = await startCrawlSwarm({ nodes: 20, torrents: 5, core: await loadCore(backend) });
  }, 60_000);

  afterAll(async () => {
    await swarm?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--no-metadata harvests infohashes only, with the progress line rewritten in place on a terminal', async () => {
    const painted: string[] = [];
    const out: string[] = [];
    const db = join(dir, 'harvest.sqlite');
    const summary = await runCrawl(
      { ...base, db, metadata: false, duration: 2.5, bootstrap: swarm.bootstrap, host: '127.0.0.245' },
      { out: (line) => out.push(line), err: { isTTY: true, write: (text: string) => painted.push(text) } },
      { crawler: { walkIntervalMs: 500 } },
    );
    expect(summary.metadata.enabled).toBe(false);
    expect(summary.infohashes.unique).toBe(5);
    expect(summary.metadata.fetched).toBe(0);
    expect(summary.store.rows).toEqual({ infohashes: 5, torrents: 0 });
    expect(swarm.seeders.flatMap((s) => s.requested())).toEqual([]); // no seeder was contacted
    const store = await openSqliteStore({ path: db });
    for (const t of swarm.torrents) expect((await store.getInfohash(t.infohash))?.seenSample).toBe(1);
    await store.close();
    // Repainted in place: carriage return and erase-line, then the line, at least twice in 2.5 s.
    const repaints = painted.filter((text) => text.startsWith('\r\x1b[K') && text.includes('infohashes/s get_peers'));
    expect(repaints.length).toBeGreaterThanOrEqual(2);
    expect(repaints.every((text) => !text.slice(0, -1).includes('\n'))).toBe(true);
    expect(painted.join('')).toMatch(/unique 5 \| rows written \d+/);
  }, 30_000);

  it('swarm health: the --swarm-* settings reach the crawler, and the summary and progress line show the swarm counts', async () => {
    const lines: string[] = [];
    const db = join(dir, 'swarm.sqlite');
    const summary = await runCrawl(
      { ...base, db, duration: 60, bootstrap: swarm.bootstrap, host: '127.0.0.243', swarmCheckIntervalMs: 90_000, swarmConcurrency: 3, swarmTracked: 100 },
      { out: () => undefined, err: { write: (text: string) => lines.push(text) } },
      { crawler: { walkIntervalMs: 500, batchDelayMs: 200 }, progressIntervalMs: 200, stopWhen: (stats) => (stats.swarm?.recorded ?? 0) >= 5 },
    );
    expect(summary.metadata.fetched).toBe(5);
    expect(summary.swarm).toMatchObject({ checkIntervalMs: 90_000, tracked: 5, failed: 0 });
    expect(summary.swarm!.recorded).toBeGreaterThanOrEqual(5);
    expect(summary.swarm!.checks).toBeGreaterThanOrEqual(5);
    const store = await openSqliteStore({ path: db });
    for (const t of swarm.torrents) expect((await store.getTorrent(t.infohash))?.swarmCheckedAt).toBeGreaterThan(0);
    await store.close();
    const text = formatSummary(summary).join('\n');
    expect(text).toMatch(new RegExp(`^  swarms +${summary.swarm!.recorded} seeders/leechers counts recorded from ${summary.swarm!.checks} BEP 33 scrapes; 5 torrents scheduled \\(soon after the fetch, then every 1m30s\\)$`, 'm'));
    expect(lines.join('')).toMatch(/\| swarms checked \d+ recorded \d+/);
    // Off: said so in the summary, and no scrape.
    const off = await runCrawl({ ...base, db: join(dir, 'swarm-off.sqlite'), duration: 60, bootstrap: swarm.bootstrap, host: '127.0.0.242', swarmCheckIntervalMs: 0 }, { out: () => undefined, err: { write: () => true } }, {
      crawler: { walkIntervalMs: 500 },
      stopWhen: (stats) => stats.metadata.fetched >= 5,
    });
    expect(off.swarm).toBeUndefined();
    expect(formatSummary(off).join('\n')).toMatch(/^  swarms +not checked \(--swarm-check-interval-ms 0\)$/m);
  }, 150_000);

  it('a state that cannot be saved at stop: everything else closed (last batch written), reported, exit 1, never "saved"', async () => {
    const folder = mkdtempSync(join(dir, 'state-gone-'));
    const state = join(folder, 'state.json');
    const db = join(dir, 'state-gone.sqlite');
    const child = startCli([
      'crawl', '--no-metadata', '--ids', '1', '--db', db, '--host', '127.0.0.244', '--port', '0', '--backend', backend,
      '--bootstrap', swarm.bootstrap.join(','), '--state', state, '--state-save-interval-ms', '0', '--log-level', 'info',
    ]);
    let asking: ReturnType<typeof setInterval> | undefined;
    try {
      // The state was checked and loaded at start; its folder goes once all five infohashes are harvested.
      // Its sample walk alone may miss some: one walk at start, each node asked once (again after hours), and
      // an answer lost twice under load (2 s timeouts) loses that node's infohashes past this test's bounds.
      // So the swarm also asks the child for each infohash, as a client looking for peers would (get_peers
      // sightings), every second until the progress line shows all five.
      await waitUntil(() => /listening on 127\.0\.0\.244:\d+/.test(child.stderr()), 60_000, 'the crawl to listen', () => child.stderr());
      const address = /listening on (127\.0\.0\.244:\d+)/.exec(child.stderr())![1]!;
      const ask = (): void => {
        swarm.torrents.forEach((t, i) => void swarm.nodes[i % swarm.nodes.length]!.query(address, 'get_peers', { info_hash: fromHex(t.infohash) }).catch(() => undefined));
      };
      ask();
      asking = setInterval(ask, 1_000);
      await waitUntil(() => /unique 5 \|/.test(child.stderr()), 60_000, 'the progress line to show 5 infohashes', () => child.stderr());
      clearInterval(asking);
      rmSync(folder, { recursive: true, force: true });
      child.process.kill('SIGINT');
      const { code } = await child.exited;
      const [stdout, stderr] = [child.stdout(), child.stderr()];
      expect(code, stderr).toBe(1);
      expect(stderr).toMatch(/^btdht crawl: saving state to .*state\.json failed/m);
      expect(stderr).toMatch(/ error +state\.save-failed /);
      expect(stdout + stderr).not.toMatch(/state\.saved|state saved/i);
      // The summary of what was crawled is still printed, and the database holds what it says: closed after its last batch.
      expect(stdout).toMatch(/database +sqlite .*: 5 infohashes, 0 torrents/);
      expect(existsSync(`${db}-wal`)).toBe(false);
      const store = await openSqliteStore({ path: db });
      expect(await store.counts()).toEqual({ infohashes: 5, torrents: 0 });
      await store.close();
    } finally {
      clearInterval(asking);
      child.process.kill('SIGKILL');
    }
  }, 90_000);

  it('crawl-demo runs end to end and reports every torrent fetched', async () => {
    const db = join(dir, 'demo.sqlite');
    const result = await runCli(['crawl-demo', '--nodes', '20', '--torrents', '6', '--duration', '40', '--db', db, '--backend', backend], 90_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^btdht crawl-demo: 20 DHT nodes/m);
    expect(result.stdout).toMatch(/metadata +6 fetched and verified/);
    expect(result.stdout).toMatch(/found 6\/6 infohashes; fetched and verified 6\/6 torrents/);
    // It ends with the URL of an index over what it found, checked to serve all six.
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^index over what it found: http:\/\/127\.0\.0\.1:\d+\/ served 6 torrents/);
    const store = await openSqliteStore({ path: db });
    expect(await store.counts()).toEqual({ infohashes: 6, torrents: 6 });
    await store.close();
  }, 100_000);
});
