/**
 * When a failed metadata fetch is tried again: a few attempts, each after a
 * longer wait (exponential backoff with jitter, so many failures that happened
 * together do not all come back together), and never for a failure that more
 * peers cannot fix.
 */
import type { FetchFailure } from './metadata/types.ts';

export interface RetryPolicy {
  /** Fetch attempts per infohash, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt; doubles for each one after. */
  baseDelayMs: number;
  /** Longest wait between two attempts. */
  maxDelayMs: number;
}

/** ±20%: spreads the retries of a burst of failures. */
const JITTER = 0.2;

/** How long to wait after attempt number `attempt` (1-based) failed. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  return Math.max(0, Math.round(delay * (1 - JITTER + 2 * JITTER * random())));
}

/**
 * Whether another attempt can change the outcome: not for an info dictionary
 * that verified but cannot be read (the torrent itself is the problem), nor
 * for a fetch we aborted ourselves.
 */
export function isRetryable(reason: FetchFailure): boolean {
  return reason !== 'invalid-info' && reason !== 'aborted';
}
