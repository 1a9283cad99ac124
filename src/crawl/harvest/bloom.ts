/**
 * A fixed-size bloom filter over infohash keys (hex strings). Sized from the
 * number of keys it should hold and the false-positive rate wanted at that
 * load: m = -n·ln(p)/ln(2)² bits, k = (m/n)·ln 2 probes. At p = 1% that is
 * 9.59 bits (1.2 bytes) per key and 7 probes.
 *
 * Probe positions come from two 32-bit hashes seeded at random per filter
 * (double hashing), so a peer choosing infohashes cannot aim at chosen bits.
 */
export interface BloomOptions {
  /** Keys it should hold at `falsePositiveRate` (more still fit, at a higher rate). */
  capacity: number;
  /** Wanted false-positive rate at `capacity` keys, in (0, 1). */
  falsePositiveRate: number;
  /** Two 32-bit seeds; random by default. */
  seeds?: readonly [number, number];
}

export class BloomFilter {
  readonly bits: number;
  readonly probes: number;
  readonly #words: Uint32Array;
  readonly #seedA: number;
  readonly #seedB: number;
  #added = 0;

  constructor(options: BloomOptions) {
    const n = Math.max(1, Math.floor(options.capacity));
    const p = options.falsePositiveRate;
    if (!(p > 0 && p < 1)) throw new RangeError('falsePositiveRate must be in (0, 1)');
    const bits = Math.max(64, Math.ceil((-n * Math.log(p)) / (Math.LN2 * Math.LN2)));
    this.#words = new Uint32Array(Math.ceil(bits / 32));
    this.bits = this.#words.length * 32;
    this.probes = Math.max(1, Math.round((this.bits / n) * Math.LN2));
    const seeds = options.seeds ?? [(Math.random() * 2 ** 32) >>> 0, (Math.random() * 2 ** 32) >>> 0];
    this.#seedA = seeds[0] >>> 0;
    this.#seedB = seeds[1] >>> 0;
  }

  /** Bytes of the bit array. */
  get byteLength(): number {
    return this.#words.byteLength;
  }

  /** Keys added (re-adds included). */
  get added(): number {
    return this.#added;
  }

  /** The false-positive rate at the present load: (1 - e^(-k·n/m))^k. */
  estimatedFalsePositiveRate(): number {
    return Math.pow(1 - Math.exp((-this.probes * this.#added) / this.bits), this.probes);
  }

  add(key: string): void {
    const a = hash32(key, this.#seedA);
    const b = hash32(key, this.#seedB) | 1; // odd step: visits distinct positions
    for (let i = 0; i < this.probes; i++) {
      const bit = (a + Math.imul(i, b)) >>> 0;
      const at = bit % this.bits;
      this.#words[at >>> 5]! |= 1 << (at & 31);
    }
    this.#added++;
  }

  has(key: string): boolean {
    // Empty (nothing evicted yet, the whole of a short crawl): no probe. The
    // bit array is megabytes the OS maps on first touch, so probing it would
    // fault pages in (and grow RSS) only to read zeros.
    if (this.#added === 0) return false;
    const a = hash32(key, this.#seedA);
    const b = hash32(key, this.#seedB) | 1;
    for (let i = 0; i < this.probes; i++) {
      const at = ((a + Math.imul(i, b)) >>> 0) % this.bits;
      if ((this.#words[at >>> 5]! & (1 << (at & 31))) === 0) return false;
    }
    return true;
  }
}

/** Seeded FNV-1a over the char codes, finished with murmur3's avalanche. */
function hash32(key: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
