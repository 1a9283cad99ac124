/**
 * What starting and stopping `btdht crawl` costs: the process's CPU from its
 * start to its first query (a bootstrap ping or find_node to an address where
 * nobody listens, on loopback) and to its exit after `--duration 1`, for one
 * or more checkouts side by side, their runs alternating (A B A B ...) so
 * the machine's load falls on each alike. Each checkout needs its dist/
 * (npm run build:ts). Beside them, in the same rounds, Node's own start and
 * exit with the same probe and no program (`node -e ''`): the floor no
 * change of ours can go under.
 *
 *   npx tsx bench/crawl/start-cost.ts [--runs 10] [DIR ...]   (default: this checkout)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '10' } }, allowPositionals: true });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
const HERE = fileURLToPath(new URL('../..', import.meta.url));
const dirs = (positionals.length > 0 ? positionals : [HERE]).map((d) => resolve(d));
const HOOK = fileURLToPath(new URL('./first-send.mjs', import.meta.url));

/** `dir` undefined: Node alone. */
function once(dir: string | undefined, db: string): Promise<{ firstSend: number | null; exit: number }> {
  return new Promise((done, fail) => {
    const crawl = [join(dir ?? '', 'bin/btdht.js'), 'crawl', '--db', db, '--bootstrap', '127.61.203.9:6881', '--host', '127.61.203.1', '--port', '0', '--no-ipv6', '--duration', '1', '--json'];
    const args = ['--import', HOOK, ...(dir === undefined ? ['-e', ''] : crawl)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let report = '';
    let err = '';
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (c: string) => (report += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(killer);
      if (code !== 0 || report === '') fail(new Error(`btdht crawl in ${dir} exited ${code}: ${err.slice(-500)}`));
      else done(JSON.parse(report) as { firstSend: number | null; exit: number });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const tmp = mkdtempSync(join(tmpdir(), 'btdht-start-cost-'));
const results = dirs.map(() => ({ firstSend: [] as number[], exit: [] as number[] }));
const bare: number[] = [];
const loadBefore = loadavg()[0]!;
try {
  for (let r = 0; r < runs; r++) {
    for (const [i, dir] of dirs.entries()) {
      const out = await once(dir, join(tmp, `crawl-${r}-${i}.sqlite`));
      if (out.firstSend === null) throw new Error(`btdht crawl in ${dir} sent nothing`);
      results[i]!.firstSend.push(out.firstSend);
      results[i]!.exit.push(out.exit);
    }
    bare.push((await once(undefined, '')).exit);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`btdht crawl --duration 1, ${runs} runs each, alternating; load ${loadBefore.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`);
console.log('checkout                                   CPU to first query (median, min-max)   CPU to exit (median, min-max)');
for (const [i, dir] of dirs.entries()) {
  const r = results[i]!;
  const span = (xs: number[]): string => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;
  console.log(`${dir.padEnd(42)} ${span(r.firstSend).padEnd(38)} ${span(r.exit)}`);
}
console.log(`${"node -e '' (Node's own start and exit)".padEnd(42)} ${'-'.padEnd(38)} ${median(bare).toFixed(0)} ms (${Math.min(...bare).toFixed(0)}-${Math.max(...bare).toFixed(0)})`);
