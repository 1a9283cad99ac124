/**
 * Layout of a routing table region in linear memory, and the small helpers
 * over it that the table operations (routing.ts) and closest() share:
 *
 *   header (HEADER bytes): our id, options, bucket count, size, capacity
 *   bucket i at HEADER + i * stride, stride = BUCKET_HEAD + (k + cacheSize) * RECORD:
 *     i32 count | i32 cache count | f64 lastChanged | k node records | cache records
 *   node record (RECORD bytes): id[20] | address[18] | u8 responded | i32 failures | f64 lastSeen
 */

export const H_K: i32 = 20;
export const H_CACHE_SIZE: i32 = 24;
export const H_ADDRESS_LENGTH: i32 = 28;
export const H_MAX_FAILURES: i32 = 32;
export const H_BUCKET_COUNT: i32 = 36;
export const H_SIZE: i32 = 40;
export const H_CAPACITY: i32 = 44;
export const H_STRIDE: i32 = 48;
export const H_QUESTIONABLE_AFTER: i32 = 56;
export const HEADER: i32 = 64;

export const B_COUNT: i32 = 0;
export const B_CACHE_COUNT: i32 = 4;
export const B_LAST_CHANGED: i32 = 8;
export const BUCKET_HEAD: i32 = 16;

export const R_ADDRESS: i32 = 20;
export const R_RESPONDED: i32 = 38;
export const R_FAILURES: i32 = 40;
export const R_LAST_SEEN: i32 = 48;
export const RECORD: i32 = 56;

export const MAX_BUCKETS: i32 = 160;

// @ts-ignore: decorator
@inline export function i32At(p: usize, offset: i32): i32 {
  return load<i32>(p + <usize>offset);
}
// @ts-ignore: decorator
@inline export function setI32At(p: usize, offset: i32, value: i32): void {
  store<i32>(p + <usize>offset, value);
}

/** Byte size of a region holding `capacity` buckets. */
export function tableBytes(k: i32, cacheSize: i32, capacity: i32): i32 {
  return HEADER + capacity * (BUCKET_HEAD + (k + cacheSize) * RECORD);
}

// @ts-ignore: decorator
@inline export function bucketAt(table: usize, i: i32): usize {
  return table + <usize>HEADER + <usize>i * <usize>i32At(table, H_STRIDE);
}
// @ts-ignore: decorator
@inline export function cacheOf(table: usize, bucket: usize): usize {
  return bucket + <usize>BUCKET_HEAD + <usize>(i32At(table, H_K) * RECORD);
}
// @ts-ignore: decorator
@inline export function recordAt(first: usize, i: i32): usize {
  return first + <usize>(i * RECORD);
}

/** Leading bits two 20-byte ids share (160 if equal). */
export function commonPrefix(a: usize, b: usize): i32 {
  let x = bswap<u64>(load<u64>(a)) ^ bswap<u64>(load<u64>(b));
  if (x != 0) return <i32>clz<u64>(x);
  x = bswap<u64>(load<u64>(a, 8)) ^ bswap<u64>(load<u64>(b, 8));
  if (x != 0) return 64 + <i32>clz<u64>(x);
  const y = bswap<u32>(load<u32>(a, 16)) ^ bswap<u32>(load<u32>(b, 16));
  if (y != 0) return 128 + <i32>clz<u32>(y);
  return 160;
}

// @ts-ignore: decorator
@inline export function sameId(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8) && load<u32>(a, 16) == load<u32>(b, 16);
}

// @ts-ignore: decorator
@inline export function bitOf(id: usize, i: i32): u32 {
  return (<u32>load<u8>(id + <usize>(i >> 3)) >> (7 - (i & 7))) & 1;
}

// Small fixed-size copies as word moves: memory.copy is a runtime call in engines.
// @ts-ignore: decorator
@inline export function copyId(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
  store<u32>(dst, load<u32>(src, 16), 16);
}

// @ts-ignore: decorator
@inline export function copyAddress(dst: usize, src: usize, length: i32): void {
  if (length == 6) {
    store<u32>(dst, load<u32>(src));
    store<u16>(dst, load<u16>(src, 4), 4);
  } else {
    store<u64>(dst, load<u64>(src));
    store<u64>(dst, load<u64>(src, 8), 8);
    store<u16>(dst, load<u16>(src, 16), 16);
  }
}

// @ts-ignore: decorator
@inline export function copyRecord(dst: usize, src: usize): void {
  for (let i: usize = 0; i < <usize>RECORD; i += 8) store<u64>(dst + i, load<u64>(src + i));
}

export function bucketIndex(table: usize, id: usize): i32 {
  const n = i32At(table, H_BUCKET_COUNT);
  const d = commonPrefix(id, table);
  return d < n - 1 ? d : n - 1;
}
