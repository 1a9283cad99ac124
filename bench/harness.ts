/**
 * Side-by-side micro benchmarks: every case runs our code and its anchor in
 * interleaved rounds (A B A B …, since these machines drift), and reports the
 * median time per operation of each and the ratio anchor / ours.
 */
export interface Case {
  name: string;
  /** Runs the operation `n` times; returns something so the work is not optimised away. */
  run: (n: number) => unknown;
  /** For our cases: the goal, as "at least this many times faster than the anchor". */
  goal?: number;
}

export interface Comparison {
  operation: string;
  anchor: Case;
  ours: Case[];
}

let sink: unknown;

/**
 * Milliseconds of CPU this process has used (user + system): on a shared
 * machine a batch preempted by other work does not count the time it waited,
 * as wall time would. Falls back to wall time where there is no process.cpuUsage.
 */
const cpuMs: () => number =
  typeof process !== 'undefined' && typeof process.cpuUsage === 'function'
    ? () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1000;
      }
    : () => performance.now();

function timePerOp(c: Case, n: number): number {
  const start = cpuMs();
  sink = c.run(n);
  return ((cpuMs() - start) * 1e6) / n; // ns per op
}

/** Pick a batch size that takes ~20 ms of CPU, so timer resolution does not matter. */
function calibrate(c: Case): number {
  let n = 16;
  for (;;) {
    const start = cpuMs();
    sink = c.run(n);
    if (cpuMs() - start > 20 || n > 1 << 24) return n;
    n *= 2;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export interface Result {
  operation: string;
  anchorName: string;
  anchorNs: number;
  ours: { name: string; ns: number; speedup: number; goal?: number }[];
}

/**
 * Run `c` for at least `ms` of CPU. WASM functions start in a baseline tier and
 * are recompiled by an optimizing one on a background thread, which on a busy
 * machine can take longer than one calibration: without this, the first case
 * calling into WASM is partly timed in the baseline tier.
 */
function warm(c: Case, ms: number): void {
  const n = calibrate(c);
  const start = cpuMs();
  while (cpuMs() - start < ms) sink = c.run(n);
}

export function compare(comparison: Comparison, rounds = 9): Result {
  const cases = [comparison.anchor, ...comparison.ours];
  for (const c of cases) warm(c, 150); // warm up the JIT (both tiers, anchor and ours alike)
  const sizes = cases.map(calibrate);
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    cases.forEach((c, i) => samples[i]?.push(timePerOp(c, sizes[i] as number)));
  }
  const medians = samples.map(median);
  const anchorNs = medians[0] as number;
  return {
    operation: comparison.operation,
    anchorName: comparison.anchor.name,
    anchorNs,
    ours: comparison.ours.map((c, i) => {
      const ns = medians[i + 1] as number;
      return { name: c.name, ns, speedup: anchorNs / ns, ...(c.goal !== undefined ? { goal: c.goal } : {}) };
    }),
  };
}

function fmt(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

/** A Markdown table, ready for BENCHMARKS.md. */
export function table(results: Result[]): string {
  const lines = [
    '| operation | anchor | anchor median | ours | our median | speed-up (anchor / ours) | goal |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    for (const o of r.ours) {
      const goal = o.goal === undefined ? '' : `≥ ${o.goal}×: ${o.speedup >= o.goal ? 'met' : 'NOT met'}`;
      lines.push(`| ${r.operation} | ${r.anchorName} | ${fmt(r.anchorNs)} | ${o.name} | ${fmt(o.ns)} | ${o.speedup.toFixed(2)}× | ${goal} |`);
    }
  }
  return lines.join('\n');
}

export function keepAlive(): unknown {
  return sink;
}
