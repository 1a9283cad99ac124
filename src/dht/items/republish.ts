/**
 * Keeping our own items alive (BEP 44 "Expiration"): re-put each once an
 * hour, unless the get that precedes the put shows enough copies —
 *   1. more than 8 nodes hold it, and
 *   2. the 8 nodes nearest the target that are eligible for a store (gave a
 *      token) all hold it,
 * counting, for a mutable item, only holders of the most recent seq known.
 * A mutable item superseded by a higher seq (published elsewhere with our
 * key) is dropped from the list: re-putting it would only earn 302s.
 */
import type { Clock, TimerHandle } from '../../ground/clock.ts';
import { bytesKey } from '../../util/bytes.ts';
import { MAX_REPUBLISHED_ITEMS, REPUBLISH_COPIES, REPUBLISH_INTERVAL_MS } from './constants.ts';
import type { Item } from './item.ts';
import type { ItemLookupResult } from './lookup.ts';
import { ANSWERED } from '../traversal.ts';
import type { Candidate } from '../traversal.ts';

/** Do the BEP's conditions hold, so that a republish of `item` may be skipped? */
export function enoughCopies(item: Item, lookup: ItemLookupResult, copies = REPUBLISH_COPIES): boolean {
  let latest: bigint | undefined;
  if (item.kind === 'mutable') {
    latest = item.seq;
    for (const holding of lookup.holdings.values()) if (holding.seq !== undefined && holding.seq > latest) latest = holding.seq;
  }
  const holds = (holding: { seq: bigint | undefined; hasValue: boolean } | undefined): boolean =>
    holding !== undefined && (item.kind === 'immutable' ? holding.hasValue : holding.seq === latest);
  let holders = 0;
  for (const holding of lookup.holdings.values()) if (holds(holding)) holders++;
  if (holders <= copies) return false;
  // Nearest first among every node that answered, not only the k of the result: one without a token is skipped, not a gap.
  const eligible: Candidate[] = [];
  for (const candidate of lookup.candidates) {
    if (candidate.state !== ANSWERED || !candidate.token) continue;
    eligible.push(candidate);
    if (eligible.length === copies) break;
  }
  return eligible.length === copies && eligible.every((candidate) => holds(lookup.holdings.get(candidate)));
}

export type RepublishOutcome =
  | { kind: 'skipped' }
  | { kind: 'put'; accepted: number }
  | { kind: 'superseded'; seq: bigint }
  | { kind: 'failed'; error: unknown };

export interface RepublisherOptions {
  clock: Clock;
  /** Re-put one item: a get, the skip rule, then a put (see `republishItem` in install.ts). */
  republish: (item: Item) => Promise<RepublishOutcome>;
  intervalMs?: number;
  maxItems?: number;
  /** After every round, what happened to each item. */
  onRound?: (outcomes: { item: Item; outcome: RepublishOutcome }[]) => void;
}

/** Our own items, re-put every `intervalMs` one after another (no burst of lookups). */
export class Republisher {
  readonly #options: RepublisherOptions;
  readonly #items = new Map<string, Item>();
  readonly #intervalMs: number;
  readonly #maxItems: number;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: RepublisherOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs ?? REPUBLISH_INTERVAL_MS;
    this.#maxItems = options.maxItems ?? MAX_REPUBLISHED_ITEMS;
  }

  get size(): number {
    return this.#items.size;
  }

  /** Keep `item` alive (replacing an older version at its target). Over the cap, the item added first is let go. */
  add(item: Item): void {
    if (this.#closed) return;
    const key = bytesKey(item.target);
    this.#items.delete(key);
    this.#items.set(key, item);
    if (this.#items.size > this.#maxItems) this.#items.delete(this.#items.keys().next().value as string);
    this.#schedule();
  }

  remove(target: Uint8Array): boolean {
    return this.#items.delete(bytesKey(target));
  }

  items(): Item[] {
    return [...this.#items.values()];
  }

  /** One round now (the timer does this every interval). */
  async runRound(): Promise<{ item: Item; outcome: RepublishOutcome }[]> {
    const outcomes: { item: Item; outcome: RepublishOutcome }[] = [];
    for (const item of [...this.#items.values()]) {
      if (this.#closed) break;
      let outcome: RepublishOutcome;
      try {
        outcome = await this.#options.republish(item);
      } catch (error) {
        outcome = { kind: 'failed', error };
      }
      if (outcome.kind === 'superseded' && this.#items.get(bytesKey(item.target)) === item) this.#items.delete(bytesKey(item.target));
      outcomes.push({ item, outcome });
    }
    this.#options.onRound?.(outcomes);
    return outcomes;
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = this.#options.clock.setTimer(() => {
      this.#timer = undefined;
      if (this.#closed || this.#running) return;
      this.#running = this.runRound()
        .catch(() => undefined)
        .then(() => {
          this.#running = undefined;
          if (this.#items.size > 0) this.#schedule();
        });
    }, this.#intervalMs);
  }
}
