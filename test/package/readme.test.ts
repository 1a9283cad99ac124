/**
 * The README cannot drift from the API: every ```ts block in it is extracted
 * and type-checked, strict, as a library user's module (`btdht`, `btdht/core`,
 * `btdht/crawl` and Deno's `npm:btdht` mapped to src/). A block preceded by
 * `<!-- runs on loopback -->` is also run, from the repository (the package's
 * own name resolves to dist/, as it does for a user: `npm run build` first),
 * and must exit 0. Every `btdht...` specifier the README imports must be an
 * entry in package.json's `exports`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, run } from '../../scripts/consumer.ts';
import { userCompilerOptions } from '../../scripts/api-examples.ts';

interface Block {
  line: number;
  code: string;
  runs: boolean;
}

function readmeBlocks(): Block[] {
  const lines = readFileSync(join(REPO, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i]!.trim() !== '```') body.push(lines[i]!);
    const before = lines.slice(Math.max(0, start - 2), start).join('\n');
    blocks.push({ line: start + 1, code: body.join('\n') + '\n', runs: before.includes('<!-- runs on loopback -->') });
  }
  return blocks;
}

const blocks = readmeBlocks();
// Inside the repository, so that at run time `btdht` resolves to the package itself.
const dir = mkdtempSync(join(REPO, 'test/package/.readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README.md', () => {
  it('has TypeScript blocks, some of them run', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(blocks.some((b) => b.runs)).toBe(true);
  });

  it('imports only entry points that package.json exports', () => {
    const exported = Object.keys((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports);
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const specifiers = new Set([...readme.matchAll(/from '(?:npm:)?(btdht(?:\/[^']*)?)'/g)].map((m) => m[1]!));
    expect(specifiers.size).toBeGreaterThanOrEqual(3);
    for (const specifier of specifiers) expect(exported, specifier).toContain(specifier === 'btdht' ? '.' : `.${specifier.slice('btdht'.length)}`);
  });

  it('type-checks every TypeScript block (strict, as a user module)', () => {
    const files = blocks.map((block) => {
      const file = join(dir, `readme-line-${block.line}.mts`);
      writeFileSync(file, block.code.includes('import ') || block.code.includes('export ') ? block.code : `${block.code}export {};\n`);
      return file;
    });
    const program = ts.createProgram(files, userCompilerOptions());
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || files.includes(d.file.fileName))
      .map((d) => {
        const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
        const name = d.file ? d.file.fileName.slice(dir.length + 1) : '';
        return `${name}${where ? `:${where.line + 1}` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
    // A type-check of src/ with the blocks: ~45 s on a loaded 2-core machine.
  }, 300_000);

  it.each(blocks.filter((b) => b.runs).map((b) => [b.line, b] as const))('runs the block at line %i on loopback', async (_line, block) => {
    const file = join(dir, `run-line-${block.line}.mts`);
    writeFileSync(file, block.code);
    const result = await run(process.execPath, ['--import', 'tsx', file], { cwd: REPO, timeoutMs: 60_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });
});
