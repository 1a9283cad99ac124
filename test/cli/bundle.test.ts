/**
 * `bin/btdht.js` runs the bundled CLI (dist/bin/btdht.cjs, scripts/bundle-cli.ts):
 * a crawl reads that one file of ours — not dist/'s ~200 modules nor the
 * bundled dependencies' own files — finds build/core.wasm and package.json
 * from there, and still runs only what it uses: a plain crawl does not load
 * Node's HTTP server (the index and metrics servers do), nor the PostgreSQL
 * driver; with --metrics it does. Needs `npm run build:ts`.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runNode } from './fixtures/run-node.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/btdht.js');
const LOG_REQUIRES = fileURLToPath(new URL('./fixtures/log-requires.cjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'btdht-bundle-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Loaded {
  /** Required files under the repository, relative to it. */
  files: string[];
  /** The packages those files (wherever node_modules really is) belong to. */
  packages: string[];
  builtins: string[];
}

/** `…/node_modules/@scope/name/…` → `@scope/name`. */
function packageOf(path: string): string {
  const [first, second] = path.slice(path.lastIndexOf('/node_modules/') + '/node_modules/'.length).split('/');
  return first!.startsWith('@') ? `${first}/${second}` : first!;
}

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; loaded: Loaded }> {
  const { code, stdout, stderr } = await runNode(['--require', LOG_REQUIRES, BIN, ...args]);
  const line = stderr.split('\n').find((l) => l.startsWith('LOADED '));
  const loaded = JSON.parse(line?.slice('LOADED '.length) ?? '{"files":[],"builtins":[]}') as Loaded;
  loaded.packages = [...new Set(loaded.files.filter((path) => path.includes('/node_modules/')).map(packageOf))].sort();
  loaded.files = loaded.files.filter((path) => path.startsWith(ROOT) && !path.includes('/node_modules/')).map((path) => path.slice(ROOT.length));
  return { code, stdout, stderr, loaded };
}

const crawlArgs = (db: string): string[] => ['crawl', '--db', join(tmp, db), '--host', '127.61.204.1', '--port', '0', '--no-ipv6', '--bootstrap', '127.61.204.9:6881', '--duration', '1', '--json'];

describe('the bundled CLI', () => {
  it('is built from the current dist/ (npm run build:ts)', () => {
    expect(statSync(join(ROOT, 'dist/bin/btdht.cjs')).mtimeMs).toBeGreaterThanOrEqual(statSync(join(ROOT, 'dist/cli/main.js')).mtimeMs);
  });

  it('`btdht crawl` runs from the bundle, with the wasm core, and loads only what a crawl uses', async () => {
    const { code, stdout, stderr, loaded } = await run(crawlArgs('crawl.sqlite'));
    expect(code, stderr).toBe(0);
    // The wasm core (the default, no fallback) was read from build/: a wrong path fails the start.
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { node?: { ids?: number }; store?: { kind?: string } };
    expect(summary).toMatchObject({ node: { ids: 16 }, store: { kind: 'sqlite' } });
    // Ours and our dependencies' code come from the bundle; only the SQLite driver (an optional peer) is required.
    expect(loaded.files).toContain('dist/bin/btdht.cjs');
    expect(loaded.files.filter((file) => file.startsWith('dist/') && file !== 'dist/bin/btdht.cjs')).toEqual([]);
    expect(loaded.packages).toEqual(['better-sqlite3', 'bindings', 'file-uri-to-path']);
    for (const unused of ['http', 'https', 'zlib']) expect(loaded.builtins, unused).not.toContain(unused);
  }, 90_000);

  it('`btdht crawl --metrics` loads the metrics server (and HTTP) when asked', async () => {
    const { code, stderr, loaded } = await run([...crawlArgs('metrics.sqlite'), '--metrics', '127.61.204.1:0']);
    expect(code, stderr).toBe(0);
    expect(loaded.builtins).toContain('http');
    expect(loaded.packages).toContain('prom-client');
  }, 90_000);

  it('`btdht --version` reads package.json and `--help` lists every subcommand', async () => {
    const version = await run(['--version']);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['node', 'get-peers', 'announce', 'ping', 'demo', 'put', 'get', 'keygen', 'scrape', 'crawl', 'crawl-demo', 'serve']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
  }, 90_000);
});
