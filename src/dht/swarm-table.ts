/**
 * Entries grouped by infohash, packed in typed arrays: the layout under the
 * peer store (BEP 5 announces) and the BEP 33 records. A table of small
 * objects, strings and Maps costs ~1 KB per announce as the OS counts it; this
 * one costs ~100 bytes, and the garbage collector has nothing in it to trace.
 *
 * Infohashes are numbered densely 0..infohashCount-1 (a removed one's number
 * goes to the last one), so a uniform sample is a few random numbers.
 * Entries are numbered 0..capacity-1 and reused through a free list; an
 * entry is `entryBytes` bytes (its first `keyBytes` identify it within its
 * infohash), a time and a 32-bit tag. Two open-addressing tables (linear
 * probing, at most half full, hashed with a random per-table seed so a sender
 * cannot aim at collisions) find an infohash by its 20 bytes and an entry by
 * (infohash, key). Every entry is in two lists, both in the order of last
 * write: its infohash's and the table-wide one. So the oldest entry anywhere
 * heads both lists: expiry and the caps pop heads, O(1) each.
 *
 * Entry numbers stay valid until the entry is removed; infohash numbers only
 * until the next write (removing an infohash renumbers the last one).
 */
import type { RandomSource } from '../ground/random.ts';
import { randomInt } from '../ground/random.ts';

export const NONE = -1;
const INFOHASH_BYTES = 20;
/** Arrays double from here while small (a node with few announces stays small)… */
const FIRST_CAPACITY = 64;
/**
 * …and past this many entries jump to the cap, up to RESERVE_MAX (doubling
 * beyond). Large zeroed arrays come from fresh pages the OS maps on first
 * touch, so a table costs RSS for what it holds, not for its cap; growing a
 * large table by copies instead leaves every copy in the allocator (RSS ~1.6x
 * at the cap). Reserving the cap on the first write cost every fresh node
 * ~6 ms CPU and MiBs of RSS on its first announce (measured in BENCHMARKS.md).
 */
const RESERVE_FROM = 4096;
const RESERVE_MAX = 1 << 20;

/** The next length of a table's arrays: never past the cap (+1: an entry is added before the cap evicts one). */
function nextCapacity(length: number, maxTotal: number): number {
  const doubled = Math.max(length * 2, FIRST_CAPACITY);
  const capacity = doubled > RESERVE_FROM && length < RESERVE_MAX ? Math.max(doubled, RESERVE_MAX) : doubled;
  return Math.min(capacity, maxTotal + 1);
}

export interface SwarmTableOptions {
  /** Bytes per entry. */
  entryBytes: number;
  /** Leading bytes of an entry that identify it within its infohash. */
  keyBytes: number;
  /** Entries per infohash; beyond, its oldest goes (Infinity: the owner refuses before that). */
  maxPerInfohash: number;
  /** Entries in all; beyond, the oldest anywhere goes. */
  maxTotal: number;
  /** An entry goes this long after its last write. */
  expiryMs: number;
  /** Int32 values kept per infohash for the owner (renumbered with it). */
  lanes?: number;
  /** Called before an entry is removed (evicted, expired or removed by the owner). */
  onRemove?: (entry: number, infohash: number) => void;
  random: RandomSource;
}

export class SwarmTable {
  readonly entryBytes: number;
  readonly #keyBytes: number;
  readonly #maxPerInfohash: number;
  readonly #maxTotal: number;
  readonly #expiryMs: number;
  readonly #laneCount: number;
  readonly #onRemove: ((entry: number, infohash: number) => void) | undefined;
  readonly #seed: number;

  // Infohashes, by number.
  #infohashes = 0;
  #ihBytes = new Uint8Array(0);
  #ihHash = new Int32Array(0);
  #ihHead = new Int32Array(0);
  #ihTail = new Int32Array(0);
  #ihCount = new Int32Array(0);
  #lanes = new Int32Array(0);
  /** Open addressing: infohash number + 1, 0 when empty. */
  #ihSlots = new Int32Array(0);

  // Entries, by number.
  #size = 0;
  /** Entry numbers handed out so far (the free list holds the ones given back). */
  #used = 0;
  #free = NONE;
  #data = new Uint8Array(0);
  #time = new Float64Array(0);
  #tag = new Uint32Array(0);
  #owner = new Int32Array(0);
  #hash = new Int32Array(0);
  #agePrev = new Int32Array(0);
  #ageNext = new Int32Array(0);
  #ownPrev = new Int32Array(0);
  #ownNext = new Int32Array(0);
  #ageHead = NONE;
  #ageTail = NONE;
  /** Open addressing: entry number + 1, 0 when empty. */
  #slots = new Int32Array(0);

  constructor(options: SwarmTableOptions) {
    this.entryBytes = options.entryBytes;
    this.#keyBytes = options.keyBytes;
    this.#maxPerInfohash = options.maxPerInfohash;
    this.#maxTotal = options.maxTotal;
    this.#expiryMs = options.expiryMs;
    this.#laneCount = options.lanes ?? 0;
    this.#onRemove = options.onRemove;
    const seed = new Uint8Array(4);
    options.random(seed);
    this.#seed = seed[0]! | (seed[1]! << 8) | (seed[2]! << 16) | (seed[3]! << 24);
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Infohashes with at least one entry. */
  get infohashCount(): number {
    return this.#infohashes;
  }

  /** Bytes of the typed arrays (what the table holds, whatever is in use). */
  get footprint(): number {
    const arrays = [this.#ihBytes, this.#ihHash, this.#ihHead, this.#ihTail, this.#ihCount, this.#lanes, this.#ihSlots];
    const entries = [this.#data, this.#time, this.#tag, this.#owner, this.#hash, this.#agePrev, this.#ageNext, this.#ownPrev, this.#ownNext, this.#slots];
    return [...arrays, ...entries].reduce((sum, a) => sum + a.byteLength, 0);
  }

  /** The number of `infohash` (20 bytes at `offset`), or NONE. */
  find(infohash: Uint8Array, offset = 0): number {
    if (this.#infohashes === 0) return NONE;
    const mask = this.#ihSlots.length - 1;
    const hash = this.#hashBytes(this.#seed, infohash, offset, INFOHASH_BYTES);
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = this.#ihSlots[slot]! - 1;
      if (held === NONE) return NONE;
      if (this.#ihHash[held] === hash && sameBytes(this.#ihBytes, held * INFOHASH_BYTES, infohash, offset, INFOHASH_BYTES)) return held;
    }
  }

  /** The entry of infohash `ih` whose key is `keyBytes` bytes at `offset` of `key`, or NONE. */
  findEntry(ih: number, key: Uint8Array, offset = 0): number {
    if (this.#size === 0) return NONE;
    const mask = this.#slots.length - 1;
    const hash = this.#hashBytes(this.#ihHash[ih]!, key, offset, this.#keyBytes);
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot]! - 1;
      if (entry === NONE) return NONE;
      if (this.#hash[entry] === hash && this.#owner[entry] === ih && sameBytes(this.#data, entry * this.entryBytes, key, offset, this.#keyBytes)) return entry;
    }
  }

  /** Entries of infohash `ih`. */
  count(ih: number): number {
    return this.#ihCount[ih]!;
  }

  /** The oldest entry of infohash `ih` (then `next` toward the newest). */
  first(ih: number): number {
    return this.#ihHead[ih]!;
  }

  /** The newest entry of infohash `ih` (then `prev` toward the oldest). */
  last(ih: number): number {
    return this.#ihTail[ih]!;
  }

  /** The next newer entry of the same infohash, or NONE. */
  next(entry: number): number {
    return this.#ownNext[entry]!;
  }

  /** The next older entry of the same infohash, or NONE. */
  prev(entry: number): number {
    return this.#ownPrev[entry]!;
  }

  /** The bytes of every entry, entry e at e × entryBytes (a new array after the table grows: read it per use). */
  get data(): Uint8Array {
    return this.#data;
  }

  tag(entry: number): number {
    return this.#tag[entry]!;
  }

  setTag(entry: number, tag: number): void {
    this.#tag[entry] = tag;
  }

  /** The infohash number of `entry`. */
  owner(entry: number): number {
    return this.#owner[entry]!;
  }

  lane(ih: number, lane: number): number {
    return this.#lanes[ih * this.#laneCount + lane]!;
  }

  setLane(ih: number, lane: number, value: number): void {
    this.#lanes[ih * this.#laneCount + lane] = value;
  }

  /** Copy infohash `ih` (20 bytes) into `out` at `offset`. */
  copyInfohash(ih: number, out: Uint8Array, offset = 0): void {
    out.set(this.#ihBytes.subarray(ih * INFOHASH_BYTES, ih * INFOHASH_BYTES + INFOHASH_BYTES), offset);
  }

  /**
   * Write `entryBytes` bytes of `entry` (from `offset`) under `infohash` at
   * `now`: a new entry, or the one with the same key, refreshed (its bytes and
   * tag rewritten, its life restarted, the newest of both lists). Then the
   * caps: the infohash's oldest entry beyond `maxPerInfohash`, the oldest
   * anywhere beyond `maxTotal`. Returns the entry's number.
   */
  put(infohash: Uint8Array, entry: Uint8Array, now: number, tag = 0, offset = 0): number {
    let ih = this.find(infohash);
    if (ih === NONE) ih = this.#addInfohash(infohash);
    let e = this.findEntry(ih, entry, offset);
    if (e === NONE) {
      e = this.#addEntry(ih, entry, offset);
    } else {
      this.#unlinkAge(e);
      this.#unlinkOwn(e);
      this.#data.set(entry.subarray(offset, offset + this.entryBytes), e * this.entryBytes);
    }
    this.#time[e] = now;
    this.#tag[e] = tag;
    this.#linkAge(e);
    this.#linkOwn(e, ih);
    if (this.#ihCount[ih]! > this.#maxPerInfohash) this.remove(this.#ihHead[ih]!);
    if (this.#size > this.#maxTotal) this.remove(this.#ageHead);
    return e;
  }

  /** Remove `entry` (and its infohash with its last entry). */
  remove(entry: number): void {
    const ih = this.#owner[entry]!;
    this.#onRemove?.(entry, ih);
    this.#unlinkAge(entry);
    this.#unlinkOwn(entry);
    this.#deleteSlot(this.#slots, this.#hash[entry]!, entry + 1, (held) => this.#hash[held - 1]!);
    this.#ageNext[entry] = this.#free;
    this.#free = entry;
    this.#size--;
    if (this.#ihCount[ih] === 0) this.#removeInfohash(ih);
  }

  /** Remove entries whose last write is `expiryMs` old or older at `now`. */
  expire(now: number): void {
    while (this.#ageHead !== NONE && now - this.#time[this.#ageHead]! >= this.#expiryMs) this.remove(this.#ageHead);
  }

  /**
   * Up to `max` distinct infohash numbers, a uniform random subset when there
   * are more, into `out` (which must hold `max`); returns how many.
   */
  sample(max: number, random: RandomSource, out: Int32Array): number {
    const n = this.#infohashes;
    if (n <= max) {
      for (let i = 0; i < n; i++) out[i] = i;
      return n;
    }
    if (max <= 0) return 0;
    // Floyd's algorithm: max draws, each distinct, uniform over the subsets.
    const chosen = new Set<number>();
    for (let j = n - max; j < n; j++) {
      const t = randomInt(random, j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    let i = 0;
    for (const ih of chosen) out[i++] = ih;
    return i;
  }

  #addInfohash(infohash: Uint8Array): number {
    if (this.#infohashes === this.#ihHead.length) this.#growInfohashes();
    // At most half full, a power of two (probing masks with length - 1): doubled apart from the arrays above.
    if ((this.#infohashes + 1) * 2 > this.#ihSlots.length) this.#ihSlots = rehash(this.#ihSlots, this.#ihSlots.length * 2, (held) => this.#ihHash[held - 1]!);
    const ih = this.#infohashes++;
    this.#ihBytes.set(infohash.subarray(0, INFOHASH_BYTES), ih * INFOHASH_BYTES);
    const hash = this.#hashBytes(this.#seed, infohash, 0, INFOHASH_BYTES);
    this.#ihHash[ih] = hash;
    this.#ihHead[ih] = NONE;
    this.#ihTail[ih] = NONE;
    this.#ihCount[ih] = 0;
    this.#lanes.fill(0, ih * this.#laneCount, (ih + 1) * this.#laneCount);
    insertSlot(this.#ihSlots, hash, ih + 1);
    return ih;
  }

  /** Drop empty infohash `ih`; the last one takes its number. */
  #removeInfohash(ih: number): void {
    this.#deleteSlot(this.#ihSlots, this.#ihHash[ih]!, ih + 1, (held) => this.#ihHash[held - 1]!);
    const last = --this.#infohashes;
    if (ih === last) return;
    this.#ihBytes.copyWithin(ih * INFOHASH_BYTES, last * INFOHASH_BYTES, last * INFOHASH_BYTES + INFOHASH_BYTES);
    const hash = this.#ihHash[last]!;
    this.#ihHash[ih] = hash;
    this.#ihHead[ih] = this.#ihHead[last]!;
    this.#ihTail[ih] = this.#ihTail[last]!;
    this.#ihCount[ih] = this.#ihCount[last]!;
    this.#lanes.copyWithin(ih * this.#laneCount, last * this.#laneCount, (last + 1) * this.#laneCount);
    const mask = this.#ihSlots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      if (this.#ihSlots[slot] === last + 1) {
        this.#ihSlots[slot] = ih + 1;
        break;
      }
    }
    for (let e = this.#ihHead[ih]!; e !== NONE; e = this.#ownNext[e]!) this.#owner[e] = ih;
  }

  #addEntry(ih: number, entry: Uint8Array, offset: number): number {
    let e = this.#free;
    if (e !== NONE) {
      this.#free = this.#ageNext[e]!;
    } else {
      if (this.#used === this.#owner.length) this.#growEntries();
      e = this.#used++;
    }
    this.#data.set(entry.subarray(offset, offset + this.entryBytes), e * this.entryBytes);
    this.#owner[e] = ih;
    const hash = this.#hashBytes(this.#ihHash[ih]!, entry, offset, this.#keyBytes);
    this.#hash[e] = hash;
    this.#size++;
    if (this.#size * 2 > this.#slots.length) this.#slots = rehash(this.#slots, this.#slots.length * 2, (held) => this.#hash[held - 1]!);
    insertSlot(this.#slots, hash, e + 1);
    return e;
  }

  #linkAge(e: number): void {
    this.#agePrev[e] = this.#ageTail;
    this.#ageNext[e] = NONE;
    if (this.#ageTail === NONE) this.#ageHead = e;
    else this.#ageNext[this.#ageTail] = e;
    this.#ageTail = e;
  }

  #unlinkAge(e: number): void {
    const prev = this.#agePrev[e]!;
    const next = this.#ageNext[e]!;
    if (prev === NONE) this.#ageHead = next;
    else this.#ageNext[prev] = next;
    if (next === NONE) this.#ageTail = prev;
    else this.#agePrev[next] = prev;
  }

  #linkOwn(e: number, ih: number): void {
    const tail = this.#ihTail[ih]!;
    this.#ownPrev[e] = tail;
    this.#ownNext[e] = NONE;
    if (tail === NONE) this.#ihHead[ih] = e;
    else this.#ownNext[tail] = e;
    this.#ihTail[ih] = e;
    this.#ihCount[ih]!++;
  }

  #unlinkOwn(e: number): void {
    const ih = this.#owner[e]!;
    const prev = this.#ownPrev[e]!;
    const next = this.#ownNext[e]!;
    if (prev === NONE) this.#ihHead[ih] = next;
    else this.#ownNext[prev] = next;
    if (next === NONE) this.#ihTail[ih] = prev;
    else this.#ownPrev[next] = prev;
    this.#ihCount[ih]!--;
  }

  #growInfohashes(): void {
    const capacity = nextCapacity(this.#ihHead.length, this.#maxTotal);
    this.#ihBytes = grow(this.#ihBytes, capacity * INFOHASH_BYTES);
    this.#ihHash = grow(this.#ihHash, capacity);
    this.#ihHead = grow(this.#ihHead, capacity);
    this.#ihTail = grow(this.#ihTail, capacity);
    this.#ihCount = grow(this.#ihCount, capacity);
    this.#lanes = grow(this.#lanes, capacity * this.#laneCount);
  }

  #growEntries(): void {
    const capacity = nextCapacity(this.#owner.length, this.#maxTotal);
    this.#data = grow(this.#data, capacity * this.entryBytes);
    this.#time = grow(this.#time, capacity);
    this.#tag = grow(this.#tag, capacity);
    this.#owner = grow(this.#owner, capacity);
    this.#hash = grow(this.#hash, capacity);
    this.#agePrev = grow(this.#agePrev, capacity);
    this.#ageNext = grow(this.#ageNext, capacity);
    this.#ownPrev = grow(this.#ownPrev, capacity);
    this.#ownNext = grow(this.#ownNext, capacity);
  }

  /** Seeded 32-bit hash of `length` bytes (murmur3-style mixing). */
  #hashBytes(seed: number, bytes: Uint8Array, offset: number, length: number): number {
    let h = seed ^ length;
    let i = offset;
    const end = offset + length;
    for (; i + 4 <= end; i += 4) {
      const word = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
      h = Math.imul(h ^ Math.imul(word, 0xcc9e2d51), 0x1b873593);
      h = (h << 13) | (h >>> 19);
    }
    for (; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** Linear probing delete with backward shift (no tombstones: probes stay short). */
  #deleteSlot(slots: Int32Array, hash: number, value: number, hashOf: (held: number) => number): void {
    const mask = slots.length - 1;
    let i = hash & mask;
    while (slots[i] !== value) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = hashOf(slots[j]!) & mask;
      // The value at j may move back to i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        slots[i] = slots[j]!;
        i = j;
      }
    }
    slots[i] = 0;
  }
}

function insertSlot(slots: Int32Array, hash: number, value: number): void {
  const mask = slots.length - 1;
  let slot = hash & mask;
  while (slots[slot] !== 0) slot = (slot + 1) & mask;
  slots[slot] = value;
}

/** A table of `length` slots (a power of two) holding what `slots` held. */
function rehash(slots: Int32Array, length: number, hashOf: (held: number) => number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(Math.max(length, FIRST_CAPACITY * 2));
  for (const held of slots) if (held !== 0) insertSlot(out, hashOf(held), held);
  return out;
}

function grow<T extends Uint8Array | Int32Array | Uint32Array | Float64Array>(array: T, length: number): T {
  const out = new (array.constructor as new (length: number) => T)(length);
  out.set(array);
  return out;
}

function sameBytes(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}
