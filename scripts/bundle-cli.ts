/**
 * The `btdht` command as a few ESM files (dist/bin/), built from tsc's dist/
 * at `npm run build:ts`: a crawl then resolves, reads and compiles a handful of
 * files instead of ~200 modules of ours and of its dependencies (~100 ms of a
 * crawl's ~400 ms start on a busy 2-core machine; BENCHMARKS.md, "Session 6,
 * fixed cost"). Subcommands and their optional parts stay lazy: every dynamic
 * import becomes a chunk of its own. The library entry points (dist/index.js,
 * dist/core, dist/crawl) are not bundled.
 *
 * Bundled: our dist/ and the packages in `dependencies` (always installed
 * beside us). Left as imports: Node's modules and every optional peer
 * dependency (better-sqlite3, pg, ...), which a user installs or not.
 *
 *   tsx scripts/bundle-cli.ts   (after tsc; writes dist/bin/ and build/cli-bundle.json)
 */
import { build, type Plugin } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}dist/bin`;
/** What the bundle holds, file by file (test/cli/bundle.test.ts reads it); not shipped. */
const BUNDLE_META = `${ROOT}build/cli-bundle.json`;

const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { dependencies?: Record<string, string> };
const bundled = new Set(Object.keys(pkg.dependencies ?? {}));

/** A bare specifier's package name (`@noble/hashes/sha2.js` → `@noble/hashes`). */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Only `dependencies` go into the bundle; anything else a bare import names stays an import. */
const dependenciesOnly: Plugin = {
  name: 'dependencies-only',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || bundled.has(packageOf(args.path))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * dist/core/wasm/load.js finds build/core.wasm three folders up from itself;
 * the bundle's chunks sit two folders below the package root (as dist/cli/
 * did, so package.json is found as before).
 */
const wasmBesideBundle: Plugin = {
  name: 'wasm-beside-bundle',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]core[\\/]wasm[\\/]load\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const from = "new URL('../../../build/core.wasm', import.meta.url)";
      if (source.split(from).length !== 2) throw new Error(`${args.path}: expected exactly one ${from}`);
      return { contents: source.replace(from, "new URL('../../build/core.wasm', import.meta.url)"), loader: 'js' };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: [`${ROOT}dist/cli/main.js`],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Smaller to read and parse; names kept, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // commander is CommonJS: its require('node:events') needs a require in an ES module.
  banner: { js: "import{createRequire as __btdhtRequire}from'node:module';const require=__btdhtRequire(import.meta.url);" },
  plugins: [dependenciesOnly, wasmBesideBundle],
  metafile: true,
  logLevel: 'warning',
});
await mkdir(`${ROOT}build`, { recursive: true });
await writeFile(BUNDLE_META, JSON.stringify(result.metafile));
