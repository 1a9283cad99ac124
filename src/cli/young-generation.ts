/**
 * The `btdht node` program keeps V8's young generation at its first size
 * (two 1 MiB semi-spaces) instead of letting it grow to two 16 MiB ones.
 * Under a flood, what survives a scavenge (datagrams in flight, pending
 * queries) makes V8 grow the nursery step by step to its maximum, and it
 * stays there while traffic lasts: +30 MiB of RSS that no cap of ours can
 * bound (bench/footprint.ts measures the node with and without it). A DHT
 * node's live set is small and long-lived (packed tables), so a small
 * nursery costs a few more scavenges and no throughput that matters.
 *
 * `--semi-space-growth-factor` is read by V8 each time it would grow the
 * nursery, so setting it once the process runs takes effect (unlike
 * `--max-semi-space-size`, read only when the heap is set up). A process
 * started with its own `--max-semi-space-size` is left as it is.
 */
import { setFlagsFromString } from 'node:v8';

/** Environment variable that turns it off (`BTDHT_YOUNG_GENERATION=v8` keeps V8's default growth). */
export const YOUNG_GENERATION_ENV = 'BTDHT_YOUNG_GENERATION';

/** Keep the nursery small, unless the operator chose otherwise; true when it was set. */
export function keepYoungGenerationSmall(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): boolean {
  if (env[YOUNG_GENERATION_ENV] === 'v8') return false;
  const chosen = (arg: string): boolean => /^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/.test(arg);
  if (execArgv.some(chosen) || (env.NODE_OPTIONS ?? '').split(/\s+/).some(chosen)) return false;
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
    return true;
  } catch {
    return false; // a runtime without V8's flags (Bun): nothing to keep small this way
  }
}
