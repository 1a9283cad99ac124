/**
 * The ids registered on a table (its own ids), kept sorted in the table's ids
 * area (layout in table-layout.ts). Sorted, because ids sharing a prefix are
 * contiguous then: the registered id sharing the most bits with any id is
 * beside the place that id would take, and the one nearest by XOR distance is
 * found by descending the implicit trie of the run (as NodeIdSet does).
 */
import { H_ID_CAPACITY, H_ID_COUNT, ID, bitOf, commonPrefix, copyId, i32At, idAt, setI32At } from './table-layout';

/** Compare two ids as big-endian numbers: negative, 0 or positive. */
function compareIds(a: usize, b: usize): i32 {
  let x = bswap<u64>(load<u64>(a));
  let y = bswap<u64>(load<u64>(b));
  if (x != y) return x < y ? -1 : 1;
  x = bswap<u64>(load<u64>(a, 8));
  y = bswap<u64>(load<u64>(b, 8));
  if (x != y) return x < y ? -1 : 1;
  const u = bswap<u32>(load<u32>(a, 16));
  const v = bswap<u32>(load<u32>(b, 16));
  return u == v ? 0 : u < v ? -1 : 1;
}

/** Index of the first registered id not below `id`. */
function lowerBound(table: usize, id: usize): i32 {
  let lo = 0;
  let hi = i32At(table, H_ID_COUNT);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareIds(idAt(table, mid), id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The most leading bits `id` shares with a registered id (160: it is registered). */
export function maxSharedBits(table: usize, id: usize): i32 {
  const n = i32At(table, H_ID_COUNT);
  if (n == 1) return commonPrefix(id, idAt(table, 0));
  const at = lowerBound(table, id);
  let best = 0;
  if (at < n) best = commonPrefix(id, idAt(table, at));
  if (at > 0) {
    const before = commonPrefix(id, idAt(table, at - 1));
    if (before > best) best = before;
  }
  return best;
}

/** Insert `id`: 1, or 0 if it was registered already, or -1 when the ids area is full (grow, then repeat). */
export function insertId(table: usize, id: usize): i32 {
  const n = i32At(table, H_ID_COUNT);
  const at = lowerBound(table, id);
  if (at < n && commonPrefix(idAt(table, at), id) == 160) return 0;
  if (n >= i32At(table, H_ID_CAPACITY)) return -1;
  const from = idAt(table, at);
  memory.copy(from + <usize>ID, from, <usize>((n - at) * ID));
  copyId(from, id);
  setI32At(table, H_ID_COUNT, n + 1);
  return 1;
}

/** Remove `id`: true if it was registered. */
export function removeId(table: usize, id: usize): bool {
  const n = i32At(table, H_ID_COUNT);
  const at = lowerBound(table, id);
  if (at >= n || commonPrefix(idAt(table, at), id) != 160) return false;
  const from = idAt(table, at);
  memory.copy(from, from + <usize>ID, <usize>((n - at - 1) * ID));
  setI32At(table, H_ID_COUNT, n - 1);
  return true;
}

/**
 * The registered id nearest to `target` by XOR distance. Every id in [lo, hi)
 * shares the first `bit` bits; at `bit` the run splits in two, and the
 * target's side holds every id nearer to it.
 */
export function nearestId(table: usize, target: usize): usize {
  let lo = 0;
  let hi = i32At(table, H_ID_COUNT);
  while (hi - lo > 1) {
    const bit = commonPrefix(idAt(table, lo), idAt(table, hi - 1));
    let a = lo;
    let b = hi - 1;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (bitOf(idAt(table, mid), bit) == 0) a = mid + 1;
      else b = mid;
    }
    if (bitOf(target, bit) == 0) hi = a;
    else lo = a;
  }
  return idAt(table, lo);
}
