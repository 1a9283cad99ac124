/**
 * A package consumer's view of btdht: pack the repository as npm would publish
 * it, install the tarball into a fresh folder (its own npm cache when asked, so
 * nothing comes from this machine's warm cache), and measure what landed. Used
 * by bench/install.ts (the figures in BENCHMARKS.md) and test/package (CI).
 */
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface Run {
  stdout: string;
  stderr: string;
  code: number;
  ms: number;
}

/** Run a command to completion (never throws on a non-zero exit: the caller judges). */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  const start = performance.now();
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 1_800_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        done({ stdout, stderr, code, ms: performance.now() - start });
      },
    );
  });
}

/** Like run, but a non-zero exit is an error that shows the output. */
export async function mustRun(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/**
 * `npm pack` of the repository as it is (dist/ and build/core.wasm must be
 * built: `npm run build`); returns the tarball's path. Scripts are skipped so
 * packing never rebuilds behind the caller's back.
 */
export async function packRepo(destination?: string): Promise<string> {
  const dir = destination ?? (await mkdtemp(join(tmpdir(), 'btdht-pack-')));
  const { stdout } = await mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO });
  const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
  if (info === undefined) throw new Error(`npm pack printed no file: ${stdout}`);
  return join(dir, info.filename);
}

/**
 * `npm pack` of an earlier commit, as it would have been published then: a
 * temporary git worktree at `ref`, built with this checkout's node_modules
 * (linked, not installed: the build tools are the same), packed, then removed.
 * Returns the tarball's path (in `destination` or a new temporary folder).
 */
export async function packRef(ref: string, destination?: string): Promise<string> {
  const dir = destination ?? (await mkdtemp(join(tmpdir(), 'btdht-pack-')));
  const tree = await mkdtemp(join(tmpdir(), 'btdht-ref-'));
  await mustRun('git', ['worktree', 'add', '--detach', '--force', tree, ref], { cwd: REPO });
  try {
    await symlink(join(REPO, 'node_modules'), join(tree, 'node_modules'), 'dir');
    await mustRun('npm', ['run', 'build'], { cwd: tree });
    const { stdout } = await mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: tree });
    const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
    if (info === undefined) throw new Error(`npm pack printed no file: ${stdout}`);
    // Same name as the current version's tarball: keep them apart.
    const renamed = join(dir, info.filename.replace(/\.tgz$/, `-${ref}.tgz`));
    await rename(join(dir, info.filename), renamed);
    return renamed;
  } finally {
    await mustRun('git', ['worktree', 'remove', '--force', tree], { cwd: REPO });
  }
}

/** A fresh folder with a package.json of its own, as `npm init -y` makes. */
export async function freshApp(prefix = 'btdht-app-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }, null, 2) + '\n');
  return dir;
}

export interface Install {
  ms: number;
  output: string;
}

/** `npm install SPEC...` in `dir`, with a cache folder of its own when `cache` is given (a cold install); the output keeps npm's warnings. */
export async function npmInstall(dir: string, specs: readonly string[], cache?: string): Promise<Install> {
  const args = ['install', '--no-audit', '--no-fund', '--loglevel=warn', ...(cache === undefined ? [] : ['--cache', cache]), ...specs];
  const result = await mustRun('npm', args, { cwd: dir });
  return { ms: result.ms, output: result.stdout + result.stderr };
}

export interface Footprint {
  /** Bytes of every file under node_modules (apparent sizes, as a tarball holds them). */
  bytes: number;
  files: number;
  /** Installed packages (folders with a package.json directly under node_modules or a scope). */
  packages: string[];
  /** Packages whose package.json declares an install-time script (preinstall, install, postinstall) or a binding.gyp. */
  installScripts: string[];
  /** Compiled native modules (*.node files). */
  nativeModules: string[];
}

/** What an install left under `dir`/node_modules. */
export async function footprint(dir: string): Promise<Footprint> {
  const root = join(dir, 'node_modules');
  const result: Footprint = { bytes: 0, files: 0, packages: [], installScripts: [], nativeModules: [] };
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        result.files += 1;
        result.bytes += (await lstat(full)).size;
        if (entry.name.endsWith('.node')) result.nativeModules.push(full.slice(root.length + 1));
      }
    }
  };
  await walk(root);
  for (const pkg of await packageDirs(root)) {
    const manifest = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')) as { name?: string; scripts?: Record<string, string> };
    const name = manifest.name ?? pkg;
    result.packages.push(name);
    const scripts = manifest.scripts ?? {};
    const hasGyp = await stat(join(pkg, 'binding.gyp')).then(() => true, () => false);
    if (scripts['preinstall'] !== undefined || scripts['install'] !== undefined || scripts['postinstall'] !== undefined || hasGyp) {
      result.installScripts.push(name);
    }
  }
  result.packages.sort();
  return result;
}

// Every package folder, nested node_modules included.
async function packageDirs(nodeModules: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(nodeModules, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const full = join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      for (const scoped of await readdir(full, { withFileTypes: true })) {
        if (scoped.isDirectory()) found.push(...(await packageAndNested(join(full, scoped.name))));
      }
    } else {
      found.push(...(await packageAndNested(full)));
    }
  }
  return found;
}

async function packageAndNested(dir: string): Promise<string[]> {
  const self = await stat(join(dir, 'package.json')).then(() => [dir], () => []);
  const nested = await stat(join(dir, 'node_modules')).then(() => packageDirs(join(dir, 'node_modules')), () => []);
  return [...self, ...nested];
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}
