/**
 * How many torrents a store over its limits removes. Deleted rows do not
 * shrink a database file (SQLite reuses its free pages, PostgreSQL its dead
 * tuples after vacuum), so a byte limit is met by keeping the share of rows
 * that fits it, with 5% slack, rather than by deleting until the size drops.
 */
import type { PruneLimits } from './types.ts';

/** Rows removed per transaction: a reader or writer never waits long. */
export const PRUNE_BATCH = 1_000;
/** Measure-and-remove rounds of one prune at most (a byte limit may need more than one). */
export const PRUNE_ROUNDS = 4;

export function checkPruneLimits(limits: PruneLimits): void {
  for (const [name, value] of [['maxTorrents', limits.maxTorrents], ['maxBytes', limits.maxBytes]] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new TypeError(`prune: ${name} must be a whole number above 0, got ${value}`);
  }
  if (limits.by !== 'oldest' && limits.by !== 'least-seeded') throw new TypeError(`prune: by must be 'oldest' or 'least-seeded', got ${JSON.stringify(limits.by)}`);
}

export function torrentsToRemove(torrents: number, usedBytes: number | undefined, limits: PruneLimits): number {
  let keep = torrents;
  if (limits.maxTorrents !== undefined) keep = Math.min(keep, limits.maxTorrents);
  if (limits.maxBytes !== undefined && usedBytes !== undefined && usedBytes > limits.maxBytes) {
    keep = Math.min(keep, Math.floor((torrents * limits.maxBytes * 0.95) / usedBytes));
  }
  return Math.max(0, torrents - keep);
}

/** ORDER BY of the torrents removed first (SQLite's NULL sorts lowest: unchecked first, as PostgreSQL is told to). */
export function pruneOrder(by: PruneLimits['by'], backend: 'sqlite' | 'postgres'): string {
  if (by === 'oldest') return 'first_seen ASC, id ASC';
  return backend === 'sqlite' ? 'seeders ASC, id ASC' : 'seeders ASC NULLS FIRST';
}
