/**
 * Write tokens (BEP 5): token = SHA-1(compact address of the requester — IP
 * bytes + port — || secret), truncated to TOKEN_LENGTH (8) bytes. Eight bytes
 * are plenty against guessing (2^64) and save 12 bytes in every get_peers answer.
 *
 * The secret changes every TOKEN_ROTATION_MS (5 min) and the previous one is
 * still accepted, so a token lives 5–10 minutes. Rotation is lazy (checked on
 * use against the clock), so an idle node runs no timer for it.
 */
import type { Clock } from '../transport/clock.ts';
import type { RandomSource } from '../util/random.ts';
import { TOKEN_LENGTH, TOKEN_ROTATION_MS } from './constants.ts';

const SECRET_LENGTH = 16;

export class TokenManager {
  #current = new Uint8Array(SECRET_LENGTH);
  #previous = new Uint8Array(SECRET_LENGTH);
  #rotatedAt: number;
  /** Scratch input buffers by address length (6: IPv4, 18: IPv6), reused per call. */
  #input4 = new Uint8Array(6 + SECRET_LENGTH);
  #input6 = new Uint8Array(18 + SECRET_LENGTH);

  constructor(
    private readonly sha1: (bytes: Uint8Array) => Uint8Array,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {
    random(this.#current);
    random(this.#previous); // no earlier secret: a random one nobody knows
    this.#rotatedAt = clock.now();
  }

  /** The token for the requester at compact `address` (6 or 18 bytes). */
  issue(address: Uint8Array): Uint8Array {
    this.#rotate();
    return this.#compute(address, this.#current).slice();
  }

  /** Was `token` issued to `address` under the current or the previous secret? */
  verify(token: Uint8Array, address: Uint8Array): boolean {
    if (token.length !== TOKEN_LENGTH) return false;
    this.#rotate();
    return same(token, this.#compute(address, this.#current)) || same(token, this.#compute(address, this.#previous));
  }

  #rotate(): void {
    const periods = Math.floor((this.clock.now() - this.#rotatedAt) / TOKEN_ROTATION_MS);
    if (periods <= 0) return;
    if (periods === 1) {
      const old = this.#previous;
      this.#previous = this.#current;
      this.#current = old;
    } else {
      this.random(this.#previous); // both secrets expired
    }
    this.random(this.#current);
    this.#rotatedAt += periods * TOKEN_ROTATION_MS;
  }

  #compute(address: Uint8Array, secret: Uint8Array): Uint8Array {
    const input = address.length === 6 ? this.#input4 : address.length === 18 ? this.#input6 : new Uint8Array(address.length + SECRET_LENGTH);
    input.set(address, 0);
    input.set(secret, address.length);
    return this.sha1(input).subarray(0, TOKEN_LENGTH);
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
