/**
 * `btdht node`'s status line: every interval, one 'status' event at info with
 * the routing table's size per family, queries in and out per second and
 * datagrams dropped per second since the last line, and the totals an operator
 * watches (peers stored, outstanding queries). Read from `stats()` only.
 */
import type { DHTStats } from '../dht/events.ts';
import type { LogFields, Logger } from '../dht/log.ts';

/** What the status line needs of a node. */
export interface StatsSource {
  stats(): DHTStats;
}

/** The fields of one status line, from two readings `seconds` apart. */
export function statusFields(now: DHTStats, before: DHTStats | undefined, seconds: number): LogFields {
  const rate = (a: number, b: number | undefined): number => Math.round(((a - (b ?? 0)) / seconds) * 10) / 10;
  const fields: Record<string, string | number> = {};
  for (const family of now.families) fields[`nodes${family.family}`] = family.nodes;
  fields['queriesInPerSec'] = rate(now.queriesIn.total, before?.queriesIn.total);
  fields['queriesOutPerSec'] = rate(now.queriesOut.total, before?.queriesOut.total);
  fields['dropsPerSec'] = rate(now.drops.total, before?.drops.total);
  fields['timeoutsPerSec'] = rate(now.timeouts.total, before?.timeouts.total);
  fields['peers'] = now.peersStored;
  fields['infohashes'] = now.infohashesStored;
  fields['outstanding'] = now.outstanding;
  fields['blockedIps'] = now.blockedIps;
  return fields;
}

/** Log a status line every `intervalMs` (nothing when info is off or the interval is 0); returns the stopper. */
export function startStatusLine(node: StatsSource, log: Logger, intervalMs: number): () => void {
  const info = log.info;
  if (!info || intervalMs <= 0) return () => undefined;
  let before = node.stats();
  let at = performance.now();
  const timer = setInterval(() => {
    const now = node.stats();
    const t = performance.now();
    info('status', statusFields(now, before, (t - at) / 1000));
    before = now;
    at = t;
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
