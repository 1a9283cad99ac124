/**
 * The core's tables on both backends must answer exactly as SharedRoutingTable
 * (the reference) does, with one registered id and with many: the same random
 * operation sequence — adds, sightings, failures, removals, queries, and ids
 * registered and unregistered on the way — is replayed on both, and every
 * answer compared as it comes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends.ts';
import { plain, seededBytes } from '../../helpers/bytes.ts';
import { loadCore, type Core } from '../../../src/core/index.ts';
import { AddResult, type RoutingTable, type RoutingTableOptions } from '../../../src/core/routing-types.ts';
import { SharedRoutingTable } from '../../../src/core/js/routing-table.ts';

/** An id sharing exactly `shared` leading bits with `base` (160: `base` itself), the rest from `fill`. */
function idSharing(base: Uint8Array, shared: number, fill: Uint8Array): Uint8Array {
  if (shared >= 160) return base.slice();
  const id = fill.slice(0, 20);
  for (let bit = 0; bit <= shared; bit++) {
    const mask = 0x80 >> (bit & 7);
    const value = bit === shared ? (base[bit >> 3]! & mask) ^ mask : base[bit >> 3]! & mask;
    id[bit >> 3] = (id[bit >> 3]! & ~mask) | value;
  }
  return id;
}

interface Scenario {
  name: string;
  seed: number;
  ops: number;
  options: Partial<RoutingTableOptions>;
  /** Registered ids besides the primary: given at creation, and registered / unregistered during the replay. */
  ids?: { atStart: number; later: number };
  /** Most ids share about `depthScale`·(exponential) bits with ours: larger reaches deeper buckets. */
  depthScale: number;
  pool: number;
  /** failed() answers the replay must produce (what the options make reachable often enough). */
  failedOutcomes: string[];
}

/** The answer of one step, as comparable plain data (bytes as hex). */
type Answer = unknown;

/** The ids of a scenario: the primary, the others registered at creation, then those registered during the replay. */
function scenarioIds(scenario: Scenario, primary: Uint8Array): { atStart: Uint8Array[]; later: Uint8Array[] } {
  const random = seededBytes(scenario.seed ^ 0x2545f491);
  const { atStart = 0, later = 0 } = scenario.ids ?? {};
  const make = (): Uint8Array => {
    // Some ids near the primary (their buckets interleave with its own), most anywhere.
    const [u, v] = random(2);
    return u! < 64 ? idSharing(primary, v! % 40, random(20)) : random(20);
  };
  return { atStart: Array.from({ length: atStart }, make), later: Array.from({ length: later }, make) };
}

/**
 * A generator of operations over a seeded pool: ids mostly near one of our ids
 * (deep buckets form), re-used (updates, cache hits), a few malformed ids and
 * our ids themselves (rejections), clock increasing; with more ids, some are
 * registered and unregistered on the way (and nodes with those ids offered).
 */
function operations(scenario: Scenario, own: Uint8Array): Array<(t: RoutingTable) => Answer> {
  const random = seededBytes(scenario.seed);
  const addressLength = scenario.options.addressLength ?? 6;
  const { atStart, later } = scenarioIds(scenario, own);
  const ours = [own, ...atStart, ...later];
  const pool = Array.from({ length: scenario.pool }, (_, i) => {
    if (i === 0) return own.slice();
    if (i === 1) return random(19);
    // Our later ids are in the pool from the start: nodes with them get into the table, then register() drops them.
    if (i - 2 < later.length && i % 2 === 0) return later[i - 2]!.slice();
    const [r, u, v, w] = random(4);
    const near = ours[w! % ours.length]!;
    // most ids near the top, some at any depth, some in the deepest buckets (bits 150-159)
    const shared =
      u! < 16 ? v! % 160 : u! < 32 ? 150 + (v! % 10) : Math.min(159, Math.floor(-Math.log2((r! + 1) / 257) * scenario.depthScale));
    return idSharing(near, shared, random(20));
  });
  let registered = 0;
  const ops: Array<(t: RoutingTable) => Answer> = [];
  let now = 1;
  for (let i = 0; i < scenario.ops; i++) {
    const [op, pick, flag, hot] = random(4);
    // a quarter of the operations hit a small hot set, so failures in a row and cache hits happen
    const id = pool[hot! < 64 ? 2 + (pick! % 24) : (pick! * 7 + i) % pool.length]!;
    now += flag! % 50;
    const at = now;
    const kind = op! % 16;
    const responded = (flag! & 1) === 1;
    if (kind < 7) {
      // occasionally a wrong-length address
      const address = random(flag! % 61 === 0 ? addressLength + 1 : addressLength);
      ops.push((t) => ['add', t.add(id, address, at, responded)]);
    } else if (kind === 7) ops.push((t) => ['seen', t.seen(id, at, responded)]);
    else if (kind === 8) ops.push((t) => ['failed', t.failed(id)]);
    else if (kind === 9) ops.push((t) => ['remove', t.remove(id)]);
    else if (kind === 10) ops.push((t) => ['stalest', t.stalest(id, at)]);
    else if (kind === 11) ops.push((t) => ['state', t.state(id, at), t.has(id), t.get(id)]);
    else if (kind === 12) {
      const target = flag! % 3 === 0 ? id : random(20);
      const k = [0, 1, 3, 8, 20, 1000, 2.5][flag! % 7]!;
      if (target.length === 20) ops.push((t) => ['closest', t.closest(target, k), t.closestNodes(target, k)]);
      else ops.push((t) => ['closest throws', throws(() => t.closest(target, k))]);
    } else if (kind === 13) ops.push((t) => ['size', t.size, t.bucketCount]);
    else if (kind === 14 && i % 20 === 0) ops.push((t) => ['buckets', t.buckets()]);
    else if (kind === 15 && i % 20 === 0) ops.push((t) => ['nodes', t.nodes()]);
    else if (kind === 14 || kind === 15) ops.push((t) => ['prefixLengthOf', throws(() => t.prefixLengthOf(id))]);
    // Spread over the replay: register the next later id, now and then unregister one (the primary refuses).
    if (later.length > 0 && i % Math.max(1, Math.floor(scenario.ops / (later.length + 1))) === 0) {
      if (registered < later.length) {
        const next = later[registered++]!;
        ops.push((t) => ['register', t.register(next), t.ids.length, t.size]);
      }
      if (flag! % 4 === 0) {
        const gone = ours[pick! % ours.length]!;
        ops.push((t) => ['unregister', throws(() => t.unregister(gone)), t.ids]);
      }
    }
  }
  ops.push((t) => ['final', t.nodes(), t.buckets(), t.size, t.bucketCount, t.ids]);
  for (let i = 0; i < 30; i++) {
    const target = i < 10 ? pool[2 + i]! : random(20);
    ops.push((t) => ['closest', t.closest(target, 20), t.closestNodes(target, 8)]);
  }
  return ops;
}

function throws(f: () => unknown): unknown {
  try {
    return ['returned', f()];
  } catch (error) {
    return error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
  }
}

/** Replay the same operations on both tables, failing at the first step whose answers differ. */
function replayBoth(scenario: Scenario, reference: RoutingTable, shared: RoutingTable): Answer[] {
  const ops = operations(scenario, reference.id);
  const log: Answer[] = [];
  ops.forEach((op, step) => {
    const want = plain(op(reference));
    const got = plain(op(shared));
    // A string compare is fast; on a difference, toEqual shows the diff and the step.
    if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, `step ${step} of ${scenario.name}`).toEqual(want);
    log.push(want);
  });
  return log;
}

const scenarios: Scenario[] = [
  { name: 'defaults', seed: 11, ops: 6000, options: {}, depthScale: 6, pool: 500, failedOutcomes: ['failed', 'bad', 'removed'] },
  { name: 'small buckets, short questionable time', seed: 22, ops: 6000, options: { k: 4, cacheSize: 2, maxFailures: 3, questionableAfterMs: 500 }, depthScale: 8, pool: 400, failedOutcomes: ['failed', 'removed'] },
  { name: 'no cache, IPv6', seed: 33, ops: 4000, options: { k: 8, cacheSize: 0, addressLength: 18 }, depthScale: 6, pool: 400, failedOutcomes: ['failed', 'bad'] },
  { name: 'k = 1 down to the 160-bucket cap', seed: 44, ops: 6000, options: { k: 1, cacheSize: 3, maxFailures: 1 }, depthScale: 40, pool: 600, failedOutcomes: ['bad', 'removed'] },
  { name: 'k = 2, one failure makes bad', seed: 55, ops: 5000, options: { k: 2, cacheSize: 1, maxFailures: 1, questionableAfterMs: 0 }, depthScale: 20, pool: 300, failedOutcomes: ['bad', 'removed'] },
  { name: '8 ids, 4 more on the way', seed: 66, ops: 8000, options: {}, ids: { atStart: 7, later: 4 }, depthScale: 6, pool: 700, failedOutcomes: ['failed', 'bad', 'removed'] },
  { name: '64 ids, small buckets', seed: 77, ops: 10000, options: { k: 3, cacheSize: 2, maxFailures: 1 }, ids: { atStart: 63, later: 8 }, depthScale: 8, pool: 1200, failedOutcomes: ['bad', 'removed'] },
  { name: 'ids registered one by one, IPv6, down to the cap', seed: 88, ops: 6000, options: { k: 1, cacheSize: 1, addressLength: 18 }, ids: { atStart: 0, later: 12 }, depthScale: 40, pool: 600, failedOutcomes: ['failed', 'removed'] },
];

/** The core's table and the reference for `scenario`, built alike. */
function tables(core: Core, scenario: Scenario, own: Uint8Array): [RoutingTable, SharedRoutingTable] {
  const options = { id: own, ids: scenarioIds(scenario, own).atStart, ...scenario.options };
  return [core.createRoutingTable(options), new SharedRoutingTable(options)];
}

describe.each(backends)('the %s core table against SharedRoutingTable, with one id and with many', (backend) => {
  it.each(scenarios)('replays "$name" with identical answers at every step', async (scenario) => {
    const core = await loadCore(backend);
    const own = seededBytes(scenario.seed * 31)(20);
    const [table, reference] = tables(core, scenario, own);
    const log = replayBoth(scenario, table, reference);
    table.dispose();
    // agreement proves little unless the interesting paths ran
    const adds = log.filter((e): e is [string, unknown] => Array.isArray(e) && e[0] === 'add').map((e) => e[1]);
    for (const outcome of [AddResult.Added, AddResult.Updated, AddResult.Rejected]) expect(adds).toContain(outcome);
    if (scenario.options.cacheSize !== 0) expect(adds).toContain(AddResult.Cached);
    const failures = log.filter((e): e is [string, unknown] => Array.isArray(e) && e[0] === 'failed').map((e) => e[1]);
    for (const outcome of scenario.failedOutcomes) expect(failures).toContain(outcome);
    expect(reference.bucketCount).toBeGreaterThan(scenario.name.includes('cap') ? 150 : 5);
    const ids = scenario.ids;
    if (ids) {
      expect(reference.ids.length).toBeGreaterThan(1);
      // Some buckets split around an id other than the primary: deeper than the primary's bucket there.
      const deep = reference.buckets().filter((b) => b.prefixLength > 3).length;
      expect(deep).toBeGreaterThan(ids.atStart + ids.later > 10 ? 40 : 10);
      const registers = log.filter((e): e is [string, ...unknown[]] => Array.isArray(e) && e[0] === 'register');
      expect(registers.length).toBe(ids.later);
      expect(log.some((e) => Array.isArray(e) && e[0] === 'unregister')).toBe(true);
    }
  });

  it('agrees on random option sets, id counts and seeds (fast-check)', async () => {
    const core = await loadCore(backend);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.record({
          k: fc.integer({ min: 1, max: 10 }),
          cacheSize: fc.integer({ min: 0, max: 4 }),
          maxFailures: fc.integer({ min: 1, max: 3 }),
          questionableAfterMs: fc.integer({ min: 0, max: 2000 }),
          addressLength: fc.constantFrom<6 | 18>(6, 18),
        }),
        fc.integer({ min: 2, max: 30 }),
        fc.record({ atStart: fc.integer({ min: 0, max: 40 }), later: fc.integer({ min: 0, max: 6 }) }),
        (seed, options, depthScale, ids) => {
          const scenario: Scenario = { name: `seed ${seed}`, seed, ops: 800, options, ids, depthScale, pool: 150, failedOutcomes: [] };
          const [table, reference] = tables(core, scenario, seededBytes(seed ^ 0x5bd1e995)(20));
          try {
            replayBoth(scenario, table, reference);
          } finally {
            table.dispose();
          }
        },
      ),
      { numRuns: 40, seed: 8 },
    );
  });

  it('rejects the same options', async () => {
    const core = await loadCore(backend);
    const id = new Uint8Array(20);
    const bad: Array<Partial<RoutingTableOptions>> = [
      { k: 0 },
      { k: 1.5 },
      { cacheSize: -1 },
      { maxFailures: 0 },
      { addressLength: 4 as 6 },
      { questionableAfterMs: -1 },
      { id: new Uint8Array(19) },
      { ids: [new Uint8Array(20).fill(1), new Uint8Array(21)] },
      { ids: 'nope' as unknown as Uint8Array[] },
    ];
    for (const options of bad) {
      const want = throws(() => core.createRoutingTable({ id, ...options }).dispose());
      expect(want).not.toEqual(['returned', undefined]);
      expect(throws(() => new SharedRoutingTable({ id, ...options }))).toEqual(want);
    }
  });
});
