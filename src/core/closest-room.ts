/**
 * closestInto's contract on `out`, one message for both backends: it must hold
 * the most nodes the answer can have now, min(k, size), so that nothing is ever
 * cut short and a throw writes nothing. Room for k nodes is always enough.
 */

/** The nodes `closest(target, k)` may return from a table of `size` nodes (k as `closest` reads it). */
export const closestWant = (k: number, size: number): number => (k >= 1 ? Math.min(Math.floor(k), size) : 0);

/** Throws unless `out` is a Uint8Array with room for `want` nodes of `width` bytes. */
export function checkClosestOut(out: unknown, want: number, width: number): asserts out is Uint8Array {
  if (!(out instanceof Uint8Array)) throw new TypeError('closestInto out must be a Uint8Array');
  if (out.length < want * width) {
    throw new RangeError(`closestInto out holds ${out.length} bytes: ${want} nodes of ${width} bytes need ${want * width} (room for k nodes is always enough)`);
  }
}
