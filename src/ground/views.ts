/**
 * The memory under a caller's bytes, read through the typed-array getters of
 * `buffer` and `byteOffset` called directly: V8 (11.x, Node 20) inlines such a
 * call, not the property read, which goes through a load IC into a builtin
 * (~10-15 ns each; a quarter of a ping's decode on the wasm core).
 */

const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getBuffer = Object.getOwnPropertyDescriptor(TYPED_ARRAY, 'buffer')!.get as (this: Uint8Array) => ArrayBufferLike;
const getByteOffset = Object.getOwnPropertyDescriptor(TYPED_ARRAY, 'byteOffset')!.get as (this: Uint8Array) => number;

/** `bytes.buffer`. */
export function bufferOf(bytes: Uint8Array): ArrayBufferLike {
  return getBuffer.call(bytes);
}

/** `bytes.byteOffset`. */
export function byteOffsetOf(bytes: Uint8Array): number {
  return getByteOffset.call(bytes);
}

/**
 * A plain Uint8Array over `bytes[start, start + length)`, sharing its memory:
 * what `subarray` gives, minus its species lookup (which costs as much as the
 * view itself, and would make a Node Buffer's view a Buffer).
 */
export function viewOf(bytes: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(getBuffer.call(bytes), getByteOffset.call(bytes) + start, length);
}
