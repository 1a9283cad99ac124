/**
 * A `btdht node` process (bin/btdht.js, defaults, standalone on loopback)
 * under a tenth of issue #14's footprint load (bench/footprint.ts): junk from
 * 200 addresses, then 5,000 valid announces for random infohashes, while a
 * new client asks all along. Its RSS growth, as the OS sees it, stays under
 * a bound, and it keeps answering. Loopback only; every phase bounded.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAN, runFootprint } from '../../bench/footprint/load.ts';
import { startNode } from '../../bench/footprint/process.ts';

// Under the full load (50,000 announces) the node grows ~32 MiB; a tenth of it costs less than half the 48 MiB budget.
const BOUND = 24 * 1024 * 1024;

describe('btdht node footprint', () => {
  it('grows less than 24 MiB RSS under 20,000 junk datagrams and 5,000 announces, and keeps answering', async () => {
    const node = await startNode('btdht', '127.0.0.1');
    try {
      const result = await runFootprint(node, {
        ...DEFAULT_PLAN,
        sources: 200,
        sourcePrefix: '127.79',
        proberHost: '127.80.0.1',
        junk: 20_000,
        junkRate: 10_000,
        announces: 5_000,
        checkpoints: [5_000],
        inflight: 32,
        phaseDeadlineMs: 60_000,
      });
      console.log(`btdht node: baseline ${(result.baseline / 2 ** 20).toFixed(1)} MiB, peak growth ${(result.peakGrowth / 2 ** 20).toFixed(1)} MiB; announces ${result.announce.answered}/${result.announce.sent}; new client ${result.probe.answered}/${result.probe.sent}`);
      expect(result.junkSent).toBe(20_000);
      expect(result.announce.answered).toBeGreaterThan(0.95 * 5_000);
      expect(result.probe.answered).toBeGreaterThan(0.9 * result.probe.sent);
      expect(result.peakGrowth).toBeLessThan(BOUND);
    } finally {
      expect(await node.stop()).toBe(0);
    }
  }, 150_000);
});
