/**
 * Crawler mode on the simulator: nodes running 1, 8 and 64 ids join a
 * 1,500-node network while its nodes look up and announce 3,000 infohashes.
 * More ids (buckets split around each, answers and lookups as the id nearest
 * the target) must bring more of those queries: 64 ids see more than 8, 8 more
 * than 1. The full-size run (10,000 nodes, 100,000 infohashes) is
 * `npm run bench:multi-id`, figures in BENCHMARKS.md.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../../helpers/backends.ts';
import { loadCore } from '../../../src/core/index.ts';
import { runHarvestExperiment } from '../../../bench/multi-id/experiment.ts';

describe.each(backends)('multi-id harvest on a simulated network (%s core)', (backend) => {
  it('64 ids harvest more than 8, and 8 more than 1', { timeout: 300_000 }, async () => {
    const core = await loadCore(backend);
    const result = await runHarvestExperiment({ core, nodes: 1500, infohashes: 3000, idCounts: [1, 8, 64], warmupMinutes: 15, seed: 3 });
    const [one, eight, many] = result.crawlers;
    console.log(`[${backend}] ${result.crawlers.map((c) => `${c.ids} ids: ${(100 * c.fraction).toFixed(1)}% (${c.seen}; table ${c.tableNodes} nodes/${c.buckets} buckets)`).join('; ')}`);
    expect(many!.seen).toBeGreaterThan(eight!.seen);
    expect(eight!.seen).toBeGreaterThan(one!.seen);
    // The point of many ids: several times what one id sees.
    expect(many!.fraction).toBeGreaterThan(4 * one!.fraction);
    // Buckets split around every id: the 64-id table holds many more buckets.
    expect(many!.buckets).toBeGreaterThan(8 * one!.buckets);
  });
});
