/**
 * Layout of a routing table region in linear memory, and the small helpers
 * over it that the table operations (routing.ts, owners.ts) and closest() share.
 *
 * The buckets are the leaves of a binary trie over the 160-bit space; a full
 * bucket splits when its range holds one of the table's registered ids (its
 * own ids: one for a plain node, many in crawler mode).
 *
 *   header (HEADER bytes): primary id, options, counts, capacities, root; then the top index:
 *     TOP_ENTRIES i32 references, entry p the node the trie reaches from the root along the
 *     TOP_BITS-bit prefix p (a bucket, or the first branch on a bit >= TOP_BITS), so closest()
 *     lands near its target's bucket with one load instead of a walk from the root
 *   buckets: `capacity` of them at HEADER + i * stride, stride = BUCKET_HEAD + (k + cacheSize) * RECORD:
 *     i32 count | i32 cache count | f64 lastChanged | i32 prefix length | i32 sortable | k node records | cache records
 *     (sortable: 1 when the bucket holds 8 nodes, none bad, no two whose keys agree above their
 *     3 low bits, so closest() orders them with the 8-key network; kept by `refreshSortable`)
 *   cells (the trie's branches): `capacity` of them, CELL bytes each: i32 bit | i32 zero | i32 one;
 *     a reference (root, zero, one) >= 0 is a cell index, < 0 the bucket ~reference
 *   ids: the registered ids, the primary among them, sorted, ID bytes each, `idCapacity` of them
 *   node record (RECORD bytes): id[20] | address[18] | u8 responded | i32 failures | f64 lastSeen | u64 key
 *     (key: the id's first 8 bytes as a big-endian number, so closest() orders by distance without a byte swap per node)
 *
 * A trie of n buckets has n - 1 branches, so cells need no capacity of their own.
 */

export const H_K: i32 = 20;
export const H_CACHE_SIZE: i32 = 24;
export const H_ADDRESS_LENGTH: i32 = 28;
export const H_MAX_FAILURES: i32 = 32;
export const H_BUCKET_COUNT: i32 = 36;
export const H_SIZE: i32 = 40;
export const H_CAPACITY: i32 = 44;
export const H_STRIDE: i32 = 48;
export const H_ROOT: i32 = 52;
export const H_QUESTIONABLE_AFTER: i32 = 56;
export const H_ID_COUNT: i32 = 64;
export const H_ID_CAPACITY: i32 = 68;
/** Byte offsets, from the table, of the cells and of the ids. */
export const H_CELLS: i32 = 72;
export const H_IDS: i32 = 76;
/** The top index (see above): 2^TOP_BITS references after the fixed header fields. */
export const TOP_BITS: i32 = 8;
export const TOP_ENTRIES: i32 = 1 << TOP_BITS;
export const H_TOP: i32 = 96;
export const HEADER: i32 = H_TOP + TOP_ENTRIES * 4;

export const B_COUNT: i32 = 0;
export const B_CACHE_COUNT: i32 = 4;
export const B_LAST_CHANGED: i32 = 8;
export const B_DEPTH: i32 = 16;
export const B_SORTABLE: i32 = 20;
export const BUCKET_HEAD: i32 = 24;

export const R_ADDRESS: i32 = 20;
export const R_RESPONDED: i32 = 38;
export const R_FAILURES: i32 = 40;
export const R_LAST_SEEN: i32 = 48;
export const R_KEY: i32 = 56;
export const RECORD: i32 = 64;

export const CELL: i32 = 12;
export const C_BIT: i32 = 0;
export const C_ZERO: i32 = 4;
export const C_ONE: i32 = 8;
export const ID: i32 = 20;

/** Deepest prefix a bucket may have: its range is two ids, one more split gains nothing (160 buckets along one id's path). */
export const MAX_PREFIX_LENGTH: i32 = 159;

// @ts-ignore: decorator
@inline export function i32At(p: usize, offset: i32): i32 {
  return load<i32>(p + <usize>offset);
}
// @ts-ignore: decorator
@inline export function setI32At(p: usize, offset: i32, value: i32): void {
  store<i32>(p + <usize>offset, value);
}

function align8(n: i32): i32 {
  return (n + 7) & ~7;
}

/** Offset of the cells in a region of `capacity` buckets. */
export function cellsOffset(k: i32, cacheSize: i32, capacity: i32): i32 {
  return HEADER + capacity * (BUCKET_HEAD + (k + cacheSize) * RECORD);
}

/** Offset of the ids in a region of `capacity` buckets. */
export function idsOffset(k: i32, cacheSize: i32, capacity: i32): i32 {
  return cellsOffset(k, cacheSize, capacity) + align8(capacity * CELL);
}

/** Byte size of a region holding `capacity` buckets and `idCapacity` registered ids. */
export function tableBytes(k: i32, cacheSize: i32, capacity: i32, idCapacity: i32): i32 {
  return idsOffset(k, cacheSize, capacity) + idCapacity * ID;
}

// @ts-ignore: decorator
@inline export function bucketAt(table: usize, i: i32): usize {
  return table + <usize>HEADER + <usize>i * <usize>i32At(table, H_STRIDE);
}
// @ts-ignore: decorator
@inline export function cellAt(table: usize, i: i32): usize {
  return table + <usize>i32At(table, H_CELLS) + <usize>(i * CELL);
}
// @ts-ignore: decorator
@inline export function idAt(table: usize, i: i32): usize {
  return table + <usize>i32At(table, H_IDS) + <usize>(i * ID);
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

/** Address of the reference to the bucket where `id` belongs: the root slot, or a branch's child field. */
export function leafSlot(table: usize, id: usize): usize {
  let slot = table + <usize>H_ROOT;
  let ref = load<i32>(slot);
  if (ref < 0) return slot;
  const cells = table + <usize>i32At(table, H_CELLS);
  do {
    const cell = cells + <usize>(ref * CELL);
    slot = cell + <usize>(C_ZERO + (<i32>bitOf(id, load<i32>(cell)) << 2));
    ref = load<i32>(slot);
  } while (ref >= 0);
  return slot;
}

/**
 * Rebuild the top index from the trie (after the trie changed: a new table, a
 * split). Cheap beside a split: TOP_ENTRIES walks of at most TOP_BITS steps.
 */
export function indexTop(table: usize): void {
  const cells = table + <usize>i32At(table, H_CELLS);
  const root = i32At(table, H_ROOT);
  for (let p = 0; p < TOP_ENTRIES; p++) {
    let ref = root;
    while (ref >= 0) {
      const cell = cells + <usize>(ref * CELL);
      const bit = load<i32>(cell);
      if (bit >= TOP_BITS) break;
      ref = load<i32>(cell + <usize>(C_ZERO + (((p >> (TOP_BITS - 1 - bit)) & 1) << 2)));
    }
    store<i32>(table + <usize>(H_TOP + (p << 2)), ref);
  }
}

/**
 * Recompute a bucket's `sortable` flag (see the layout above) after its nodes
 * or their failures changed. It holds no clock: bad is failures >= maxFailures,
 * fixed per table; and two keys that agree above their low 3 bits agree so
 * after an XOR with any target, so the flag needs no target either.
 */
export function refreshSortable(table: usize, bucket: usize): void {
  let sortable = i32At(bucket, B_COUNT) == 8;
  if (sortable) {
    const maxFailures = i32At(table, H_MAX_FAILURES);
    const nodes = bucket + BUCKET_HEAD;
    for (let i = 0; i < 8 && sortable; i++) {
      const record = recordAt(nodes, i);
      if (load<i32>(record + R_FAILURES) >= maxFailures) sortable = false;
      const high = load<u64>(record + R_KEY) >> 3;
      for (let j = i + 1; j < 8 && sortable; j++) {
        if (load<u64>(recordAt(nodes, j) + R_KEY) >> 3 == high) sortable = false;
      }
    }
  }
  setI32At(bucket, B_SORTABLE, sortable ? 1 : 0);
}

/** The bucket where `id` belongs. */
// @ts-ignore: decorator
@inline export function leafOf(table: usize, id: usize): usize {
  return bucketAt(table, ~load<i32>(leafSlot(table, id)));
}
