/**
 * What build/core.wasm exports (assembly/index.ts), as the host calls it.
 * Pointers are byte offsets into `memory`; `bool` parameters are 0 / 1.
 */
export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  /** Strict bencode scan to a tape; 0 or an error id (offset in `errorOffset`). */
  scan(input: number, length: number, tape: number): number;
  readonly errorOffset: WebAssembly.Global;
  /** Scan + KRPC checks into result slots; 0 or an error id. */
  decodeKrpc(input: number, length: number, tape: number, slots: number): number;
  sha1(input: number, length: number, out: number): void;
  /** Signed view of the unsigned CRC (`>>> 0` on the host). */
  crc32c(input: number, length: number): number;

  tableBytes(k: number, cacheSize: number, capacity: number, idCapacity: number): number;
  tableInit(
    table: number,
    args: number,
    k: number,
    cacheSize: number,
    addressLength: number,
    maxFailures: number,
    questionableAfterMs: number,
    capacity: number,
    idCapacity: number,
  ): void;
  tableMove(from: number, to: number, capacity: number, idCapacity: number): void;
  /** 1 registered, 0 already, -1: move the table to a region with room for more ids and repeat. */
  tableRegister(table: number, args: number): number;
  tableUnregister(table: number, args: number): number;
  tableDepthOf(table: number, args: number): number;
  /** AddResult, or -1: move the table to a region with more buckets and repeat. */
  tableAdd(table: number, args: number, now: number, responded: number): number;
  tableSeen(table: number, args: number, now: number, responded: number): number;
  /** -1 unknown, 0 failed, 1 bad, 2 removed. */
  tableFailed(table: number, args: number): number;
  tableRemove(table: number, args: number): number;
  /** Record address of the bucket node, or 0. */
  tableFind(table: number, args: number): number;
  /** -1 unknown, 0 good, 1 questionable, 2 bad. */
  tableState(table: number, args: number, now: number): number;
  tableStalest(table: number, args: number, now: number): number;
  tableClosest(table: number, args: number, k: number, out: number, work: number, compact: number): number;
  /** tableClosest into compact node info, the target as five little-endian words (bytes 0-3, 4-7, …). */
  tableClosestWords(table: number, w0: number, w1: number, w2: number, w3: number, w4: number, k: number, out: number, work: number): number;
  /**
   * tableClosestWords' common case (k <= 8, the target's bucket full of good or questionable
   * nodes) from the target's first 8 bytes as two words; -1: not that case, nothing written.
   */
  tableNearestWords(table: number, w0: number, w1: number, k: number, out: number): number;
}

const FUNCTIONS = [
  'heapBase', 'scan', 'decodeKrpc', 'sha1', 'crc32c', 'tableBytes', 'tableInit', 'tableMove', 'tableAdd',
  'tableSeen', 'tableFailed', 'tableRemove', 'tableFind', 'tableState', 'tableStalest', 'tableClosest',
  'tableClosestWords', 'tableNearestWords', 'tableRegister', 'tableUnregister', 'tableDepthOf',
] as const;

/** Check an instance's exports against the contract (a stale build/core.wasm fails here, not later). */
export function asCoreExports(exports: WebAssembly.Exports): CoreExports {
  if (!(exports['memory'] instanceof WebAssembly.Memory)) throw new Error('core.wasm exports no memory');
  if (!(exports['errorOffset'] instanceof WebAssembly.Global)) throw new Error('core.wasm exports no errorOffset');
  for (const name of FUNCTIONS) {
    if (typeof exports[name] !== 'function') throw new Error(`core.wasm lacks export ${name}: rebuild it (npm run build:wasm)`);
  }
  return exports as unknown as CoreExports;
}
