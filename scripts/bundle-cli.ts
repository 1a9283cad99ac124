/**
 * The `btdht` command as one CommonJS file, dist/bin/btdht.cjs, built from
 * tsc's dist/ at `npm run build:ts`: a crawl then reads and compiles one file
 * instead of resolving, reading and linking ~200 ES modules of ours and of our
 * dependencies (a crawl's start: ~430 -> ~265 ms CPU on a busy 2-core machine,
 * Node's own start included; BENCHMARKS.md, "Session 6, fixed cost"). The
 * library entry points (dist/index.js, dist/core, dist/crawl) are not bundled.
 *
 * Bundled: our dist/ and the packages in `dependencies` (always installed
 * beside us), with what they import. Left as imports: Node's modules and
 * every optional peer dependency (better-sqlite3, pg, ...), which a user
 * installs or not.
 *
 *   tsx scripts/bundle-cli.ts   (after tsc)
 */
import { build, type Plugin } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}dist/bin`;

const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { dependencies?: Record<string, string> };
const bundled = new Set(Object.keys(pkg.dependencies ?? {}));

/** A bare specifier's package name (`@noble/hashes/sha2.js` → `@noble/hashes`). */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Only `dependencies` (and what they import) go into the bundle; anything else our code imports stays an import. */
const dependenciesOnly: Plugin = {
  name: 'dependencies-only',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      // A bundled package's own imports are bundled with it.
      if (args.path.startsWith('node:') || bundled.has(packageOf(args.path)) || /[\\/]node_modules[\\/]/.test(args.importer)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Edits the bundle makes to one dist/ file: each `from` must occur exactly once. */
const EDITS: ReadonlyArray<{ file: string; from: string; to: string }> = [
  // build/core.wasm is three folders up from dist/core/wasm/; the bundle sits two
  // below the package root (as dist/cli/ did, so package.json is found as before).
  { file: 'core/wasm/load.js', from: "new URL('../../../build/core.wasm', import.meta.url)", to: "new URL('../../build/core.wasm', import.meta.url)" },
  // better-sqlite3 is CommonJS: required, not imported (Node's ES-module loader would
  // first scan its files for exports: ~20 ms of a crawl's start). A missing package
  // still throws "Cannot find module 'better-sqlite3'", which isNotInstalled() knows.
  { file: 'crawl/store/sqlite-driver.js', from: "await import('better-sqlite3')", to: "{ default: require('better-sqlite3') }" },
];

const edited = new Set<string>();
const editDist: Plugin = {
  name: 'edit-dist',
  setup(b) {
    // One loader per file (esbuild runs only the first onLoad that matches), making each of its edits.
    for (const file of new Set(EDITS.map((edit) => edit.file))) {
      const filter = new RegExp(`[\\\\/]dist[\\\\/]${file.replace(/[./]/g, (c) => (c === '.' ? '\\.' : '[\\\\/]'))}$`);
      b.onLoad({ filter }, async (args) => {
        let source = await readFile(args.path, 'utf8');
        for (const edit of EDITS.filter((e) => e.file === file)) {
          if (source.split(edit.from).length !== 2) throw new Error(`${args.path}: expected exactly one ${edit.from}`);
          source = source.replace(edit.from, edit.to);
        }
        edited.add(file);
        return { contents: source, loader: 'js' };
      });
    }
  },
};

await rm(OUT, { recursive: true, force: true });
await build({
  entryPoints: [`${ROOT}dist/cli/main.js`],
  outfile: `${OUT}/btdht.cjs`,
  bundle: true,
  // One CommonJS file: V8 compiles it lazily, function by function, where the
  // same code as ES modules (split or not) cost more to compile than it saves
  // by leaving subcommands out. Modules still run only when first imported:
  // a dynamic import() of ours becomes a call that evaluates that module then.
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Smaller to read and parse; names kept, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // Three modules find files next to the package from import.meta.url (package.json, build/core.wasm, uplot);
  // 'use strict' first, as ES modules are strict (esbuild's own directive comes after the banner).
  define: { 'import.meta.url': '__btdhtModuleUrl' },
  banner: { js: "'use strict';const __btdhtModuleUrl=require('node:url').pathToFileURL(__filename).href;" },
  plugins: [dependenciesOnly, editDist],
  logLevel: 'warning',
});
for (const edit of EDITS) if (!edited.has(edit.file)) throw new Error(`dist/${edit.file} is not in the bundle: its edit was not made`);
