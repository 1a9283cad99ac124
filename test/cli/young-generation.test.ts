/**
 * `btdht node` keeps V8's nursery at its first size (src/cli/young-generation.ts):
 * in a child process, what survives scavenges does not grow the young
 * generation; with BTDHT_YOUNG_GENERATION=v8 (V8's own policy) the same
 * allocations grow it, so the check can fail. An operator's own
 * --max-semi-space-size is left alone.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { keepYoungGenerationSmall } from '../../src/cli/young-generation.ts';

const CHILD = fileURLToPath(new URL('./fixtures/nursery.ts', import.meta.url));

function run(env: NodeJS.ProcessEnv): { applied: boolean; before: number; after: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out) as { applied: boolean; before: number; after: number };
}

describe('the young generation of btdht node', () => {
  it('stays at its size under allocations that grow it with V8 left alone', () => {
    const small = run({});
    expect(small.applied).toBe(true);
    expect(small.after).toBeLessThanOrEqual(small.before);
    const grown = run({ BTDHT_YOUNG_GENERATION: 'v8' });
    expect(grown.applied).toBe(false);
    expect(grown.after).toBeGreaterThan(grown.before);
  }, 60_000);

  it("leaves an operator's own semi-space setting alone", () => {
    expect(keepYoungGenerationSmall({}, ['--max-semi-space-size=64'])).toBe(false);
    expect(keepYoungGenerationSmall({ NODE_OPTIONS: '--max_semi_space_size=8' }, [])).toBe(false);
    expect(keepYoungGenerationSmall({ BTDHT_YOUNG_GENERATION: 'v8' }, [])).toBe(false);
  });
});
