/**
 * Randomness through one injectable function, so a simulation seeded with
 * `seededRandom` replays the same ids, transaction ids and secrets every run.
 */

/** Fills `bytes` with random bytes (the shape of crypto.getRandomValues). */
export type RandomSource = (bytes: Uint8Array) => void;

/** The platform CSPRNG (Node 20+, Deno and browsers all have globalThis.crypto). */
export const cryptoRandom: RandomSource = (bytes) => {
  // getRandomValues refuses more than 65536 bytes per call.
  for (let offset = 0; offset < bytes.length; offset += 65536) {
    globalThis.crypto.getRandomValues(bytes.subarray(offset, Math.min(bytes.length, offset + 65536)));
  }
};

/**
 * A deterministic, non-cryptographic source for tests and simulations
 * (xorshift128+ style state, seeded through splitmix32). Never use it for tokens
 * on a real network.
 */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split() | 1;
  let b = split();
  let c = split();
  let d = split();
  const next = (): number => {
    // xoshiro128** step.
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return (bytes) => {
    for (let i = 0; i < bytes.length; i += 4) {
      let word = next();
      for (let j = i; j < Math.min(bytes.length, i + 4); j++) {
        bytes[j] = word & 0xff;
        word >>>= 8;
      }
    }
  };
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
