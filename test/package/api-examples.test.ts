/**
 * The API reference cannot drift from the API: every export of every entry
 * point in package.json `exports` has a JSDoc `@example`, each example
 * type-checks, strict, as a user's module (it imports what it uses from
 * `btdht`, `btdht/core`, `btdht/crawl`, mapped to src/), and the committed
 * TypeDoc output (docs/api, `npm run docs`) has a page for every export.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../../scripts/consumer.ts';
import { entryPoints, publicExports, userCompilerOptions } from '../../scripts/api-examples.ts';

const options = userCompilerOptions();
const sources = Object.values(entryPoints()).map((f) => join(REPO, f));
const program = ts.createProgram(sources, options);
const all = publicExports(program);
const dir = mkdtempSync(join(REPO, 'test/package/.examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('public API examples', () => {
  it('covers the three entry points', () => {
    for (const entry of ['btdht', 'btdht/core', 'btdht/crawl']) expect(all.filter((e) => e.entry === entry).length, entry).toBeGreaterThan(10);
  });

  it('every public export has an @example', () => {
    const missing = all.filter((e) => e.example === undefined).map((e) => `${e.entry}: ${e.name} (${e.declared})`);
    expect(missing).toEqual([]);
  });

  it('every @example type-checks as a user module', () => {
    // One file per declaration (an export re-exported by two entry points is checked once).
    const files = new Map<string, string>();
    for (const e of all) {
      if (e.example === undefined || files.has(e.declared)) continue;
      const file = join(dir, `${e.entry.replace('/', '-')}-${e.name}.mts`);
      writeFileSync(file, e.example.includes('import ') ? e.example : `${e.example}export {};\n`);
      files.set(e.declared, file);
    }
    const names = [...files.values()];
    // Reuses the entry points' source files already parsed above.
    const checked = ts.createProgram([...sources, ...names], options, undefined, program);
    const problems = ts
      .getPreEmitDiagnostics(checked)
      .filter((d) => d.file !== undefined && names.includes(d.file.fileName))
      .map((d) => {
        const where = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${d.file!.fileName.slice(dir.length + 1)}:${where.line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
    // One type-check of src/ and ~140 small modules: ~50 s on a loaded 2-core machine.
  }, 300_000);
});
