/**
 * Which public exports (the package's entry points: btdht, btdht/core,
 * btdht/crawl) have no JSDoc `@example`. Prints them; exit 1 when any lacks one.
 *
 *   npx tsx scripts/api-examples.ts
 */
import { join } from 'node:path';
import ts from 'typescript';
import { REPO } from './consumer.ts';

export const ENTRY_POINTS: Readonly<Record<string, string>> = {
  btdht: 'src/index.ts',
  'btdht/core': 'src/core/index.ts',
  'btdht/crawl': 'src/crawl/index.ts',
};

export interface Missing {
  entry: string;
  name: string;
  kind: string;
}

/** Every exported value or type of each entry point whose declaration has no @example. */
export function exportsWithoutExample(): { total: number; missing: Missing[] } {
  const files = Object.values(ENTRY_POINTS).map((f) => join(REPO, f));
  const program = ts.createProgram(files, { allowImportingTsExtensions: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const missing: Missing[] = [];
  let total = 0;
  for (const [entry, file] of Object.entries(ENTRY_POINTS)) {
    const source = program.getSourceFile(join(REPO, file));
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`cannot read ${file}`);
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      total++;
      const hasExample = symbol.getJsDocTags(checker).some((tag) => tag.name === 'example');
      if (!hasExample) missing.push({ entry, name: exported.getName(), kind: ts.SymbolFlags[symbol.flags & ~ts.SymbolFlags.Transient] ?? String(symbol.flags) });
    }
  }
  return { total, missing };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { total, missing } = exportsWithoutExample();
  for (const m of missing) console.log(`${m.entry}: ${m.name} (${m.kind})`);
  console.log(`${total - missing.length} of ${total} public exports have an @example`);
  process.exitCode = missing.length === 0 ? 0 : 1;
}
