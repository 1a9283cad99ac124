/**
 * WebAssembly.Memory.grow copies the whole memory on V8 once it is past a few
 * MB, so growing page by page makes every new routing table cost O(memory):
 * creating 12,000 tables in one core took 25 s for the last 3,000 (bench/simulator.ts,
 * which never finished at 100,000 nodes). Growth must be geometric: a number
 * of grow calls logarithmic in the memory reached, not linear.
 */
import { describe, expect, it } from 'vitest';
import { CoreMemory } from '../../src/core/wasm/memory.ts';
import type { CoreExports } from '../../src/core/wasm/exports.ts';

describe('CoreMemory growth', () => {
  it('grows the wasm memory geometrically as routing-table regions are allocated', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    let grows = 0;
    const grow = memory.grow.bind(memory);
    memory.grow = (pages: number): number => {
      grows++;
      return grow(pages);
    };
    const exports = { memory, heapBase: () => 1024 } as unknown as CoreExports;
    const mem = new CoreMemory(exports);
    const before = grows;
    // 2,000 tables of 16 buckets (k = 8 + a cache of 8): about 30 MB.
    for (let i = 0; i < 2_000; i++) mem.alloc(64 + 16 * (16 + 16 * 56));
    expect(memory.buffer.byteLength).toBeGreaterThan(2_000 * 14_000);
    // Doubling (or +50%) from 1 page to ~30 MB takes tens of grows, not hundreds.
    expect(grows - before).toBeLessThan(40);
  });
});
