import { describe, it, expect } from 'vitest';
describe('smoke', () => { it('runs', () => { expect(typeof (globalThis as {Deno?: unknown}).Deno).toBeDefined(); console.log('deno?', typeof (globalThis as {Deno?: unknown}).Deno); }); });
