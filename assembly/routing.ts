/**
 * The routing table (docs/CORE-SPEC.md, "Routing table") in a region of linear
 * memory the host allocates per table (layout in table-layout.ts): a trie of
 * buckets that split around every registered id. Nodes keep insertion order;
 * the cache is a queue, oldest first. A region holds `capacity` buckets and
 * `idCapacity` ids: an add that must split past it (or a register past the
 * ids) returns NEED_GROW before changing anything of that step, the host moves
 * the table to a bigger region (`moveTable`) and repeats the call, which
 * resumes where it stopped. The id / address arguments are read from `args`,
 * where the host writes them.
 */
import {
  BUCKET_HEAD,
  B_CACHE_COUNT,
  B_COUNT,
  B_DEPTH,
  B_LAST_CHANGED,
  CELL,
  C_BIT,
  C_ONE,
  C_ZERO,
  HEADER,
  H_ADDRESS_LENGTH,
  H_BUCKET_COUNT,
  H_CACHE_SIZE,
  H_CAPACITY,
  H_CELLS,
  H_ID_CAPACITY,
  H_ID_COUNT,
  H_IDS,
  H_K,
  H_MAX_FAILURES,
  H_QUESTIONABLE_AFTER,
  H_ROOT,
  H_SIZE,
  H_STRIDE,
  ID,
  MAX_PREFIX_LENGTH,
  RECORD,
  R_ADDRESS,
  R_FAILURES,
  R_KEY,
  R_LAST_SEEN,
  R_RESPONDED,
  bitOf,
  bucketAt,
  cacheOf,
  cellAt,
  cellsOffset,
  copyAddress,
  copyId,
  copyRecord,
  i32At,
  idAt,
  idsOffset,
  indexTop,
  leafOf,
  leafSlot,
  recordAt,
  refreshSortable,
  sameId,
  setI32At,
} from './table-layout';
import { insertId, maxSharedBits, removeId } from './owners';

export const ADDED: i32 = 0;
export const UPDATED: i32 = 1;
export const CACHED: i32 = 2;
export const REJECTED: i32 = 3;
export const NEED_GROW: i32 = -1;

/** One record of scratch, to rotate a cache entry to the newest end. */
const SPARE: usize = memory.data(RECORD, 16);

function find(first: usize, count: i32, id: usize): i32 {
  for (let i = 0; i < count; i++) if (sameId(recordAt(first, i), id)) return i;
  return -1;
}

/** BEP 5 bookkeeping for activity of a known node (spec, add step 2). */
function touch(record: usize, now: f64, responded: bool): bool {
  if (responded) {
    store<u8>(record + R_RESPONDED, 1);
    store<f64>(record + R_LAST_SEEN, now);
    store<i32>(record + R_FAILURES, 0);
    return true;
  }
  if (load<u8>(record + R_RESPONDED) != 0) store<f64>(record + R_LAST_SEEN, now);
  return false;
}

function writeRecord(record: usize, args: usize, addressLength: i32, now: f64, responded: bool): void {
  copyId(record, args);
  store<u64>(record + R_KEY, bswap<u64>(load<u64>(args)));
  copyAddress(record + R_ADDRESS, args + 20, addressLength);
  store<u8>(record + R_RESPONDED, responded ? 1 : 0);
  store<i32>(record + R_FAILURES, 0);
  store<f64>(record + R_LAST_SEEN, now);
}

/** Remove record i of `count` at `first`, keeping the order of the others. */
function removeAt(first: usize, count: i32, i: i32): void {
  const at = recordAt(first, i);
  memory.copy(at, at + RECORD, <usize>((count - 1 - i) * RECORD));
}

/** Move the newest cache entry of `bucket` to the end of its nodes. */
function promoteNewest(table: usize, bucket: usize): void {
  const cacheCount = i32At(bucket, B_CACHE_COUNT) - 1;
  const count = i32At(bucket, B_COUNT);
  copyRecord(recordAt(bucket + BUCKET_HEAD, count), recordAt(cacheOf(table, bucket), cacheCount));
  setI32At(bucket, B_COUNT, count + 1);
  setI32At(bucket, B_CACHE_COUNT, cacheCount);
}

/** Refill a bucket from its own cache, newest first, while it has room; returns how many moved. */
function refill(table: usize, bucket: usize, k: i32): i32 {
  let promoted = 0;
  while (i32At(bucket, B_COUNT) < k && i32At(bucket, B_CACHE_COUNT) > 0) {
    promoteNewest(table, bucket);
    promoted++;
  }
  return promoted;
}

export function initTable(
  table: usize,
  args: usize,
  k: i32,
  cacheSize: i32,
  addressLength: i32,
  maxFailures: i32,
  questionableAfter: f64,
  capacity: i32,
  idCapacity: i32,
): void {
  copyId(table, args);
  setI32At(table, H_K, k);
  setI32At(table, H_CACHE_SIZE, cacheSize);
  setI32At(table, H_ADDRESS_LENGTH, addressLength);
  setI32At(table, H_MAX_FAILURES, maxFailures);
  setI32At(table, H_BUCKET_COUNT, 1);
  setI32At(table, H_SIZE, 0);
  setI32At(table, H_CAPACITY, capacity);
  setI32At(table, H_STRIDE, BUCKET_HEAD + (k + cacheSize) * RECORD);
  setI32At(table, H_ROOT, ~0);
  store<f64>(table + H_QUESTIONABLE_AFTER, questionableAfter);
  setI32At(table, H_CELLS, cellsOffset(k, cacheSize, capacity));
  setI32At(table, H_IDS, idsOffset(k, cacheSize, capacity));
  setI32At(table, H_ID_CAPACITY, idCapacity);
  setI32At(table, H_ID_COUNT, 1);
  copyId(idAt(table, 0), args);
  const first = bucketAt(table, 0);
  memory.fill(first, 0, BUCKET_HEAD);
  indexTop(table);
}

/** Copy a table into a region of `capacity` buckets and `idCapacity` ids (regions may not overlap). */
export function moveTable(from: usize, to: usize, capacity: i32, idCapacity: i32): void {
  const k = i32At(from, H_K);
  const cacheSize = i32At(from, H_CACHE_SIZE);
  const buckets = i32At(from, H_BUCKET_COUNT);
  memory.copy(to, from, <usize>HEADER + <usize>buckets * <usize>i32At(from, H_STRIDE));
  setI32At(to, H_CAPACITY, capacity);
  setI32At(to, H_ID_CAPACITY, idCapacity);
  setI32At(to, H_CELLS, cellsOffset(k, cacheSize, capacity));
  setI32At(to, H_IDS, idsOffset(k, cacheSize, capacity));
  memory.copy(cellAt(to, 0), cellAt(from, 0), <usize>((buckets - 1) * CELL));
  memory.copy(idAt(to, 0), idAt(from, 0), <usize>(i32At(from, H_ID_COUNT) * ID));
}

/**
 * Split the bucket referenced from `slot` on its next bit (spec, add step 5):
 * the zero half stays in its storage, the one half moves to a new bucket, both
 * keep their order and lastChanged, then each refills from its own cache.
 * Returns the slot of the half where `id` belongs.
 */
function split(table: usize, slot: usize, id: usize): usize {
  const k = i32At(table, H_K);
  const n = i32At(table, H_BUCKET_COUNT);
  const index = ~load<i32>(slot);
  const old = bucketAt(table, index);
  const bit = i32At(old, B_DEPTH);
  const fresh = bucketAt(table, n);
  const oldNodes = old + BUCKET_HEAD;
  const newNodes = fresh + BUCKET_HEAD;
  const oldCache = cacheOf(table, old);
  const newCache = cacheOf(table, fresh);

  let kept = 0;
  let moved = 0;
  const count = i32At(old, B_COUNT);
  for (let i = 0; i < count; i++) {
    const record = recordAt(oldNodes, i);
    if (bitOf(record, bit) == 1) copyRecord(recordAt(newNodes, moved++), record);
    else {
      if (kept != i) copyRecord(recordAt(oldNodes, kept), record);
      kept++;
    }
  }
  setI32At(old, B_COUNT, kept);
  setI32At(fresh, B_COUNT, moved);

  kept = 0;
  moved = 0;
  const cacheCount = i32At(old, B_CACHE_COUNT);
  for (let i = 0; i < cacheCount; i++) {
    const record = recordAt(oldCache, i);
    if (bitOf(record, bit) == 1) copyRecord(recordAt(newCache, moved++), record);
    else {
      if (kept != i) copyRecord(recordAt(oldCache, kept), record);
      kept++;
    }
  }
  setI32At(old, B_CACHE_COUNT, kept);
  setI32At(fresh, B_CACHE_COUNT, moved);
  store<f64>(fresh + B_LAST_CHANGED, load<f64>(old + B_LAST_CHANGED));
  setI32At(old, B_DEPTH, bit + 1);
  setI32At(fresh, B_DEPTH, bit + 1);

  // A trie of n leaves has n - 1 branches: the new one is cell n - 1.
  const cell = cellAt(table, n - 1);
  setI32At(cell, C_BIT, bit);
  setI32At(cell, C_ZERO, ~index);
  setI32At(cell, C_ONE, ~n);
  store<i32>(slot, n - 1);
  setI32At(table, H_BUCKET_COUNT, n + 1);
  indexTop(table);

  const promoted = refill(table, old, k) + refill(table, fresh, k);
  setI32At(table, H_SIZE, i32At(table, H_SIZE) + promoted);
  refreshSortable(table, old);
  refreshSortable(table, fresh);
  return cell + <usize>(C_ZERO + (<i32>bitOf(id, bit) << 2));
}

/** Offer the node whose id and address are at `args` (spec, `add`). */
export function add(table: usize, args: usize, now: f64, responded: bool): i32 {
  const result = offer(table, args, now, responded);
  // A node in, a bad one replaced, failures reset: the bucket of `args` changed (a split
  // refreshed both halves itself; a cached or rejected node leaves the bucket as it was).
  if (result == ADDED || result == UPDATED) refreshSortable(table, leafOf(table, args));
  return result;
}

function offer(table: usize, args: usize, now: f64, responded: bool): i32 {
  // How deep the buckets around `args` may split: past the bits it shares with our ids, no bucket holds one.
  const shared = maxSharedBits(table, args);
  if (shared == 160) return REJECTED;
  const k = i32At(table, H_K);
  const addressLength = i32At(table, H_ADDRESS_LENGTH);
  let slot = leafSlot(table, args);
  let bucket = bucketAt(table, ~load<i32>(slot));
  let nodes = bucket + BUCKET_HEAD;
  let count = i32At(bucket, B_COUNT);
  const found = find(nodes, count, args);
  if (found >= 0) {
    const record = recordAt(nodes, found);
    copyAddress(record + R_ADDRESS, args + 20, addressLength);
    if (touch(record, now, responded)) store<f64>(bucket + B_LAST_CHANGED, now);
    return UPDATED;
  }
  {
    const cache = cacheOf(table, bucket);
    const cacheCount = i32At(bucket, B_CACHE_COUNT);
    const cached = find(cache, cacheCount, args);
    if (cached >= 0) {
      const record = recordAt(cache, cached);
      copyAddress(record + R_ADDRESS, args + 20, addressLength);
      touch(record, now, responded);
      copyRecord(SPARE, record);
      removeAt(cache, cacheCount, cached);
      copyRecord(recordAt(cache, cacheCount - 1), SPARE);
      return CACHED;
    }
  }
  while (true) {
    if (count < k) {
      writeRecord(recordAt(nodes, count), args, addressLength, now, responded);
      setI32At(bucket, B_COUNT, count + 1);
      store<f64>(bucket + B_LAST_CHANGED, now);
      setI32At(table, H_SIZE, i32At(table, H_SIZE) + 1);
      return ADDED;
    }
    const depth = i32At(bucket, B_DEPTH);
    // Split only a bucket whose range holds one of our ids: `args` shares `depth` bits with all of the range.
    if (shared < depth || depth >= MAX_PREFIX_LENGTH) break;
    if (i32At(table, H_BUCKET_COUNT) >= i32At(table, H_CAPACITY)) return NEED_GROW;
    slot = split(table, slot, args);
    bucket = bucketAt(table, ~load<i32>(slot));
    nodes = bucket + BUCKET_HEAD;
    count = i32At(bucket, B_COUNT);
  }
  const maxFailures = i32At(table, H_MAX_FAILURES);
  for (let i = 0; i < count; i++) {
    const record = recordAt(nodes, i);
    if (load<i32>(record + R_FAILURES) >= maxFailures) {
      writeRecord(record, args, addressLength, now, responded);
      store<f64>(bucket + B_LAST_CHANGED, now);
      return ADDED;
    }
  }
  const cacheSize = i32At(table, H_CACHE_SIZE);
  if (cacheSize <= 0) return CACHED;
  const cache = cacheOf(table, bucket);
  const cacheCount = i32At(bucket, B_CACHE_COUNT);
  let at = cacheCount;
  if (cacheCount >= cacheSize) {
    removeAt(cache, cacheCount, 0);
    at = cacheCount - 1;
  }
  writeRecord(recordAt(cache, at), args, addressLength, now, responded);
  setI32At(bucket, B_CACHE_COUNT, at + 1);
  return CACHED;
}

/**
 * Register the id at `args` (one of ours from now on: a full bucket holding it
 * splits). A node with that id leaves the bucket (refilled from the cache) or
 * the cache. 1 registered, 0 already registered, NEED_GROW: no room for ids.
 */
export function register(table: usize, args: usize): i32 {
  const inserted = insertId(table, args);
  if (inserted <= 0) return inserted;
  const bucket = leafOf(table, args);
  const nodes = bucket + BUCKET_HEAD;
  const count = i32At(bucket, B_COUNT);
  const found = find(nodes, count, args);
  if (found >= 0) {
    removeAt(nodes, count, found);
    setI32At(bucket, B_COUNT, count - 1);
    const promoted = refill(table, bucket, i32At(table, H_K));
    setI32At(table, H_SIZE, i32At(table, H_SIZE) - 1 + promoted);
    refreshSortable(table, bucket);
    return 1;
  }
  const cache = cacheOf(table, bucket);
  const cacheCount = i32At(bucket, B_CACHE_COUNT);
  const cached = find(cache, cacheCount, args);
  if (cached >= 0) {
    removeAt(cache, cacheCount, cached);
    setI32At(bucket, B_CACHE_COUNT, cacheCount - 1);
  }
  return 1;
}

/** Stop splitting around the id at `args` (buckets already split stay). False if it was not registered. */
export function unregister(table: usize, args: usize): bool {
  return removeId(table, args);
}

/** Prefix length of the bucket where the id at `args` belongs. */
export function depthOf(table: usize, args: usize): i32 {
  return i32At(leafOf(table, args), B_DEPTH);
}

/** Record of the bucket node with the id at `args`, or 0. */
export function findNode(table: usize, args: usize): usize {
  const bucket = leafOf(table, args);
  const nodes = bucket + BUCKET_HEAD;
  const found = find(nodes, i32At(bucket, B_COUNT), args);
  return found >= 0 ? recordAt(nodes, found) : 0;
}

export function seen(table: usize, args: usize, now: f64, responded: bool): bool {
  const bucket = leafOf(table, args);
  const nodes = bucket + BUCKET_HEAD;
  const found = find(nodes, i32At(bucket, B_COUNT), args);
  if (found < 0) return false;
  if (touch(recordAt(nodes, found), now, responded)) {
    store<f64>(bucket + B_LAST_CHANGED, now);
    refreshSortable(table, bucket); // failures reset
  }
  return true;
}

/** -1 unknown, 0 'failed', 1 'bad', 2 'removed'. */
export function failed(table: usize, args: usize): i32 {
  const bucket = leafOf(table, args);
  const nodes = bucket + BUCKET_HEAD;
  const count = i32At(bucket, B_COUNT);
  const found = find(nodes, count, args);
  if (found >= 0) {
    const record = recordAt(nodes, found);
    const failures = load<i32>(record + R_FAILURES) + 1;
    store<i32>(record + R_FAILURES, failures);
    if (failures < i32At(table, H_MAX_FAILURES)) return 0;
    if (i32At(bucket, B_CACHE_COUNT) == 0) {
      refreshSortable(table, bucket);
      return 1;
    }
    removeAt(nodes, count, found);
    setI32At(bucket, B_COUNT, count - 1);
    promoteNewest(table, bucket);
    refreshSortable(table, bucket);
    return 2;
  }
  const cache = cacheOf(table, bucket);
  const cacheCount = i32At(bucket, B_CACHE_COUNT);
  const cached = find(cache, cacheCount, args);
  if (cached < 0) return -1;
  removeAt(cache, cacheCount, cached);
  setI32At(bucket, B_CACHE_COUNT, cacheCount - 1);
  return 2;
}

export function remove(table: usize, args: usize): bool {
  const bucket = leafOf(table, args);
  const nodes = bucket + BUCKET_HEAD;
  const count = i32At(bucket, B_COUNT);
  const found = find(nodes, count, args);
  if (found >= 0) {
    removeAt(nodes, count, found);
    setI32At(bucket, B_COUNT, count - 1);
    if (i32At(bucket, B_CACHE_COUNT) > 0) promoteNewest(table, bucket);
    else setI32At(table, H_SIZE, i32At(table, H_SIZE) - 1);
    refreshSortable(table, bucket);
    return true;
  }
  const cache = cacheOf(table, bucket);
  const cacheCount = i32At(bucket, B_CACHE_COUNT);
  const cached = find(cache, cacheCount, args);
  if (cached < 0) return false;
  removeAt(cache, cacheCount, cached);
  setI32At(bucket, B_CACHE_COUNT, cacheCount - 1);
  return true;
}

/** 0 good, 1 questionable, 2 bad. */
function stateOf(table: usize, record: usize, now: f64): i32 {
  if (load<i32>(record + R_FAILURES) >= i32At(table, H_MAX_FAILURES)) return 2;
  if (load<u8>(record + R_RESPONDED) != 0 && now - load<f64>(record + R_LAST_SEEN) < load<f64>(table + H_QUESTIONABLE_AFTER)) return 0;
  return 1;
}

/** -1 unknown, else as stateOf. */
export function state(table: usize, args: usize, now: f64): i32 {
  const record = findNode(table, args);
  return record ? stateOf(table, record, now) : -1;
}

/** The questionable node with the smallest lastSeen in the bucket of the id at `args`, or 0. */
export function stalest(table: usize, args: usize, now: f64): usize {
  const bucket = leafOf(table, args);
  const nodes = bucket + BUCKET_HEAD;
  const count = i32At(bucket, B_COUNT);
  let best: usize = 0;
  let bestSeen: f64 = 0;
  for (let i = 0; i < count; i++) {
    const record = recordAt(nodes, i);
    if (stateOf(table, record, now) != 1) continue;
    const lastSeen = load<f64>(record + R_LAST_SEEN);
    if (best == 0 || lastSeen < bestSeen) {
      best = record;
      bestSeen = lastSeen;
    }
  }
  return best;
}
