/**
 * The house rules of src/, checked over every import (type-only and dynamic
 * ones included): which floor may import which, and no import loops.
 *
 *   ground     what every layer shares; imports nothing of ours, no package
 *   util       small helpers (hex, bytes, ids, host:port) over the ground
 *   core       the Core contract and its backends: ground, util
 *   krpc       wire formats: ground, util (nothing from transport, core, dht)
 *   transport  sockets and the simulator: ground, util (nothing from krpc, dht)
 *   dht        the node: the floors below (never crawl, web, cli)
 *   crawl      a layer on the node's public API: the floors below and dht
 *   web        HTTP faces: the floors below, dht and crawl
 *   cli        the command: anything
 *   index.ts   the public API: anything but cli
 *
 * Inside those floors:
 * - outside src/core only the core's contract files are imported (a backend is
 *   chosen by loadCore, never imported);
 * - nothing under src/dht imports dht/dht.ts (the public face sits on top);
 * - the extensions (dht/items, dht/scrape, dht/sample) never import the node's
 *   assembly (dht/node/), only the contracts it hands them.
 *
 * Run: `npx tsx scripts/check-imports.ts` (exit 1 and one line per fault);
 * test/house/dependency-rules.test.ts runs it in the suite.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';

/** Top-level floors of src/ and the floors each may import (itself always allowed). */
export const FLOORS: Readonly<Record<string, readonly string[]>> = {
  ground: [],
  util: ['ground'],
  core: ['ground', 'util'],
  krpc: ['ground', 'util'],
  transport: ['ground', 'util'],
  dht: ['ground', 'util', 'core', 'krpc', 'transport'],
  crawl: ['ground', 'util', 'core', 'krpc', 'transport', 'dht'],
  web: ['ground', 'util', 'core', 'krpc', 'transport', 'dht', 'crawl'],
  cli: ['ground', 'util', 'core', 'krpc', 'transport', 'dht', 'crawl', 'web'],
  'index.ts': ['ground', 'util', 'core', 'krpc', 'transport', 'dht', 'crawl', 'web'],
};

/** The files of src/core the rest of the house may import: the contract, not a backend. */
export const CORE_CONTRACT: readonly string[] = ['core/index.ts', 'core/types.ts', 'core/routing-types.ts', 'core/bencode-types.ts', 'core/answer-types.ts'];

/** The extensions: they get the node's contracts, never its assembly. */
const EXTENSIONS = ['dht/items/', 'dht/scrape/', 'dht/sample/'];
const ASSEMBLY = ['dht/node/', 'dht/dht.ts'];

/**
 * Imports that break a rule today, each with the issue item that removes it.
 * An entry that no longer matches an import is itself a fault: delete it.
 */
export const KNOWN_EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [];

/** How a package (or a node: builtin) appears among a file's imports. */
export const PACKAGE = 'package:';

/** src-relative path ('dht/rpc.ts') → the src-relative files it imports, and packages as `package:<name>`. */
export type ImportGraph = Map<string, string[]>;

/** Every .ts file under `srcDir` and what it imports (relative imports resolved, packages as named). */
export function readImportGraph(srcDir: string): ImportGraph {
  const graph: ImportGraph = new Map();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        const file = toPosix(relative(srcDir, path));
        const imports = ts.preProcessFile(readFileSync(path, 'utf8'), true, true).importedFiles.map((entry) => entry.fileName);
        graph.set(
          file,
          imports.map((spec) => (spec.startsWith('.') ? toPosix(normalize(join(dirname(file), spec))) : `${PACKAGE}${spec}`)),
        );
      }
    }
  };
  walk(srcDir);
  return graph;
}

/** Every broken rule and every loop of `graph`, one line each (empty when the house is in order). */
export function checkImports(graph: ImportGraph, exceptions = KNOWN_EXCEPTIONS): string[] {
  const faults: string[] = [];
  const used = new Set<number>();
  for (const [file, imports] of graph) {
    const floor = floorOf(file);
    const allowed = FLOORS[floor];
    if (!allowed) {
      faults.push(`${file}: src/${floor} is no floor of the house: add it to FLOORS in scripts/check-imports.ts`);
      continue;
    }
    for (const target of new Set(imports)) {
      const fault = ruleBroken(file, floor, allowed, target, graph);
      if (!fault) continue;
      const exception = exceptions.findIndex((e) => e.from === file && e.to === target);
      if (exception >= 0) used.add(exception);
      else faults.push(`${file} → ${target}: ${fault}`);
    }
  }
  exceptions.forEach((e, i) => {
    if (!used.has(i)) faults.push(`KNOWN_EXCEPTIONS: ${e.from} → ${e.to} is no longer needed: remove the entry`);
  });
  for (const loop of importLoops(graph)) faults.push(`import loop: ${loop.join(' → ')} → ${loop[0]}`);
  return faults;
}

function ruleBroken(file: string, floor: string, allowed: readonly string[], target: string, graph: ImportGraph): string | undefined {
  if (target.startsWith(PACKAGE)) return floor === 'ground' ? 'the ground floor imports no package (nor node: builtins)' : undefined;
  if (target.startsWith('..')) return 'imports from outside src/';
  if (!graph.has(target)) return 'imports a file that does not exist';
  const to = floorOf(target);
  if (to !== floor && !allowed.includes(to)) return `src/${floor} may not import src/${to} (allowed: ${allowed.length > 0 ? allowed.join(', ') : 'nothing of ours'})`;
  if (to === 'core' && floor !== 'core' && !CORE_CONTRACT.includes(target)) return `outside src/core, import only the core's contract (${CORE_CONTRACT.join(', ')})`;
  if (floor === 'dht' && target === 'dht/dht.ts') return 'nothing under src/dht imports the public face dht/dht.ts';
  if (EXTENSIONS.some((prefix) => file.startsWith(prefix)) && ASSEMBLY.some((part) => target.startsWith(part))) {
    return "an extension uses the contracts it is given, never the node's assembly";
  }
  return undefined;
}

/** The floor of a src-relative file: its top directory, or the file itself at the top. */
function floorOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file : file.slice(0, slash);
}

/** Each import loop once (a strongly connected component of more than one file, or a file importing itself), files in path order. */
export function importLoops(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, iterative: no recursion limit on a deep chain.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const loops: string[][] = [];
  let next = 0;
  const edges = (file: string): string[] => (graph.get(file) ?? []).filter((target) => graph.has(target));
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: { file: string; edge: number }[] = [{ file: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const out = edges(frame.file);
      if (frame.edge < out.length) {
        const target = out[frame.edge++]!;
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push({ file: target, edge: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.file, Math.min(low.get(frame.file)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.file, Math.min(low.get(parent.file)!, low.get(frame.file)!));
      if (low.get(frame.file) !== index.get(frame.file)) continue;
      const component: string[] = [];
      for (;;) {
        const file = stack.pop()!;
        onStack.delete(file);
        component.push(file);
        if (file === frame.file) break;
      }
      if (component.length > 1 || edges(frame.file).includes(frame.file)) loops.push(component.sort());
    }
  }
  return loops;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const faults = checkImports(readImportGraph(join(dirname(new URL(import.meta.url).pathname), '..', 'src')));
  for (const fault of faults) console.error(fault);
  if (faults.length > 0) {
    console.error(`${faults.length} fault(s) in the house rules (scripts/check-imports.ts)`);
    process.exit(1);
  }
  console.log('src/: every import follows the house rules, no import loop');
}
