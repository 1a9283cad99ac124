/**
 * Randomness through one injectable function, so a simulation seeded with
 * `seededRandom` replays the same ids, transaction ids and secrets every run,
 * and one seeded generator (`Random`) for everything that must replay: node
 * ids in tests, the simulated network's loss and latency.
 */

/**
 * Fills `bytes` with random bytes (the shape of crypto.getRandomValues).
 * @example
 * import { DHT, type RandomSource } from 'btdht';
 * const random: RandomSource = (bytes) => crypto.getRandomValues(bytes); // the default
 * const dht = new DHT({ random });
 */
export type RandomSource = (bytes: Uint8Array) => void;

/**
 * The platform CSPRNG (Node 20+, Deno and browsers all have globalThis.crypto).
 * Small requests (transaction ids, lookup targets, random picks: a few bytes,
 * many per datagram) are served from a pool refilled 4 KiB at a time: one
 * getRandomValues call costs ~8 µs whatever its size, a copy from the pool
 * ~0.2 µs. Bytes handed out are wiped from the pool.
 */
export const cryptoRandom: RandomSource = (bytes) => {
  if (bytes.length <= POOL_SERVES) {
    if (poolAt + bytes.length > pool.length) {
      globalThis.crypto.getRandomValues(pool);
      poolAt = 0;
    }
    const end = poolAt + bytes.length;
    bytes.set(pool.subarray(poolAt, end));
    pool.fill(0, poolAt, end);
    poolAt = end;
    return;
  }
  // getRandomValues refuses more than 65536 bytes per call.
  for (let offset = 0; offset < bytes.length; offset += 65536) {
    globalThis.crypto.getRandomValues(bytes.subarray(offset, Math.min(bytes.length, offset + 65536)));
  }
};
const pool = new Uint8Array(4096);
let poolAt = pool.length;
/** Requests up to this many bytes come from the pool. */
const POOL_SERVES = 64;

/**
 * The seeded PRNG: xoshiro128** (32-bit state words, so it stays in int32
 * arithmetic), seeded through a splitmix-style mix so that nearby seeds
 * (1, 2, 3...) give unrelated streams. Not for cryptography: never use it for
 * tokens or ids on a real network.
 */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    // `| 1`: an all-zero state would only ever yield zeros.
    this.#a = split() | 1;
    this.#b = split();
    this.#c = split();
    this.#d = split();
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const b = this.#b;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    this.#c ^= this.#a;
    this.#d ^= b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** A uniform integer in [min, max] (inclusive, both integers). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Fill `bytes`, four bytes per draw, least significant first. */
  fill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i += 4) {
      let word = this.nextUint32();
      for (let j = i; j < Math.min(bytes.length, i + 4); j++) {
        bytes[j] = word & 0xff;
        word >>>= 8;
      }
    }
  }
}

/**
 * A deterministic, non-cryptographic RandomSource for tests and simulations (see `Random`).
 * @example
 * import { DHT, seededRandom } from 'btdht';
 * const dht = new DHT({ random: seededRandom(42), bootstrap: [] }); // the same ids every run
 */
export function seededRandom(seed: number): RandomSource {
  const random = new Random(seed);
  return (bytes) => random.fill(bytes);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export function randomBytes(random: RandomSource, length: number): Uint8Array {
  const out = new Uint8Array(length);
  random(out);
  return out;
}

const scratch = new Uint8Array(4);

/** A uniform integer in [0, n), n ≤ 2^32. */
export function randomInt(random: RandomSource, n: number): number {
  if (n <= 1) return 0;
  // Rejection sampling keeps it uniform.
  const limit = Math.floor(0x100000000 / n) * n;
  for (;;) {
    random(scratch);
    const value = (scratch[0]! | (scratch[1]! << 8) | (scratch[2]! << 16) | (scratch[3]! << 24)) >>> 0;
    if (value < limit) return value % n;
  }
}
