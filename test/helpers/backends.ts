import type { Backend } from '../../src/core/types.ts';

/** The core backends a suite runs on: BTDHT_BACKENDS=js narrows it while developing. */
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
export const backends: Backend[] = (env?.['BTDHT_BACKENDS'] ?? 'wasm,js')
  .split(',')
  .map((b) => b.trim())
  .filter((b): b is Backend => b === 'wasm' || b === 'js');
