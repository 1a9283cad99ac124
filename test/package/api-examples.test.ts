/**
 * The API reference cannot drift from the API: every export of every entry
 * point in package.json `exports` has a JSDoc `@example`, each example
 * type-checks, strict, as a user's module (it imports what it uses from
 * `btdht`, `btdht/core`, `btdht/crawl`, mapped to src/), and the committed
 * TypeDoc output (docs/api, `npm run docs`) has a page for every export.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../../scripts/consumer.ts';
import { entryPoints, moduleExamples, publicExports, userCompilerOptions } from '../../scripts/api-examples.ts';

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
    for (const { entry, example } of moduleExamples()) {
      const file = join(dir, `module-${entry.replace('/', '-')}.mts`);
      writeFileSync(file, example);
      files.set(entry, file);
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

// TypeDoc (typedoc-plugin-markdown) writes docs/api/<entry>/<kind>/<Name>.md; an
// export of two entry points has its page under one, and a "Re-exports" link in
// the other's README.md.
const KINDS = ['classes', 'functions', 'interfaces', 'type-aliases', 'variables'];
const docs = join(REPO, 'docs/api');

function pagesOf(entry: string): Map<string, string[]> {
  const pages = new Map<string, string[]>();
  for (const kind of KINDS) {
    const folder = join(docs, entry, kind);
    if (!existsSync(folder)) continue;
    for (const file of readdirSync(folder)) {
      if (!file.endsWith('.md')) continue;
      const name = file.slice(0, -'.md'.length);
      pages.set(name, [...(pages.get(name) ?? []), join(folder, file)]);
    }
  }
  return pages;
}

describe('docs/api (npm run docs, committed)', () => {
  it('has a page for every public export, showing its example, and none for anything else: regenerate with `npm run docs`', () => {
    const problems: string[] = [];
    for (const entry of Object.keys(entryPoints())) {
      const pages = pagesOf(entry);
      const readme = existsSync(join(docs, entry, 'README.md')) ? readFileSync(join(docs, entry, 'README.md'), 'utf8') : '';
      const exported = all.filter((e) => e.entry === entry);
      for (const e of exported) {
        let files = pages.get(e.name);
        if (files === undefined) {
          const link = new RegExp(`Re-exports \\[${e.name}\\]\\(([^)]+)\\)`).exec(readme)?.[1];
          if (link !== undefined && existsSync(join(docs, entry, link))) files = [join(docs, entry, link)];
        }
        if (files === undefined) {
          problems.push(`${entry}: no page for ${e.name}`);
          continue;
        }
        const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
        const stale = (e.example ?? '').split('\n').filter((line) => line.trim() !== '' && !text.includes(line));
        if (stale.length > 0) problems.push(`${entry}: the page of ${e.name} does not show its current example (${stale[0]})`);
      }
      const names = new Set(exported.map((e) => e.name));
      for (const name of pages.keys()) if (!names.has(name)) problems.push(`${entry}: a page for ${name}, which it does not export`);
    }
    expect(problems).toEqual([]);
  });
});
