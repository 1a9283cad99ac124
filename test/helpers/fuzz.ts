/**
 * Fuzzing helpers: a seeded PRNG, the committed seed corpus, and a mutator
 * (bit flips, byte overwrites, truncation, insertions of random bytes and of
 * bencode tokens, deletions, duplications, splices of two datagrams, length
 * prefixes bent, transaction ids swapped, plain random bytes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concatBytes } from '@noble/hashes/utils.js';

/** mulberry32: a small, fast, seedable PRNG (not for anything but tests). */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

/** A seed from FUZZ_SEED, else a fresh one: the test prints it so a failure can be replayed. */
export function fuzzSeed(): number {
  const env = process.env['FUZZ_SEED'];
  return env !== undefined && env !== '' ? Number(env) >>> 0 : (Math.random() * 0x100000000) >>> 0;
}

export interface CorpusEntry {
  name: string;
  bytes: Uint8Array;
}

/** The committed seed corpus (test/fuzz-corpus/*.bin). */
export function loadCorpus(): CorpusEntry[] {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fuzz-corpus');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.bin'))
    .sort()
    .map((name) => ({ name: name.slice(0, -4), bytes: new Uint8Array(readFileSync(join(dir, name))) }));
}

const TOKENS = ['d', 'e', 'l', 'i', 'i0e', 'i-1e', '0:', '1:', '20:', '26:', '2:id', '1:t', '1:y', '1:q', '1:r', '1:a', '1:e', '4:ping', '5:nodes', '6:values', '5:token', '2:ip', 'i99999999999e', '9999999:']
  .map((token) => Uint8Array.from(token, (c) => c.charCodeAt(0)));

/**
 * One mutation of `base` (two or three, one time in four), or, one time in
 * ten, random bytes. `other` supplies splices. Mostly single mutations: many
 * stay well-formed, so the handlers behind the decoder get fuzzed too.
 */
export function mutate(base: Uint8Array, other: Uint8Array, prng: Prng): Uint8Array {
  if (prng.int(10) === 0) return prng.bytes(prng.int(prng.int(8) === 0 ? 2400 : 200));
  let data = base;
  for (let rounds = prng.int(4) === 0 ? 2 + prng.int(2) : 1; rounds > 0; rounds--) data = mutateOnce(data, other, prng);
  return data;
}

function mutateOnce(data: Uint8Array, other: Uint8Array, prng: Prng): Uint8Array {
  const n = data.length;
  const at = prng.int(n + 1);
  switch (prng.int(10)) {
    case 0: {
      // Bit flips.
      const out = data.slice();
      for (let i = 1 + prng.int(4); i > 0 && n > 0; i--) {
        const bit = prng.int(n * 8);
        out[bit >> 3] = out[bit >> 3]! ^ (0x80 >> (bit & 7));
      }
      return out;
    }
    case 1: {
      // Bytes overwritten, often with interesting values.
      const out = data.slice();
      for (let i = 1 + prng.int(3); i > 0 && n > 0; i--) out[prng.int(n)] = prng.pick([0, 0xff, 0x7f, 0x80, 0x3a, 0x64, 0x65, 0x69, 0x6c, 0x2d, 0x30, prng.next() & 0xff]);
      return out;
    }
    case 2:
      // Truncation.
      return data.slice(0, prng.int(n));
    case 3:
      // Random bytes inserted.
      return concatBytes(data.subarray(0, at), prng.bytes(1 + prng.int(16)), data.subarray(at));
    case 4:
      // A bencode token inserted.
      return concatBytes(data.subarray(0, at), prng.pick(TOKENS), data.subarray(at));
    case 5: {
      // A range deleted.
      const end = Math.min(n, at + 1 + prng.int(24));
      return concatBytes(data.subarray(0, at), data.subarray(end));
    }
    case 6: {
      // A range duplicated.
      const end = Math.min(n, at + 1 + prng.int(32));
      return concatBytes(data.subarray(0, end), data.subarray(at, end), data.subarray(end));
    }
    case 7:
      // Spliced: a prefix of one datagram, a suffix of another.
      return concatBytes(data.subarray(0, at), other.subarray(prng.int(other.length + 1)));
    case 8: {
      // A digit (length prefix, integer) bent.
      const digits: number[] = [];
      for (let i = 0; i < n; i++) if (data[i]! >= 0x30 && data[i]! <= 0x39) digits.push(i);
      if (digits.length === 0) return data;
      const out = data.slice();
      out[prng.pick(digits)] = 0x30 + prng.int(10);
      return out;
    }
    default: {
      // The transaction id (the bytes after "1:t2:") replaced, to hit or miss outstanding queries.
      const out = data.slice();
      for (let i = 0; i + 5 < n; i++) {
        if (out[i] === 0x31 && out[i + 1] === 0x3a && out[i + 2] === 0x74 && out[i + 3] === 0x32 && out[i + 4] === 0x3a && i + 7 <= n) {
          out[i + 5] = prng.next() & 0xff;
          out[i + 6] = prng.next() & 0xff;
          break;
        }
      }
      return out;
    }
  }
}

/** `base` with the 2-byte transaction id after "1:t2:" replaced by `t` (undefined when it has none). */
export function withTransaction(base: Uint8Array, t: Uint8Array): Uint8Array | undefined {
  for (let i = 0; i + 7 <= base.length; i++) {
    if (base[i] === 0x31 && base[i + 1] === 0x3a && base[i + 2] === 0x74 && base[i + 3] === 0x32 && base[i + 4] === 0x3a) {
      const out = base.slice();
      out.set(t.subarray(0, 2), i + 5);
      return out;
    }
  }
  return undefined;
}
