/**
 * The public API's examples: every export of the package's entry points
 * (btdht, btdht/core, btdht/crawl) must carry a JSDoc `@example`, and each
 * example is a user's module (it imports what it uses from the entry points)
 * that test/package/api-examples.test.ts type-checks. Prints the exports
 * without one; exit 1 when any lacks one.
 *
 *   npm run check:examples
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO } from './consumer.ts';

/** package.json `exports` entries that are TypeScript modules, and their sources. */
export function entryPoints(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, string | { types?: string }> };
  const entries: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    const types = typeof target === 'string' ? undefined : target.types;
    if (types === undefined) continue;
    const source = types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts');
    entries[subpath === '.' ? 'btdht' : `btdht${subpath.slice(1)}`] = source;
  }
  return entries;
}

/** A public export and its example (undefined when it has none). */
export interface PublicExport {
  entry: string;
  name: string;
  kind: string;
  /** Where it is declared, `src/...:line`. */
  declared: string;
  example: string | undefined;
}

/** Options a user's module is checked with (the README blocks and the examples alike). */
export function userCompilerOptions(): ts.CompilerOptions {
  const paths: Record<string, string[]> = {};
  for (const [entry, source] of Object.entries(entryPoints())) paths[entry] = [join(REPO, source)];
  paths['npm:btdht'] = paths['btdht']!;
  return {
    strict: true,
    noEmit: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [join(REPO, 'node_modules/@types')],
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    paths,
  };
}

/** The code of an @example: its ```ts fence stripped when it has one. */
function exampleCode(text: string): string {
  const fenced = /```[a-z]*\n([\s\S]*?)```/.exec(text);
  return (fenced ? fenced[1]! : text).trim() + '\n';
}

/** Every export of every entry point, with its example. `program` may be one that holds the entry points already. */
export function publicExports(program?: ts.Program): PublicExport[] {
  const entries = entryPoints();
  program ??= ts.createProgram(Object.values(entries).map((f) => join(REPO, f)), userCompilerOptions());
  const checker = program.getTypeChecker();
  const found: PublicExport[] = [];
  for (const [entry, file] of Object.entries(entries)) {
    const source = program.getSourceFile(join(REPO, file));
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`cannot read ${file}`);
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const tag = symbol.getJsDocTags(checker).find((t) => t.name === 'example');
      const declaration = symbol.declarations?.[0];
      const where = declaration?.getSourceFile();
      found.push({
        entry,
        name: exported.getName(),
        kind: ts.SymbolFlags[symbol.flags & ~ts.SymbolFlags.Transient] ?? String(symbol.flags),
        declared: where ? `${where.fileName.slice(REPO.length + 1)}:${where.getLineAndCharacterOfPosition(declaration!.getStart()).line + 1}` : '?',
        example: tag ? exampleCode(ts.displayPartsToString(tag.text)) : undefined,
      });
    }
  }
  return found;
}

/** The @example of each entry point's module comment (its first comment, tagged `@module`). */
export function moduleExamples(): { entry: string; example: string }[] {
  return Object.entries(entryPoints()).map(([entry, file]) => {
    const comment = /^\/\*\*([\s\S]*?)\*\//.exec(readFileSync(join(REPO, file), 'utf8'))?.[1] ?? '';
    const text = comment.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n');
    const example = /@example\n([\s\S]*?)(?=\n@|$)/.exec(text)?.[1];
    if (example === undefined || !text.includes(`@module ${entry}`)) throw new Error(`${file}: its first comment needs an @example and "@module ${entry}"`);
    return { entry, example: exampleCode(example) };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const all = publicExports();
  const missing = all.filter((e) => e.example === undefined);
  for (const m of missing) console.log(`${m.entry}: ${m.name} (${m.kind}, ${m.declared})`);
  console.log(`${all.length - missing.length} of ${all.length} public exports have an @example`);
  process.exitCode = missing.length === 0 ? 0 : 1;
}
