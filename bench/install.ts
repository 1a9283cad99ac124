/**
 * What `npm install btdht` costs a library user, side by side with the anchor
 * (bittorrent-dht 11.0.12) in one run: the repository is packed as npm would
 * publish it (dist/ and build/ must be built), then each package is installed
 * into a fresh folder twice, first with an empty npm cache of its own (a new
 * user: every tarball comes from the registry), then again into another fresh
 * folder from that now warm cache. Prints wall time, node_modules size, the
 * packages installed, and any install script or native module.
 *
 * "Before" is btdht as it was packed before #16 made the crawler's libraries
 * optional peers (commit 268e5fc, the parent of 67eb5bc: better-sqlite3, pg,
 * bittorrent-protocol and ut_metadata were dependencies), packed from a
 * temporary git worktree of that commit in the same run.
 *
 *   npm run bench:install                              # one round: before, now, anchor
 *   npm run bench:install -- --rounds 3                # medians of three
 *   npm run bench:install -- --before old/btdht.tgz    # an earlier tarball, or --before <commit>
 *   npm run bench:install -- --before none             # now and the anchor only
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { footprint, freshApp, megabytes, npmInstall, packRef, packRepo } from '../scripts/consumer.ts';

const ANCHOR = 'bittorrent-dht@11.0.12';
const BEFORE = '268e5fc';
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '1' }, before: { type: 'string', default: BEFORE } } });
const rounds = Math.max(1, Number(args.rounds));
const loadAtStart = loadavg();
const load = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' ');

interface Measured {
  cold: number[];
  warm: number[];
  bytes: number;
  files: number;
  packages: number;
  scripts: string[];
  native: string[];
}

async function measure(spec: string, into: Measured): Promise<void> {
  const cache = await mkdtemp(join(tmpdir(), 'btdht-npm-cache-'));
  const dirs: string[] = [];
  try {
    const cold = await freshApp();
    dirs.push(cold);
    into.cold.push((await npmInstall(cold, [spec], cache)).ms);
    const warm = await freshApp();
    dirs.push(warm);
    into.warm.push((await npmInstall(warm, [spec], cache)).ms);
    const print = await footprint(cold);
    into.bytes = print.bytes;
    into.files = print.files;
    into.packages = print.packages.length;
    into.scripts = print.installScripts;
    into.native = print.nativeModules;
  } finally {
    for (const dir of [cache, ...dirs]) await rm(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const empty = (): Measured => ({ cold: [], warm: [], bytes: 0, files: 0, packages: 0, scripts: [], native: [] });
const tarball = await packRepo();
const subjects: Array<[string, string, Measured]> = [['btdht now (packed from this tree)', tarball, empty()]];
let beforeTarball: string | undefined;
if (args.before.endsWith('.tgz')) subjects.push([`btdht before (${args.before})`, resolve(args.before), empty()]);
else if (args.before !== 'none') {
  beforeTarball = await packRef(args.before);
  subjects.push([`btdht before #16 (${args.before})`, beforeTarball, empty()]);
}
subjects.push([ANCHOR, ANCHOR, empty()]);
for (let round = 0; round < rounds; round++) {
  // Rotate who goes first: the registry and the machine drift.
  for (let i = 0; i < subjects.length; i++) {
    const [name, spec, into] = subjects[(i + round) % subjects.length]!;
    await measure(spec, into);
    // Progress on stderr: a round of the "before" tarball compiles better-sqlite3 twice.
    console.error(`round ${round + 1}: ${name} cold ${seconds(into.cold.at(-1)!)}, warm ${seconds(into.warm.at(-1)!)}; load ${load(loadavg())}`);
  }
}
await rm(tarball, { force: true });
if (beforeTarball !== undefined) await rm(beforeTarball, { force: true });
const ours = subjects[0]![2];
const anchor = subjects[subjects.length - 1]![2];

console.log(`npm install into a fresh folder, Node ${process.version}, ${rounds} round(s), medians; load average ${load(loadAtStart)} at the start, ${load(loadavg())} at the end`);
console.log('| package | cold cache | warm cache | node_modules | files | packages | install scripts | native modules |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, , m] of subjects) {
  console.log(
    `| ${name} | ${seconds(median(m.cold))} | ${seconds(median(m.warm))} | ${megabytes(m.bytes)} | ${m.files} | ${m.packages} | ${m.scripts.join(', ') || 'none'} | ${m.native.length === 0 ? 'none' : m.native.join(', ')} |`,
  );
}
const before = subjects.length === 3 ? subjects[1]![2] : undefined;
if (before !== undefined) {
  console.log(
    `btdht now / before: size ${(ours.bytes / before.bytes).toFixed(2)}×, cold install time ${(median(ours.cold) / median(before.cold)).toFixed(2)}×, warm ${(median(ours.warm) / median(before.warm)).toFixed(2)}×`,
  );
}
console.log(
  `btdht now / anchor: size ${(ours.bytes / anchor.bytes).toFixed(2)}×, cold install time ${(median(ours.cold) / median(anchor.cold)).toFixed(2)}×, warm ${(median(ours.warm) / median(anchor.warm)).toFixed(2)}×`,
);
