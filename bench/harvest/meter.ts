/**
 * Clocks for the harvest benchmark: time inside chosen synchronous calls
 * (CallMeter), the calling thread's CPU and run-queue wait (schedstat), and
 * process CPU.
 *
 * Many nodes share one thread in the simulator, so process.cpuUsage() cannot
 * tell one node's share from the others'; timing the calls that are that
 * node's own work can. CallMeter reads the monotonic wall clock
 * (process.hrtime, ~0.1 µs a reading) rather than process.cpuUsage (~2 µs a
 * reading, longer than some of the calls timed, and counting V8's helper
 * threads that run beside them). Inside one synchronous call on one thread,
 * wall time is CPU time except when the OS runs another process meanwhile;
 * `cpuShare` (from the thread's schedstat over the run) corrects for that on
 * average.
 */
import { readFileSync } from 'node:fs';

export class CallMeter {
  #ns = 0n;
  #calls = 0;
  /** Depth of timed calls in progress: a nested call is already counted by the outer one. */
  #depth = 0;
  /** Per-call durations in ns, when kept. */
  readonly #samples: number[] | undefined;

  constructor(options: { keepSamples?: boolean } = {}) {
    this.#samples = options.keepSamples ? [] : undefined;
  }

  /** Run `fn`, adding its duration (unless nested in another timed call of this meter). */
  time<T>(fn: () => T): T {
    if (this.#depth > 0) return fn();
    this.#depth++;
    const start = process.hrtime.bigint();
    try {
      return fn();
    } finally {
      const ns = process.hrtime.bigint() - start;
      this.#ns += ns;
      this.#samples?.push(Number(ns));
      this.#depth--;
      this.#calls++;
    }
  }

  /** `fn` wrapped so that every call is timed. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A) => this.time(() => fn(...args));
  }

  get calls(): number {
    return this.#calls;
  }

  /** Seconds spent in timed calls. */
  get seconds(): number {
    return Number(this.#ns) / 1e9;
  }

  /** Per-call durations in ns (empty unless `keepSamples`). */
  get samples(): readonly number[] {
    return this.#samples ?? [];
  }

  reset(): void {
    this.#ns = 0n;
    this.#calls = 0;
    this.#samples?.splice(0);
  }
}

/** CPU seconds (user + system, every thread of this process) since `since`. */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** This thread's time on a CPU and time waiting for one (runnable, not running), in ns. */
export interface ThreadTimes {
  cpuNs: number;
  waitNs: number;
}

/**
 * The calling thread's scheduler times from /proc/thread-self/schedstat
 * (Linux; undefined elsewhere). The wait is time other processes had the CPU
 * while this thread was ready to run: what wall-clock timings overstate.
 */
export function threadTimes(): ThreadTimes | undefined {
  try {
    return parseSchedstat(readFileSync('/proc/thread-self/schedstat', 'latin1'));
  } catch {
    return undefined;
  }
}

/** `<ns on cpu> <ns waiting> <timeslices>` → times (undefined if malformed). */
export function parseSchedstat(text: string): ThreadTimes | undefined {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 2 || !fields.slice(0, 2).every((f) => /^\d+$/.test(f))) return undefined;
  return { cpuNs: Number(fields[0]), waitNs: Number(fields[1]) };
}

/** Thread times spent since `since` (undefined if either reading is missing). */
export function threadTimesSince(since: ThreadTimes | undefined): ThreadTimes | undefined {
  const now = threadTimes();
  return since && now ? { cpuNs: now.cpuNs - since.cpuNs, waitNs: now.waitNs - since.waitNs } : undefined;
}

/** The share of its runnable time a thread was on a CPU (1 when unknown). */
export function cpuShare(times: ThreadTimes | undefined): number {
  if (!times || times.cpuNs + times.waitNs <= 0) return 1;
  return times.cpuNs / (times.cpuNs + times.waitNs);
}
