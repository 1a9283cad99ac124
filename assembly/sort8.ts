/**
 * Sorting network for 8 u64 keys, branch-free: closest() sorts the target's
 * own bucket (k = 8 by default) this way, where an insertion sort of random
 * distances mispredicts about once per node. Each key carries its payload in
 * its low bits (closest(): the record's slot in its bucket), so a
 * compare-exchange is one compare and two selects on eight locals that fit the
 * registers. 19 compare-exchanges (a valid 8-input network, checked
 * exhaustively by the 0-1 principle); code written out by a generator.
 */
import { RECORD, R_KEY } from './table-layout';

/** In/out: 8 u64 keys. */
export const KEYS: usize = memory.data(8 * 8, 16);
/** Low bits of a key that carry its payload, not its rank. */
export const PAYLOAD_BITS: u64 = 3;

/**
 * Sort the 8 keys at KEYS ascending; true if two keys agree above their
 * PAYLOAD_BITS (their order is then not the order of what they stand for).
 */
export function sort8(): bool {
  let k0 = load<u64>(KEYS, 0);
  let k1 = load<u64>(KEYS, 8);
  let k2 = load<u64>(KEYS, 16);
  let k3 = load<u64>(KEYS, 24);
  let k4 = load<u64>(KEYS, 32);
  let k5 = load<u64>(KEYS, 40);
  let k6 = load<u64>(KEYS, 48);
  let k7 = load<u64>(KEYS, 56);
  let less = false;
  let low: u64 = 0;
  less = k2 < k0;
  low = select<u64>(k2, k0, less);
  k2 = select<u64>(k0, k2, less);
  k0 = low;
  less = k3 < k1;
  low = select<u64>(k3, k1, less);
  k3 = select<u64>(k1, k3, less);
  k1 = low;
  less = k6 < k4;
  low = select<u64>(k6, k4, less);
  k6 = select<u64>(k4, k6, less);
  k4 = low;
  less = k7 < k5;
  low = select<u64>(k7, k5, less);
  k7 = select<u64>(k5, k7, less);
  k5 = low;
  less = k4 < k0;
  low = select<u64>(k4, k0, less);
  k4 = select<u64>(k0, k4, less);
  k0 = low;
  less = k5 < k1;
  low = select<u64>(k5, k1, less);
  k5 = select<u64>(k1, k5, less);
  k1 = low;
  less = k6 < k2;
  low = select<u64>(k6, k2, less);
  k6 = select<u64>(k2, k6, less);
  k2 = low;
  less = k7 < k3;
  low = select<u64>(k7, k3, less);
  k7 = select<u64>(k3, k7, less);
  k3 = low;
  less = k1 < k0;
  low = select<u64>(k1, k0, less);
  k1 = select<u64>(k0, k1, less);
  k0 = low;
  less = k3 < k2;
  low = select<u64>(k3, k2, less);
  k3 = select<u64>(k2, k3, less);
  k2 = low;
  less = k5 < k4;
  low = select<u64>(k5, k4, less);
  k5 = select<u64>(k4, k5, less);
  k4 = low;
  less = k7 < k6;
  low = select<u64>(k7, k6, less);
  k7 = select<u64>(k6, k7, less);
  k6 = low;
  less = k4 < k2;
  low = select<u64>(k4, k2, less);
  k4 = select<u64>(k2, k4, less);
  k2 = low;
  less = k5 < k3;
  low = select<u64>(k5, k3, less);
  k5 = select<u64>(k3, k5, less);
  k3 = low;
  less = k4 < k1;
  low = select<u64>(k4, k1, less);
  k4 = select<u64>(k1, k4, less);
  k1 = low;
  less = k6 < k3;
  low = select<u64>(k6, k3, less);
  k6 = select<u64>(k3, k6, less);
  k3 = low;
  less = k2 < k1;
  low = select<u64>(k2, k1, less);
  k2 = select<u64>(k1, k2, less);
  k1 = low;
  less = k4 < k3;
  low = select<u64>(k4, k3, less);
  k4 = select<u64>(k3, k4, less);
  k3 = low;
  less = k6 < k5;
  low = select<u64>(k6, k5, less);
  k6 = select<u64>(k5, k6, less);
  k5 = low;
  store<u64>(KEYS, k0, 0);
  store<u64>(KEYS, k1, 8);
  store<u64>(KEYS, k2, 16);
  store<u64>(KEYS, k3, 24);
  store<u64>(KEYS, k4, 32);
  store<u64>(KEYS, k5, 40);
  store<u64>(KEYS, k6, 48);
  store<u64>(KEYS, k7, 56);
  // Sorted, so only neighbours can agree; no branches.
  return ((k0 ^ k1) >> PAYLOAD_BITS == 0) | ((k1 ^ k2) >> PAYLOAD_BITS == 0) | ((k2 ^ k3) >> PAYLOAD_BITS == 0) |
    ((k3 ^ k4) >> PAYLOAD_BITS == 0) | ((k4 ^ k5) >> PAYLOAD_BITS == 0) | ((k5 ^ k6) >> PAYLOAD_BITS == 0) |
    ((k6 ^ k7) >> PAYLOAD_BITS == 0);
}

/** The payload of a key in nearest8: the record's slot in its bucket. */
const SLOT_MASK: u64 = (1 << PAYLOAD_BITS) - 1;

/**
 * Write the record a sorted key stands for as entry `i` of `out`: id and
 * address (contiguous in a record: 26 or 38 bytes) as word moves, or the
 * record's address.
 */
// @ts-ignore: decorator
@inline function emit(nodes: usize, key: u64, out: usize, i: usize, entry: usize, compact: bool): void {
  const record = nodes + <usize>(<i32>(key & SLOT_MASK) * RECORD);
  if (compact) {
    const to = out + i * entry;
    store<u64>(to, load<u64>(record));
    store<u64>(to, load<u64>(record, 8), 8);
    store<u64>(to, load<u64>(record, 16), 16);
    if (entry == 26) {
      store<u16>(to, load<u16>(record, 24), 24);
    } else {
      store<u64>(to, load<u64>(record, 24), 24);
      store<u32>(to, load<u32>(record, 32), 32);
      store<u16>(to, load<u16>(record, 36), 36);
    }
  } else {
    store<u32>(out + (i << 2), <u32>record);
  }
}

/**
 * sort8 for a sortable bucket (8 records, all eligible, no two keys agreeing
 * above the slot bits: closest()'s common case at K = 8): the keys go from the
 * records straight into locals, and the nearest `k` (1-8) straight from the
 * sorted locals to `out`, with no round trip through KEYS.
 */
export function nearest8(nodes: usize, t0: u64, k: i32, out: usize, entry: usize, compact: bool): void {
  let k0 = ((load<u64>(nodes + <usize>R_KEY) ^ t0) & ~SLOT_MASK);
  let k1 = ((load<u64>(nodes + <usize>(1 * RECORD + R_KEY)) ^ t0) & ~SLOT_MASK) | 1;
  let k2 = ((load<u64>(nodes + <usize>(2 * RECORD + R_KEY)) ^ t0) & ~SLOT_MASK) | 2;
  let k3 = ((load<u64>(nodes + <usize>(3 * RECORD + R_KEY)) ^ t0) & ~SLOT_MASK) | 3;
  let k4 = ((load<u64>(nodes + <usize>(4 * RECORD + R_KEY)) ^ t0) & ~SLOT_MASK) | 4;
  let k5 = ((load<u64>(nodes + <usize>(5 * RECORD + R_KEY)) ^ t0) & ~SLOT_MASK) | 5;
  let k6 = ((load<u64>(nodes + <usize>(6 * RECORD + R_KEY)) ^ t0) & ~SLOT_MASK) | 6;
  let k7 = ((load<u64>(nodes + <usize>(7 * RECORD + R_KEY)) ^ t0) & ~SLOT_MASK) | 7;
  let less = false;
  let low: u64 = 0;
  less = k2 < k0;
  low = select<u64>(k2, k0, less);
  k2 = select<u64>(k0, k2, less);
  k0 = low;
  less = k3 < k1;
  low = select<u64>(k3, k1, less);
  k3 = select<u64>(k1, k3, less);
  k1 = low;
  less = k6 < k4;
  low = select<u64>(k6, k4, less);
  k6 = select<u64>(k4, k6, less);
  k4 = low;
  less = k7 < k5;
  low = select<u64>(k7, k5, less);
  k7 = select<u64>(k5, k7, less);
  k5 = low;
  less = k4 < k0;
  low = select<u64>(k4, k0, less);
  k4 = select<u64>(k0, k4, less);
  k0 = low;
  less = k5 < k1;
  low = select<u64>(k5, k1, less);
  k5 = select<u64>(k1, k5, less);
  k1 = low;
  less = k6 < k2;
  low = select<u64>(k6, k2, less);
  k6 = select<u64>(k2, k6, less);
  k2 = low;
  less = k7 < k3;
  low = select<u64>(k7, k3, less);
  k7 = select<u64>(k3, k7, less);
  k3 = low;
  less = k1 < k0;
  low = select<u64>(k1, k0, less);
  k1 = select<u64>(k0, k1, less);
  k0 = low;
  less = k3 < k2;
  low = select<u64>(k3, k2, less);
  k3 = select<u64>(k2, k3, less);
  k2 = low;
  less = k5 < k4;
  low = select<u64>(k5, k4, less);
  k5 = select<u64>(k4, k5, less);
  k4 = low;
  less = k7 < k6;
  low = select<u64>(k7, k6, less);
  k7 = select<u64>(k6, k7, less);
  k6 = low;
  less = k4 < k2;
  low = select<u64>(k4, k2, less);
  k4 = select<u64>(k2, k4, less);
  k2 = low;
  less = k5 < k3;
  low = select<u64>(k5, k3, less);
  k5 = select<u64>(k3, k5, less);
  k3 = low;
  less = k4 < k1;
  low = select<u64>(k4, k1, less);
  k4 = select<u64>(k1, k4, less);
  k1 = low;
  less = k6 < k3;
  low = select<u64>(k6, k3, less);
  k6 = select<u64>(k3, k6, less);
  k3 = low;
  less = k2 < k1;
  low = select<u64>(k2, k1, less);
  k2 = select<u64>(k1, k2, less);
  k1 = low;
  less = k4 < k3;
  low = select<u64>(k4, k3, less);
  k4 = select<u64>(k3, k4, less);
  k3 = low;
  less = k6 < k5;
  low = select<u64>(k6, k5, less);
  k6 = select<u64>(k5, k6, less);
  k5 = low;
  emit(nodes, k0, out, 0, entry, compact);
  if (k == 1) return;
  emit(nodes, k1, out, 1, entry, compact);
  if (k == 2) return;
  emit(nodes, k2, out, 2, entry, compact);
  if (k == 3) return;
  emit(nodes, k3, out, 3, entry, compact);
  if (k == 4) return;
  emit(nodes, k4, out, 4, entry, compact);
  if (k == 5) return;
  emit(nodes, k5, out, 5, entry, compact);
  if (k == 6) return;
  emit(nodes, k6, out, 6, entry, compact);
  if (k == 7) return;
  emit(nodes, k7, out, 7, entry, compact);
}
