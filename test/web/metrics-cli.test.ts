/**
 * `--metrics HOST:PORT` on `btdht node` and `btdht crawl`, as processes: the
 * server answers while the program runs; a port already in use, or a bad
 * address, is a clear error at start (exit 2) before anything else opens.
 * Loopback only, every process killed after 30 s at most.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExposition } from '../helpers/prometheus.ts';
import { parseListenAddress } from '../../src/web/listen.ts';

const CLI = fileURLToPath(new URL('../cli/fixtures/run-cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'btdht-metrics-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  /** Resolves with the first match of `pattern` in stdout + stderr (or rejects when the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** SIGINT (unless it exited already), then the exit code and output. */
  stop(): Promise<{ code: number | null; stdout: string; stderr: string }>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function run(args: string[]): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  const wake = (): void => waiters.forEach((w) => w());
  proc.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), wake()));
  proc.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), wake()));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
      wake();
    }),
  );
  return {
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(stdout + stderr);
          if (match) resolve(match);
          else if (proc.exitCode !== null || proc.signalCode !== null) reject(new Error(`exited before ${pattern}: ${stdout}${stderr}`));
        };
        waiters.push(check);
        check();
      }),
    stop: () => {
      if (proc.exitCode === null) proc.kill('SIGINT');
      return exited;
    },
  };
}

/** An HTTP server holding a loopback port, so the next bind to it fails. */
async function occupiedPort(host: string): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe('btdht node --metrics', () => {
  it('serves /metrics and the dashboard while it runs, and stops cleanly', { timeout: 40_000 }, async () => {
    const node = run(['node', '--host', '127.0.0.81', '--port', '0', '--bootstrap', '', '--metrics', '127.0.0.1:0']);
    const [, url] = await node.waitFor(/metrics: (http:\/\/127\.0\.0\.1:\d+)\/metrics/);
    await node.waitFor(/^listening /m);
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    const exposition = parseExposition(await response.text());
    expect(exposition.values.get('btdht_routing_nodes{family="ipv4",state="good"}')).toBe(0);
    expect(exposition.families.get('btdht_table_capacity')?.samples.length).toBeGreaterThan(5);
    expect(await (await fetch(`${url}/`)).text()).toContain('<title>btdht node');
    const { code } = await node.stop();
    expect(code).toBe(0);
    // The server went with it.
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
  });

  it('a port in use: exit 2 at start, naming the address, before the node binds', { timeout: 40_000 }, async () => {
    const { port, server } = await occupiedPort('127.0.0.1');
    try {
      const { code, stdout, stderr } = await run(['node', '--host', '127.0.0.82', '--port', '0', '--bootstrap', '', '--metrics', `127.0.0.1:${port}`]).exited;
      expect(stderr).toContain(`--metrics 127.0.0.1:${port}: cannot listen: port ${port} is already in use`);
      expect(stdout).not.toMatch(/listening/);
      expect(code).toBe(2);
    } finally {
      server.close();
    }
  });

  it('a malformed address: exit 2 naming --metrics and the value', { timeout: 40_000 }, async () => {
    const { code, stderr } = await run(['node', '--port', '0', '--bootstrap', '', '--metrics', 'example.org:9100']).exited;
    expect(stderr).toContain('--metrics: "example.org" is not an IP address');
    expect(code).toBe(2);
  });

  it('parses HOST:PORT strictly, each refusal naming what was wrong', () => {
    expect(parseListenAddress('127.0.0.1:9100', '--metrics')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListenAddress('[::1]:0', '--metrics')).toEqual({ host: '::1', port: 0 });
    expect(parseListenAddress('localhost:9100', '--metrics')).toEqual({ host: 'localhost', port: 9100 });
    for (const [bad, why] of [
      ['9100', /expected HOST:PORT/],
      ['127.0.0.1:70000', /port from 0 to 65535, got "127.0.0.1:70000"/],
      ['127.0.0.1:', /expected HOST:PORT/],
      ['::1:9100', /or \[::1\]:9100\) with a port/],
      ['[127.0.0.1]:9100', /IPv6 address goes in brackets/],
      ['example.org:9100', /"example.org" is not an IP address/],
    ] as const) {
      expect(() => parseListenAddress(bad, '--metrics'), bad).toThrow(why);
    }
  });
});

describe('btdht crawl --metrics', () => {
  it('serves the crawl metrics (db rows, queue, harvest by source) during the crawl', { timeout: 40_000 }, async () => {
    const db = join(dir, 'served.sqlite');
    const crawl = run(['crawl', '--host', '127.0.0.83', '--port', '0', '--bootstrap', '', '--ids', '2', '--db', db, '--duration', '20', '--metrics', '127.0.0.1:0']);
    const [, url] = await crawl.waitFor(/metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/);
    const exposition = parseExposition(await (await fetch(`${url}/metrics`)).text());
    expect(exposition.values.get('btdht_crawl_db_rows{table="infohashes"}')).toBe(0);
    expect(exposition.values.get('btdht_crawl_db_size_bytes')).toBeGreaterThan(0);
    expect(exposition.values.get('btdht_crawl_queue_infohashes{state="waiting"}')).toBe(0);
    expect(exposition.families.get('btdht_crawl_infohashes_seen_total')?.samples.map((s) => s.labels['source']).sort()).toEqual(['announce_peer', 'get_peers', 'sample']);
    expect(exposition.families.has('btdht_datagrams_in_total')).toBe(true);
    expect(await (await fetch(`${url}/`)).text()).toContain('data-crawl="1"');
    const { code } = await crawl.stop();
    expect(code).toBe(0);
  });

  it('a port in use: exit 2 at start, and the database is not even created', { timeout: 40_000 }, async () => {
    const { port, server } = await occupiedPort('127.0.0.1');
    const db = join(dir, 'never.sqlite');
    try {
      const { code, stderr } = await run(['crawl', '--host', '127.0.0.84', '--port', '0', '--bootstrap', '', '--db', db, '--duration', '5', '--metrics', `127.0.0.1:${port}`]).exited;
      expect(stderr).toContain(`port ${port} is already in use`);
      expect(code).toBe(2);
      expect(existsSync(db)).toBe(false);
    } finally {
      server.close();
    }
  });
});
