/**
 * `bin/btdht.js` runs the bundled CLI (dist/bin/, scripts/bundle-cli.ts):
 * a crawl loads the bundle's chunks — not dist/'s ~200 modules nor the
 * bundled dependencies' own files — finds build/core.wasm and package.json
 * from there, and still loads only what it uses: the chunks it reads hold the
 * crawler and the SQLite store, never the index server, the metrics server,
 * the PostgreSQL store or another subcommand. Needs `npm run build:ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/btdht.js');
const LOG_LOADS = fileURLToPath(new URL('./fixtures/log-loads.mjs', import.meta.url));
const META = join(ROOT, 'build/cli-bundle.json');
const tmp = mkdtempSync(join(tmpdir(), 'btdht-bundle-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; loaded: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', LOG_LOADS, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.once('error', reject);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const loaded = stderr
        .split('\n')
        .filter((line) => line.startsWith('LOAD file://'))
        .map((line) => fileURLToPath(line.slice(5)))
        .filter((path) => path.startsWith(ROOT))
        .map((path) => path.slice(ROOT.length));
      resolve({ code, stdout, stderr, loaded });
    });
  });
}

/** The dist/ files inside the bundle chunks that were loaded. */
function inputsOf(loaded: readonly string[]): Set<string> {
  const meta = JSON.parse(readFileSync(META, 'utf8')) as Metafile;
  const inputs = new Set<string>();
  for (const [output, { inputs: of }] of Object.entries(meta.outputs)) {
    const file = output.slice(output.indexOf('dist/bin/'));
    if (loaded.includes(file)) for (const input of Object.keys(of)) inputs.add(input.slice(input.indexOf('dist/')));
  }
  return inputs;
}

describe('the bundled CLI', () => {
  it('is built from the current dist/ (npm run build:ts)', () => {
    expect(statSync(META).mtimeMs).toBeGreaterThanOrEqual(statSync(join(ROOT, 'dist/cli/main.js')).mtimeMs);
  });

  it('`btdht crawl` runs from the bundle, with the wasm core, and loads only the crawl path', async () => {
    const db = join(tmp, 'crawl.sqlite');
    const { code, stdout, stderr, loaded } = await run(['crawl', '--db', db, '--host', '127.61.204.1', '--port', '0', '--no-ipv6', '--bootstrap', '127.61.204.9:6881', '--duration', '1', '--json']);
    expect(code, stderr).toBe(0);
    // The wasm core (the default, no fallback) was read from build/: a wrong path fails the start.
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { node?: { ids?: number }; store?: { kind?: string } };
    expect(summary).toMatchObject({ node: { ids: 16 }, store: { kind: 'sqlite' } });
    // Ours and our dependencies' files come from the bundle; better-sqlite3 (an optional peer) is imported.
    expect(loaded.filter((file) => file.startsWith('dist/') && !file.startsWith('dist/bin/'))).toEqual([]);
    expect(loaded.filter((file) => /node_modules\/(commander|bencode|@noble)\//.test(file))).toEqual([]);
    expect(loaded.some((file) => file.startsWith('node_modules/better-sqlite3/'))).toBe(true);
    const inputs = inputsOf(loaded);
    for (const used of ['dist/cli/main.js', 'dist/cli/crawl.js', 'dist/crawl/crawler.js', 'dist/crawl/store/sqlite.js', 'dist/core/wasm/load.js']) expect(inputs, used).toContain(used);
    for (const unused of ['dist/cli/serve-index.js', 'dist/web/index/server.js', 'dist/web/metrics-server.js', 'dist/crawl/store/postgres.js', 'dist/crawl/demo/swarm.js', 'dist/cli/node.js', 'dist/cli/serve.js', 'dist/cli/crawl-demo.js']) {
      expect(inputs, unused).not.toContain(unused);
    }
  }, 90_000);

  it('`btdht --version` reads package.json and `--help` lists every subcommand', async () => {
    const version = await run(['--version']);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['node', 'get-peers', 'announce', 'ping', 'demo', 'put', 'get', 'keygen', 'scrape', 'crawl', 'crawl-demo', 'serve']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(inputsOf(help.loaded)).toContain('dist/cli/serve.js');
  }, 90_000);
});
