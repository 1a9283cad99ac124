/**
 * Write tokens (BEP 5): token = SHA-1(the requester's IP — 4 or 16 bytes, not
 * the port — || secret), truncated to TOKEN_LENGTH (8) bytes. Binding the IP
 * only, as BEP 5 says, keeps a client whose NAT gives its announce_peer another
 * source port than its get_peers from being refused. Eight bytes are plenty
 * against guessing (2^64) and save 12 bytes in every get_peers answer.
 *
 * The secret changes every TOKEN_ROTATION_MS (5 min) and the previous one is
 * still accepted, so a token lives 5–10 minutes. Rotation is lazy (checked on
 * use against the clock), so an idle node runs no timer for it.
 *
 * The receive path uses `issueFor` / `verifyFor` (a host string, written into a
 * scratch buffer: no allocation; the last token is remembered, since a busy
 * requester asks many times in a row).
 */
import type { Clock } from '../ground/clock.ts';
import type { RandomSource } from '../ground/random.ts';
import { writeIPv4, writeIPv6 } from '../ground/address.ts';
import { TOKEN_LENGTH, TOKEN_ROTATION_MS } from './constants.ts';

const SECRET_LENGTH = 16;

export class TokenManager {
  #current = new Uint8Array(SECRET_LENGTH);
  #previous = new Uint8Array(SECRET_LENGTH);
  #rotatedAt: number;
  /** Scratch inputs by IP length (4: IPv4, 16: IPv6): IP, then the secret. */
  readonly #input4 = new Uint8Array(4 + SECRET_LENGTH);
  readonly #input6 = new Uint8Array(16 + SECRET_LENGTH);
  /** The last token `issueFor` gave, for `#lastHost` under the current secret ('' when none). */
  readonly #last = new Uint8Array(TOKEN_LENGTH);
  #lastHost = '';

  constructor(
    private readonly sha1: (bytes: Uint8Array) => Uint8Array,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {
    random(this.#current);
    random(this.#previous); // no earlier secret: a random one nobody knows
    this.#rotatedAt = clock.now();
  }

  /** The token for the requester at compact `address` (6 or 18 bytes; a bare 4- or 16-byte IP works too): only its IP counts. */
  issue(address: Uint8Array): Uint8Array {
    this.#rotate();
    const input = this.#inputOf(address);
    return this.#hash(input, this.#current).slice();
  }

  /** Was `token` issued to the IP of `address` under the current or the previous secret? */
  verify(token: Uint8Array, address: Uint8Array): boolean {
    if (token.length !== TOKEN_LENGTH) return false;
    this.#rotate();
    const input = this.#inputOf(address);
    return same(token, this.#hash(input, this.#current)) || same(token, this.#hash(input, this.#previous));
  }

  /**
   * The token for the requester at `host` (an IP literal), or undefined if it
   * is none. A view valid until the next call: copy what you keep (the KRPC
   * encoder copies it into the datagram). `now`: the caller's clock reading, if it has one.
   */
  issueFor(host: string, now: number = this.clock.now()): Uint8Array | undefined {
    this.#rotate(now);
    if (host === this.#lastHost) return this.#last;
    const input = this.#inputFor(host);
    if (!input) return undefined;
    this.#last.set(this.#hash(input, this.#current));
    this.#lastHost = host;
    return this.#last;
  }

  /** Was `token` issued to `host` under the current or the previous secret? */
  verifyFor(token: Uint8Array, host: string): boolean {
    if (token.length !== TOKEN_LENGTH) return false;
    this.#rotate();
    if (host === this.#lastHost && same(token, this.#last)) return true;
    const input = this.#inputFor(host);
    if (!input) return false;
    return same(token, this.#hash(input, this.#current)) || same(token, this.#hash(input, this.#previous));
  }

  #rotate(now: number = this.clock.now()): void {
    const periods = Math.floor((now - this.#rotatedAt) / TOKEN_ROTATION_MS);
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
    this.#lastHost = ''; // the remembered token was for the old secret
  }

  /** The scratch input holding the IP of a compact address (or bare IP); other lengths hash as they are. */
  #inputOf(address: Uint8Array): Uint8Array {
    if (address.length === 6 || address.length === 4) {
      this.#input4.set(address.subarray(0, 4), 0);
      return this.#input4;
    }
    if (address.length === 18 || address.length === 16) {
      this.#input6.set(address.subarray(0, 16), 0);
      return this.#input6;
    }
    const input = new Uint8Array(address.length + SECRET_LENGTH);
    input.set(address, 0);
    return input;
  }

  /** The scratch input holding `host`'s IP, or undefined when `host` is no IP literal. */
  #inputFor(host: string): Uint8Array | undefined {
    if (writeIPv4(host, this.#input4, 0)) return this.#input4;
    if (writeIPv6(host, this.#input6, 0)) return this.#input6;
    return undefined;
  }

  /** SHA-1 of `input` (IP first) with `secret` written after the IP, truncated. */
  #hash(input: Uint8Array, secret: Uint8Array): Uint8Array {
    input.set(secret, input.length - SECRET_LENGTH);
    return this.sha1(input).subarray(0, TOKEN_LENGTH);
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
