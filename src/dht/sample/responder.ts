/**
 * Answering `sample_infohashes` (BEP 51): a random sample of the infohashes
 * we hold peers for — all of them when they fit one packet — with `num` (how
 * many we hold), `interval` (when to ask again) and the nodes nearest the
 * target. The sample is cut so the whole answer stays within 1024 bytes
 * (BEP 32). When we hold more than fits, the sample is drawn once per
 * interval and reused (BEP 51: asking again early must not reveal more).
 * A node-wide budget bounds answers per second; beyond it queries are dropped.
 */
import type { QueryHook } from '../hooks.ts';
import type { Clock } from '../../ground/clock.ts';
import type { RandomSource } from '../../ground/random.ts';
import { AnswerBudget } from '../items/budget.ts';
import type { ClosestNodes } from '../items/host.ts';
import { nodesField } from '../items/host.ts';
import { SAMPLE_ANSWER_OVERHEAD, SAMPLE_ANSWERS_PER_SECOND, SAMPLE_INTERVAL_SECONDS, SAMPLE_PACKET_BYTES } from './constants.ts';

/** Where the infohashes come from: the node's peer store. */
export interface InfohashSource {
  /** Up to `max` distinct infohashes held (20 bytes each), a uniform random subset when there are more. */
  infohashes(max: number, random: RandomSource): Uint8Array[];
  /** Infohashes held. */
  count(): number;
}

export interface SampleResponderOptions {
  source: InfohashSource;
  clock: Clock;
  random: RandomSource;
  closest: ClosestNodes;
  /** Our `interval`, in seconds (default 21600 = 6 h). */
  intervalSeconds?: number;
  /** Answers per second, node-wide (default 50). */
  answersPerSecond?: number;
  /** Datagram payload cap (default 1024). */
  maxPacketBytes?: number;
}

export function sampleQueryHook(options: SampleResponderOptions): QueryHook {
  const interval = options.intervalSeconds ?? SAMPLE_INTERVAL_SECONDS;
  if (!Number.isInteger(interval) || interval < 0) throw new RangeError(`intervalSeconds must be a non-negative integer, got ${String(interval)}`);
  const budget = new AnswerBudget(options.answersPerSecond ?? SAMPLE_ANSWERS_PER_SECOND);
  const packet = options.maxPacketBytes ?? SAMPLE_PACKET_BYTES;
  let cached: { samples: Uint8Array; at: number } | undefined;

  return (query, from) => {
    const target = query.a.target;
    if (!target || target.length !== 20) return { error: [203, "'target' must be a 20-byte string"] };
    const now = options.clock.now();
    if (!budget.take(now)) return { drop: true };
    const nodes = nodesField(options.closest, target, from);
    const nodeBytes = (nodes.nodes ?? nodes.nodes6)!.length;
    const ipBytes = from.family === 4 ? 6 : 18;
    const room = packet - SAMPLE_ANSWER_OVERHEAD - nodeBytes - ipBytes - query.t.length;
    const max = Math.max(0, Math.floor(room / 20));
    const count = options.source.count();
    let samples: Uint8Array;
    if (count <= max) {
      samples = concat(options.source.infohashes(max, options.random));
      cached = undefined;
    } else {
      if (!cached || now - cached.at >= interval * 1000 || cached.samples.length > max * 20) {
        cached = { samples: concat(options.source.infohashes(max, options.random)), at: now };
      }
      samples = cached.samples;
    }
    return { response: nodes, extra: { interval, num: count, samples } };
  };
}

function concat(infohashes: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(infohashes.length * 20);
  infohashes.forEach((infohash, i) => out.set(infohash.subarray(0, 20), i * 20));
  return out;
}
