/**
 * The house rules of src/ (scripts/check-imports.ts) run in the suite: a
 * forbidden import or an import loop anywhere in src/ fails this file.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KNOWN_EXCEPTIONS, PACKAGE, checkImports, importLoops, readImportGraph } from '../../scripts/check-imports.ts';
import type { ImportGraph } from '../../scripts/check-imports.ts';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

describe('house rules over src/', () => {
  it('every import of src/ follows the rules and no import loops', () => {
    expect(checkImports(readImportGraph(SRC))).toEqual([]);
  });

  it('reads the real graph: every floor is present and the public face is imported from above', () => {
    const graph = readImportGraph(SRC);
    for (const file of ['ground/address.ts', 'krpc/compact.ts', 'transport/types.ts', 'core/types.ts', 'dht/dht.ts', 'index.ts']) {
      expect(graph.has(file), file).toBe(true);
    }
    expect(graph.get('index.ts')).toContain('dht/dht.ts');
  });

  it('dht/dht.ts is the public face only: at most 400 lines (#13 item 1; its parts live in files of their own)', () => {
    const lines = readFileSync(join(SRC, 'dht', 'dht.ts'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(400);
  });

  it('each known exception matches an import of today', () => {
    const graph = readImportGraph(SRC);
    for (const e of KNOWN_EXCEPTIONS) expect(graph.get(e.from) ?? [], `${e.from} → ${e.to}`).toContain(e.to);
  });
});

describe('the checker itself, on a synthetic graph', () => {
  const graph = (): ImportGraph =>
    new Map([
      ['ground/address.ts', []],
      ['util/hex.ts', ['ground/address.ts']],
      ['krpc/compact.ts', ['ground/address.ts', 'transport/types.ts']], // forbidden: krpc → transport
      ['transport/types.ts', ['ground/address.ts']],
      ['core/types.ts', ['ground/address.ts']],
      ['core/js/table.ts', ['core/types.ts']],
      ['dht/a.ts', ['dht/b.ts', 'core/types.ts']], // loop a → b → c → a
      ['dht/b.ts', ['dht/c.ts']],
      ['dht/c.ts', ['dht/a.ts', `${PACKAGE}node:dgram`]],
      ['dht/dht.ts', ['dht/a.ts']],
    ]);

  it('a clean graph has no faults', () => {
    const clean = graph();
    clean.set('krpc/compact.ts', ['ground/address.ts']);
    clean.set('dht/c.ts', []);
    expect(checkImports(clean, [])).toEqual([]);
  });

  it('reports the forbidden import and the loop, each once', () => {
    const faults = checkImports(graph(), []);
    expect(faults).toHaveLength(2);
    expect(faults.filter((f) => f.startsWith('krpc/compact.ts → transport/types.ts: src/krpc may not import src/transport'))).toHaveLength(1);
    expect(faults.filter((f) => f === 'import loop: dht/a.ts → dht/b.ts → dht/c.ts → dht/a.ts')).toHaveLength(1);
  });

  it('reports the other rules: a backend imported from outside core, dht/dht.ts from inside dht, a package on the ground, a missing file, an unknown floor', () => {
    const g = graph();
    g.set('krpc/compact.ts', ['ground/address.ts']);
    g.set('dht/c.ts', []);
    g.set('dht/d.ts', ['core/js/table.ts', 'dht/dht.ts', 'dht/missing.ts']);
    g.set('ground/clock.ts', [`${PACKAGE}node:timers`]);
    g.set('attic/old.ts', []);
    const faults = checkImports(g, []);
    expect(faults).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dht\/d\.ts → core\/js\/table\.ts: outside src\/core/),
        expect.stringMatching(/^dht\/d\.ts → dht\/dht\.ts: nothing under src\/dht imports/),
        expect.stringMatching(/^dht\/d\.ts → dht\/missing\.ts: imports a file that does not exist/),
        expect.stringMatching(/^ground\/clock\.ts → package:node:timers: the ground floor imports no package/),
        expect.stringMatching(/^attic\/old\.ts: src\/attic is no floor of the house/),
      ]),
    );
    expect(faults).toHaveLength(5);
  });

  it('an exception silences its own import only, and a stale exception is a fault', () => {
    const exceptions = [
      { from: 'krpc/compact.ts', to: 'transport/types.ts', why: 'test' },
      { from: 'util/hex.ts', to: 'dht/a.ts', why: 'stale' },
    ];
    const faults = checkImports(graph(), exceptions);
    expect(faults).toEqual([
      'KNOWN_EXCEPTIONS: util/hex.ts → dht/a.ts is no longer needed: remove the entry',
      'import loop: dht/a.ts → dht/b.ts → dht/c.ts → dht/a.ts',
    ]);
  });

  it('finds a file importing itself and two separate loops', () => {
    const g: ImportGraph = new Map([
      ['dht/self.ts', ['dht/self.ts']],
      ['dht/x.ts', ['dht/y.ts']],
      ['dht/y.ts', ['dht/x.ts']],
      ['dht/z.ts', ['dht/x.ts']],
    ]);
    expect(importLoops(g).map((loop) => loop.join(' '))).toEqual(['dht/self.ts', 'dht/x.ts dht/y.ts']);
  });
});

describe('reading imports from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'btdht-house-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sees static, type-only, re-exported and dynamic imports, and packages', () => {
    mkdirSync(join(dir, 'krpc'));
    mkdirSync(join(dir, 'transport'));
    mkdirSync(join(dir, 'ground'));
    writeFileSync(join(dir, 'ground', 'address.ts'), 'export type Family = 4 | 6;\n');
    writeFileSync(join(dir, 'transport', 'types.ts'), "export type { Family } from '../ground/address.ts';\n");
    writeFileSync(
      join(dir, 'krpc', 'compact.ts'),
      [
        "import type { Family } from '../ground/address.ts';",
        "import bencode from 'bencode';",
        "export const load = () => import('../transport/types.ts');",
        'export type F = Family;',
        'export const b = bencode;',
        '',
      ].join('\n'),
    );
    const graph = readImportGraph(dir);
    expect(graph.get('krpc/compact.ts')).toEqual(['ground/address.ts', `${PACKAGE}bencode`, 'transport/types.ts']);
    expect(graph.get('transport/types.ts')).toEqual(['ground/address.ts']);
    expect(checkImports(graph, [])).toEqual([
      'krpc/compact.ts → transport/types.ts: src/krpc may not import src/transport (allowed: ground, util)',
    ]);
  });
});
