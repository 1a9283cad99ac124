/**
 * closest(): the k nearest good-or-questionable nodes to a target, nearest
 * first, without sorting the table (docs/CORE-SPEC.md, "closest").
 */
import { KEYS, PAYLOAD_BITS, nearest8, sort8 } from './sort8';
import {
  BUCKET_HEAD,
  B_COUNT,
  B_SORTABLE,
  CELL,
  C_ONE,
  C_ZERO,
  H_ADDRESS_LENGTH,
  H_CELLS,
  H_MAX_FAILURES,
  H_ROOT,
  H_SIZE,
  H_TOP,
  R_ADDRESS,
  R_FAILURES,
  RECORD,
  R_KEY,
  bitOf,
  bucketAt,
  copyAddress,
  copyId,
  i32At,
  recordAt,
} from './table-layout';

// closest(): candidates as (distance as three big-endian words, record) in `work`.
const CANDIDATE: i32 = 24;
/** The payload bits of a sort8 key: a record's slot in its bucket (0-7). */
const SLOT_MASK: u64 = (1 << PAYLOAD_BITS) - 1;

/**
 * The target's own bucket, when it holds 7 or 8 eligible nodes (a full bucket
 * at K = 8), ordered by the branch-free network on the top 61 bits of the
 * distances (the low 3 carry the record's slot). When it holds at least k,
 * the nearest k go straight to `out` (as closest() writes them) and the count
 * is returned; else all go to the candidate slots of `work` and -2 - count is
 * returned. -1: take the general path (other sizes, or two keys equal above
 * the slot bits, where only the full 160-bit compare decides).
 */
function sortHome(table: usize, bucket: usize, target: usize, k: i32, out: usize, work: usize, compact: bool): i32 {
  const size = i32At(bucket, B_COUNT);
  if (size < 7 || size > 8) return -1;
  const maxFailures = i32At(table, H_MAX_FAILURES);
  const t0 = bswap<u64>(load<u64>(target));
  const nodes = bucket + BUCKET_HEAD;
  let eligible = 0;
  for (let i = 0; i < size; i++) {
    const record = recordAt(nodes, i);
    if (load<i32>(record + R_FAILURES) >= maxFailures) continue;
    store<u64>(KEYS + (<usize>eligible << 3), ((load<u64>(record + R_KEY) ^ t0) & ~SLOT_MASK) | <u64>i);
    eligible++;
  }
  if (eligible < 7) return -1;
  // One padding key sorts last; a real key equal to it above the slot bits shows up as a tie.
  if (eligible == 7) store<u64>(KEYS + 56, u64.MAX_VALUE);
  if (sort8()) return -1;
  if (eligible < k) {
    for (let i = 0; i < eligible; i++) {
      store<u32>(work + <usize>(i * CANDIDATE), <u32>recordAt(nodes, <i32>(load<u64>(KEYS + (<usize>i << 3)) & SLOT_MASK)), 20);
    }
    return -eligible - 2;
  }
  const addressLength = i32At(table, H_ADDRESS_LENGTH);
  const entry = <usize>(20 + addressLength);
  for (let i = 0; i < k; i++) {
    const record = recordAt(nodes, <i32>(load<u64>(KEYS + (<usize>i << 3)) & SLOT_MASK));
    if (compact) {
      const to = out + <usize>i * entry;
      copyId(to, record);
      copyAddress(to + 20, record + R_ADDRESS, addressLength);
    } else {
      store<u32>(out + (<usize>i << 2), <u32>record);
    }
  }
  return k;
}

/** Insert the bucket's eligible nodes into the sorted run [from, count) of `work`, at most k in all. */
function collect(table: usize, bucket: usize, target: usize, work: usize, from: i32, count: i32, k: i32): i32 {
  const nodes = bucket + BUCKET_HEAD;
  const size = i32At(bucket, B_COUNT);
  const maxFailures = i32At(table, H_MAX_FAILURES);
  const t0 = bswap<u64>(load<u64>(target));
  const t1 = bswap<u64>(load<u64>(target, 8));
  const t2 = bswap<u32>(load<u32>(target, 16));
  for (let i = 0; i < size; i++) {
    const record = recordAt(nodes, i);
    if (load<i32>(record + R_FAILURES) >= maxFailures) continue;
    const d0 = load<u64>(record + R_KEY) ^ t0;
    const d1 = bswap<u64>(load<u64>(record, 8)) ^ t1;
    const d2 = bswap<u32>(load<u32>(record, 16)) ^ t2;
    let j = count;
    if (count == k) {
      // Full: only nearer than the current last gets in (it falls off).
      const last = work + <usize>((k - 1) * CANDIDATE);
      const l0 = load<u64>(last);
      const l1 = load<u64>(last, 8);
      if (d0 > l0 || (d0 == l0 && (d1 > l1 || (d1 == l1 && d2 > load<u32>(last, 16))))) continue;
      j = k - 1;
    } else {
      count++;
    }
    while (j > from) {
      const prev = work + <usize>((j - 1) * CANDIDATE);
      const p0 = load<u64>(prev);
      const p1 = load<u64>(prev, 8);
      if (p0 < d0 || (p0 == d0 && (p1 < d1 || (p1 == d1 && load<u32>(prev, 16) < d2)))) break;
      store<u64>(prev, p0, CANDIDATE);
      store<u64>(prev, p1, CANDIDATE + 8);
      store<u64>(prev, load<u64>(prev, 16), CANDIDATE + 16);
      j--;
    }
    const at = work + <usize>(j * CANDIDATE);
    store<u64>(at, d0);
    store<u64>(at, d1, 8);
    store<u32>(at, d2, 16);
    store<u32>(at, <u32>record, 20);
  }
  return count;
}

/** Pending far sides of the walk: at most one per trie level. */
const STACK: usize = memory.data(161 * 4, 16);

/**
 * The k nearest good-or-questionable nodes to the target at `args`, nearest
 * first, without sorting the table. At a branch on bit b every id on the
 * target's side is nearer than every id on the other side, so a depth-first
 * walk taking the target's side first meets the buckets in distance order:
 * each bucket after the first only appends behind what is already held, and
 * once k are held nothing left can beat them. The target's own bucket is
 * ordered by a sorting network when it can, the others by a bounded insertion
 * sort. `compact`: write id + address per node to `out`; else write the record
 * addresses (i32). Returns the count.
 */
export function closest(table: usize, args: usize, k: i32, out: usize, work: usize, compact: bool): i32 {
  const size = i32At(table, H_SIZE);
  if (k > size) k = size;
  if (k <= 0) return 0;
  const cells = table + <usize>i32At(table, H_CELLS);
  let top: usize = 0;
  let ref = i32At(table, H_ROOT);
  while (ref >= 0) {
    const cell = cells + <usize>(ref * CELL);
    const near = C_ZERO + (<i32>bitOf(args, load<i32>(cell)) << 2);
    store<i32>(STACK + top, load<i32>(cell + <usize>(near ^ (C_ZERO ^ C_ONE))));
    top += 4;
    ref = load<i32>(cell + <usize>near);
  }
  const home = bucketAt(table, ~ref);
  if (k <= 8 && i32At(home, B_SORTABLE) != 0) {
    const entry = compact ? <usize>(20 + i32At(table, H_ADDRESS_LENGTH)) : 0;
    nearest8(home + BUCKET_HEAD, bswap<u64>(load<u64>(args)), k, out, entry, compact);
    return k;
  }
  let count = sortHome(table, home, args, k, out, work, compact);
  if (count >= 0) return count;
  count = count == -1 ? collect(table, home, args, work, 0, 0, k) : -count - 2;
  while (count < k && top > 0) {
    top -= 4;
    ref = load<i32>(STACK + top);
    while (ref >= 0) {
      const cell = cells + <usize>(ref * CELL);
      const near = C_ZERO + (<i32>bitOf(args, load<i32>(cell)) << 2);
      store<i32>(STACK + top, load<i32>(cell + <usize>(near ^ (C_ZERO ^ C_ONE))));
      top += 4;
      ref = load<i32>(cell + <usize>near);
    }
    count = collect(table, bucketAt(table, ~ref), args, work, count, count, k);
  }
  if (compact) {
    const addressLength = i32At(table, H_ADDRESS_LENGTH);
    const entry = <usize>(20 + addressLength);
    for (let i = 0; i < count; i++) {
      const record = <usize>load<u32>(work + <usize>(i * CANDIDATE), 20);
      const to = out + <usize>i * entry;
      copyId(to, record);
      copyAddress(to + 20, record + R_ADDRESS, addressLength);
    }
  } else {
    for (let i = 0; i < count; i++) store<u32>(out + (<usize>i << 2), load<u32>(work + <usize>(i * CANDIDATE), 20));
  }
  return count;
}

/** The target of closestWords, as the host passed it. */
const TARGET: usize = memory.data(20, 16);

/**
 * closest() into compact node info for a target passed as five little-endian
 * words (its bytes 0-3, 4-7, …): the host hands them over as arguments instead
 * of writing 20 bytes into linear memory one by one.
 */
export function closestWords(table: usize, w0: u32, w1: u32, w2: u32, w3: u32, w4: u32, k: i32, out: usize, work: usize): i32 {
  store<u32>(TARGET, w0);
  store<u32>(TARGET, w1, 4);
  store<u32>(TARGET, w2, 8);
  store<u32>(TARGET, w3, 12);
  store<u32>(TARGET, w4, 16);
  return closest(table, TARGET, k, out, work, true);
}

/**
 * closest()'s common case, for a target given by its first 8 bytes (two
 * little-endian words, bytes 0-3 and 4-7): at most 8 nodes asked, and the
 * target's bucket, found through the top index and at a depth under 64, is
 * sortable (8 nodes, none bad, no two keys agreeing above the slot bits). Writes what
 * closest() writes for it to `out` (compact node info) and returns the count;
 * -1 when the case does not apply, with nothing written (the host then calls
 * closestWords with the whole target).
 */
export function nearestWords(table: usize, w0: u32, w1: u32, k: i32, out: usize): i32 {
  const size = i32At(table, H_SIZE);
  if (k > size) k = size;
  if (k <= 0) return 0;
  if (k > 8) return -1;
  const t0 = bswap<u64>(<u64>w0 | (<u64>w1 << 32));
  let ref = load<i32>(table + <usize>H_TOP + <usize>(<u32>(t0 >> 56) << 2));
  if (ref >= 0) {
    const cells = table + <usize>i32At(table, H_CELLS);
    do {
      const cell = cells + <usize>(ref * CELL);
      const bit = load<i32>(cell);
      if (bit >= 64) return -1;
      ref = load<i32>(cell + <usize>(C_ZERO + (<i32>((t0 << <u64>bit) >> 63) << 2)));
    } while (ref >= 0);
  }
  const home = bucketAt(table, ~ref);
  if (i32At(home, B_SORTABLE) == 0) return -1;
  nearest8(home + BUCKET_HEAD, t0, k, out, <usize>(20 + i32At(table, H_ADDRESS_LENGTH)), true);
  return k;
}
