/**
 * The WebAssembly core: the only module with exports. The host (src/core/wasm/)
 * owns the memory layout above `heapBase()` — input, output, tape, result slots
 * and routing-table regions — and passes pointers in; nothing here allocates.
 */
export { scan, errorOffset } from './bencode';
export { decodeKrpc } from './krpc';
export { sha1 } from './sha1';
export { crc32c } from './crc32c';
export { closest as tableClosest, closestWords as tableClosestWords, nearestWords as tableNearestWords } from './closest';
export {
  add as tableAdd,
  failed as tableFailed,
  findNode as tableFind,
  initTable as tableInit,
  moveTable as tableMove,
  register as tableRegister,
  unregister as tableUnregister,
  depthOf as tableDepthOf,
  remove as tableRemove,
  seen as tableSeen,
  stalest as tableStalest,
  state as tableState,
} from './routing';
export { tableBytes } from './table-layout';

/** First byte free for the host's regions (16-aligned). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}
