/**
 * Per-source-IP query budget, in the spirit of libtorrent's dos_blocker.
 *
 * Each IP has a token bucket: `perSecond` tokens a second, one second of
 * burst. A query takes a token; with none left it is dropped ('rate') and the
 * bucket goes into debt, so a source must go quiet to recover. A source whose
 * debt reaches `blockAfterSeconds` of budget is blocked: everything it sends is
 * dropped unread ('blocked') for `blockMs`.
 *
 * Bounded: at most `maxTracked` IPs are remembered, in order of last activity
 * (a Map re-inserted on every use); the least recently active one is forgotten
 * first. A source still flooding stays at the recent end, so a spread-out
 * flood of fresh addresses evicts idle entries, not the block on the flooder.
 */
import { RATE_LIMIT_BLOCK_AFTER_SECONDS } from './constants.ts';

export interface SourceLimiterOptions {
  /** Queries per second per IP (> 0). */
  perSecond: number;
  /** How long a flooding source is ignored. */
  blockMs: number;
  /** IPs remembered at most. */
  maxTracked: number;
  /** Debt, in seconds of budget, that gets a source blocked (default RATE_LIMIT_BLOCK_AFTER_SECONDS). */
  blockAfterSeconds?: number;
}

interface Source {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
  /** Blocked until this time (ms); 0 when not blocked. */
  blockedUntil: number;
}

export class SourceLimiter {
  readonly #sources = new Map<string, Source>();
  readonly #perMs: number;
  readonly #capacity: number;
  readonly #blockAt: number;
  readonly #blockMs: number;
  readonly #maxTracked: number;
  #blocks = 0;

  constructor(options: SourceLimiterOptions) {
    this.#perMs = options.perSecond / 1000;
    this.#capacity = options.perSecond;
    this.#blockAt = -options.perSecond * (options.blockAfterSeconds ?? RATE_LIMIT_BLOCK_AFTER_SECONDS);
    this.#blockMs = options.blockMs;
    this.#maxTracked = options.maxTracked;
  }

  /** IPs remembered now. */
  get size(): number {
    return this.#sources.size;
  }

  /** Sources blocked since creation. */
  get blocks(): number {
    return this.#blocks;
  }

  /** IPs blocked at `now` (a walk over the tracked IPs: for stats, not the receive path). */
  blockedCount(now: number): number {
    let n = 0;
    for (const source of this.#sources.values()) if (source.blockedUntil > now) n++;
    return n;
  }

  /** Is `host` blocked at `now`? Checked before decoding anything it sent. */
  blocked(host: string, now: number): boolean {
    const source = this.#sources.get(host);
    if (source === undefined || source.blockedUntil === 0) return false;
    if (source.blockedUntil > now) {
      this.#touch(host, source);
      return true;
    }
    source.blockedUntil = 0;
    return false;
  }

  /** May a query from `host` be answered at `now`? Takes a token when it may; goes into debt (and maybe blocks) when not. */
  take(host: string, now: number): boolean {
    let source = this.#sources.get(host);
    if (source === undefined) {
      source = { tokens: this.#capacity, at: now, blockedUntil: 0 };
      if (this.#sources.size >= this.#maxTracked) this.#sources.delete(this.#sources.keys().next().value!);
    } else {
      this.#sources.delete(host);
      const elapsed = now - source.at;
      if (elapsed > 0) source.tokens = Math.min(this.#capacity, source.tokens + elapsed * this.#perMs);
      source.at = now;
    }
    this.#sources.set(host, source);
    source.tokens -= 1;
    if (source.tokens >= 0) return true;
    if (source.tokens <= this.#blockAt) {
      source.blockedUntil = now + this.#blockMs;
      source.tokens = this.#capacity; // a clean slate once the block ends
      this.#blocks++;
    }
    return false;
  }

  #touch(host: string, source: Source): void {
    this.#sources.delete(host);
    this.#sources.set(host, source);
  }
}
