/**
 * Reads a V8 .cpuprofile (`node --cpu-prof`) and ranks functions by self time:
 * the samples whose innermost frame is that function. Idle time is left out.
 *
 *   tsx bench/profile.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  /** Share of the non-idle samples. */
  share: number;
}

export function topSelfTime(file: string, n = 10): SelfTime[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, SelfTime>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    busy += us;
    // tsx-compiled sources report every function at line 0: the file alone is the honest answer there.
    const where = frame.url ? (frame.lineNumber > 0 ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : shortUrl(frame.url)) : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const entry = totals.get(key) ?? { name, where, ms: 0, share: 0 };
    entry.ms += us / 1000;
    totals.set(key, entry);
  });
  return [...totals.values()]
    .map((e) => ({ ...e, share: busy > 0 ? (e.ms * 1000) / busy : 0 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, Number.isFinite(n) ? n : undefined);
}

function shortUrl(url: string): string {
  if (!url.startsWith('file://')) return url;
  const path = fileURLToPath(url);
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

/** Self time summed by source file (node internals by module, native frames by name). */
export function selfTimeByFile(file: string, n = 8): SelfTime[] {
  const totals = new Map<string, SelfTime>();
  for (const row of topSelfTime(file, Number.POSITIVE_INFINITY)) {
    const where = row.where ? row.where.replace(/:\d+$/, '') : row.name;
    const entry = totals.get(where) ?? { name: where, where: '', ms: 0, share: 0 };
    entry.ms += row.ms;
    entry.share += row.share;
    totals.set(where, entry);
  }
  return [...totals.values()].sort((a, b) => b.ms - a.ms).slice(0, n);
}

/** Busy (non-idle) sampled time of a profile, in ms: tells the main thread's profile from a loader worker's. */
export function busyMs(file: string): number {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let us = 0;
  profile.samples.forEach((id, i) => {
    if (!idle.has(id)) us += profile.timeDeltas[i] ?? 0;
  });
  return us / 1000;
}

export function formatTop(rows: SelfTime[]): string {
  const lines = ['| # | function | where | self ms | share of busy time |', '|---|---|---|---|---|'];
  rows.forEach((r, i) => lines.push(`| ${i + 1} | ${r.name} | ${r.where} | ${r.ms.toFixed(0)} | ${(r.share * 100).toFixed(1)}% |`));
  return lines.join('\n');
}

export function formatByFile(rows: SelfTime[]): string {
  const lines = ['| file | self ms | share of busy time |', '|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.name} | ${r.ms.toFixed(0)} | ${(r.share * 100).toFixed(1)}% |`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/profile.ts FILE.cpuprofile [N]');
    process.exit(2);
  }
  console.log(formatTop(topSelfTime(file, Number(process.argv[3] ?? 10))));
  console.log(`\n${formatByFile(selfTimeByFile(file))}`);
}
