/** Heap measurements for the memory bounds of the fuzz and flood suites. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full collection (exposed through a fresh context: the flag only applies to new ones). */
const gc = runInNewContext('gc') as () => void;

/** JS heap in use plus memory outside it (Buffers, ArrayBuffers, wasm memory), after full collections. */
export function heapBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}
