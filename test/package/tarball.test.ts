/**
 * btdht as a library user meets it: the repository packed as npm would publish
 * it (dist/ and build/core.wasm must be built), installed into a fresh folder,
 * then used from there — never from the repo — on Node, Deno and Bun, and its
 * typings compiled with the oldest TypeScript we support and the newest.
 * Issue #16: nothing compiled, < 5 MB, what is missing named as what to install.
 */
import { rm, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, footprint, freshApp, mustRun, npmInstall, packRepo, run, type Footprint, type Run } from '../../scripts/consumer.ts';

/** The oldest TypeScript the typings support (README, "Types"); 4.9 cannot read the `.ts` paths in our declarations. */
export const OLDEST_TYPESCRIPT = '5.0.4';
const MAX_INSTALLED_BYTES = 5_000_000;
const fixtures = join(REPO, 'test/package/fixtures');
const deno = join(REPO, 'node_modules/.bin/deno');
const bun = join(REPO, 'node_modules/.bin/bun');
const bunx = join(REPO, 'node_modules/.bin/bunx');

let app = '';
let tarball = '';
let installed: Footprint;
let installOutput = '';

beforeAll(async () => {
  tarball = await packRepo();
  app = await freshApp();
  installOutput = (await npmInstall(app, [tarball])).output;
  installed = await footprint(app);
  await copyFile(join(fixtures, 'loopback.mjs'), join(app, 'loopback.mjs'));
}, 240_000);

afterAll(async () => {
  if (app !== '') await rm(app, { recursive: true, force: true });
  if (tarball !== '') await rm(join(tarball, '..'), { recursive: true, force: true });
});

const inApp = (command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Run> =>
  run(command, args, { cwd: app, timeoutMs: 60_000, env: { ...process.env, NO_COLOR: '1', ...env } });

function loopbackResult(result: Run): { backend: string; pinged: boolean; stored: number; peers: string[] } {
  if (result.code !== 0) throw new Error(`exit ${result.code}\n${result.stdout}\n${result.stderr}`);
  const parsed = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { backend: string; pinged: boolean; stored: number; peers: string[] };
  expect(parsed.stored).toBeGreaterThanOrEqual(1); // by a, and by c when it is among b's closest
  return parsed;
}

describe('npm install btdht (the packed tarball, into a fresh folder)', () => {
  it(`compiles nothing, runs no install script and stays under ${MAX_INSTALLED_BYTES / 1e6} MB`, () => {
    console.log(`installed: ${(installed.bytes / 1e6).toFixed(2)} MB, ${installed.files} files, packages: ${installed.packages.join(' ')}`);
    expect(installed.nativeModules).toEqual([]);
    expect(installed.installScripts).toEqual([]);
    expect(installOutput).not.toMatch(/install-scripts|allowScripts/); // npm 11 warns of any, prepare included
    expect(installed.packages).toContain('btdht');
    for (const crawlerOnly of ['better-sqlite3', 'pg', 'bittorrent-protocol', 'ut_metadata']) expect(installed.packages).not.toContain(crawlerOnly);
    expect(installed.bytes).toBeLessThan(MAX_INSTALLED_BYTES);
  });

  it('ships no source map that points at a file outside the tarball', async () => {
    const { stdout } = await mustRun('tar', ['tzf', tarball], { cwd: app });
    const files = stdout.split('\n').filter(Boolean);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files).toContain('package/build/core.wasm');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files.filter((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toEqual([]);
  });

  it('passes `npm publish --dry-run` with no warning (but the login a dry run does without)', async () => {
    const result = await run('npm', ['publish', '--dry-run', '--ignore-scripts'], { cwd: REPO, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    const warnings = (result.stdout + result.stderr).split('\n').filter((line) => /npm (warn|WARN|ERR)/.test(line) && !/requires you to be logged in/.test(line));
    expect(warnings).toEqual([]);
  });

  it('works on loopback from Node, on both backends', async () => {
    for (const backend of ['wasm', 'js']) {
      const result = loopbackResult(await inApp(process.execPath, ['loopback.mjs', backend]));
      expect(result).toMatchObject({ backend, pinged: true, peers: ['127.0.0.1:6881'] });
    }
  });

  it('says what to install for the crawler (a SQLite driver on a Node without node:sqlite) and for the demo (the peer-wire libraries)', async () => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 13)) {
      const crawl = await inApp(process.execPath, ['node_modules/btdht/bin/btdht.js', 'crawl', '--db', 'x.sqlite', '--host', '127.0.0.1', '--port', '0', '--bootstrap', '127.0.0.1:9', '--duration', '1']);
      expect(crawl.code).not.toBe(0);
      expect(crawl.stderr).toContain('npm install better-sqlite3');
      expect(crawl.stderr).toContain('node:sqlite needs Node >= 22.5');
    }
    const script = join(app, 'fetcher.mjs');
    // The fetcher speaks the peer wire itself: nothing optional to install.
    await writeFile(script, "import { MetadataFetcher } from 'btdht/crawl';\nconst fetcher = new MetadataFetcher();\nawait fetcher.ready();\nawait fetcher.close();\nconsole.log('fetcher ready');\n");
    const fetcher = await inApp(process.execPath, [script]);
    expect(fetcher.stderr).toBe('');
    expect([fetcher.code, fetcher.stdout.trim()]).toEqual([0, 'fetcher ready']);
    // The demo's seeders use bittorrent-protocol and ut_metadata.
    const demo = await inApp(process.execPath, ['node_modules/btdht/bin/btdht.js', 'crawl-demo', '--nodes', '3', '--torrents', '1', '--duration', '5']);
    expect(demo.code).not.toBe(0);
    expect(demo.stderr).toContain("The crawl demo's seeder needs bittorrent-protocol and ut_metadata");
    expect(demo.stderr).toContain('npm install bittorrent-protocol ut_metadata');
  });

  it('works on loopback from Deno, as the README says to run it', async () => {
    const result = loopbackResult(await inApp(deno, ['run', '--allow-net', '--allow-read', '--unstable-net', 'loopback.mjs']));
    expect(result).toMatchObject({ backend: 'wasm', pinged: true, peers: ['127.0.0.1:6881'] });
  });

  it('runs the CLI from Deno as the README says (btdht demo)', async () => {
    const demo = await inApp(deno, ['run', '-A', '--unstable-net', 'node_modules/btdht/bin/btdht.js', 'demo', '--nodes', '24']);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/get_peers: found 127\.0\.0\.\d+:6881/);
  });

  it('on Deno without --allow-read, says that the permission is missing (not that core.wasm is unbuilt)', async () => {
    const result = await inApp(deno, ['run', '--no-prompt', '--allow-net', '--unstable-net', 'loopback.mjs']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--allow-read');
    expect(result.stderr).not.toContain('build:wasm');
    // The js backend reads no file: it needs no read permission.
    const js = loopbackResult(await inApp(deno, ['run', '--no-prompt', '--allow-net', '--unstable-net', 'loopback.mjs', 'js']));
    expect(js).toMatchObject({ backend: 'js', peers: ['127.0.0.1:6881'] });
  });

  it('works on loopback from Bun, and `bunx btdht demo` runs', async () => {
    const result = loopbackResult(await inApp(bun, ['loopback.mjs']));
    expect(result).toMatchObject({ backend: 'wasm', pinged: true, peers: ['127.0.0.1:6881'] });
    const demo = await inApp(bunx, ['--bun', 'btdht', 'demo', '--nodes', '24']);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/get_peers: found 127\.0\.0\.\d+:6881/);
  });
});

describe('the typings, as a consumer compiles them', () => {
  it(`compile a consumer file with TypeScript ${OLDEST_TYPESCRIPT} (the oldest supported) and the newest, strict, no skipLibCheck`, async () => {
    await npmInstall(app, [`ts-oldest@npm:typescript@${OLDEST_TYPESCRIPT}`, 'ts-newest@npm:typescript@latest']);
    await copyFile(join(fixtures, 'consumer.ts'), join(app, 'consumer.ts'));
    const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [] };
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
    for (const ts of ['ts-oldest', 'ts-newest']) {
      const version = await mustRun(process.execPath, [`node_modules/${ts}/bin/tsc`, '--version'], { cwd: app });
      const result = await inApp(process.execPath, [`node_modules/${ts}/bin/tsc`, '-p', 'tsconfig.json']);
      expect(result.code, `${version.stdout.trim()}:\n${result.stdout}${result.stderr}`).toBe(0);
    }
    // And a consumer error is caught, so a pass means the typings were read.
    await writeFile(join(app, 'wrong.ts'), "import { DHT } from 'btdht';\nnew DHT({ port: 'six' });\n");
    await writeFile(join(app, 'tsconfig.wrong.json'), JSON.stringify({ compilerOptions, files: ['wrong.ts'] }));
    const wrong = await inApp(process.execPath, ['node_modules/ts-oldest/bin/tsc', '-p', 'tsconfig.wrong.json']);
    expect(wrong.stdout).toContain("Type 'string' is not assignable to type 'number'");
  }, 180_000);
});
