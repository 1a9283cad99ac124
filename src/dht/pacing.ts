/**
 * Pacing of our own queries: one token bucket for the whole node (`perSecond`
 * tokens a second, one second of burst) and a bounded FIFO of sends waiting
 * for budget, drained by one timer. A node asked to run many lookups at once
 * spreads its queries out instead of bursting them onto the network.
 */
import type { Clock, TimerHandle } from '../ground/clock.ts';

export class SendPacer {
  readonly #clock: Clock;
  readonly #perMs: number;
  readonly #capacity: number;
  readonly #maxQueue: number;
  #tokens: number;
  #at: number;
  /** Waiting sends, FIFO: live entries are queue[head..]. */
  #queue: (() => void)[] = [];
  #head = 0;
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(perSecond: number, maxQueue: number, clock: Clock) {
    this.#clock = clock;
    this.#perMs = perSecond / 1000;
    this.#capacity = perSecond;
    this.#maxQueue = maxQueue;
    this.#tokens = perSecond;
    this.#at = clock.now();
  }

  /** Sends waiting for budget. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Run `send` now when the budget allows and nobody is waiting, else queue it.
   * False (and `send` never runs) when the queue is full or the pacer closed.
   */
  schedule(send: () => void): boolean {
    if (this.#closed) return false;
    if (this.#canSendNow()) {
      this.#tokens -= 1;
      send();
      return true;
    }
    if (this.queued >= this.#maxQueue) return false;
    this.#queue.push(send);
    this.#arm();
    return true;
  }

  /** Forget the waiting sends and stop the timer (their owners settle them). */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
  }

  #canSendNow(): boolean {
    if (this.queued > 0) return false;
    this.#refill();
    return this.#tokens >= 1;
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#at;
    if (elapsed > 0) this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#perMs);
    this.#at = now;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.queued === 0) return;
    this.#refill();
    const wait = Math.max(1, Math.ceil((1 - this.#tokens) / this.#perMs));
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#drain();
    }, wait);
  }

  #drain(): void {
    if (this.#closed) return;
    this.#refill();
    while (this.#tokens >= 1 && this.queued > 0) {
      const send = this.#queue[this.#head]!;
      this.#queue[this.#head++] = NOOP; // release the closure
      this.#tokens -= 1;
      send();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.queued === 0) {
      this.#queue = [];
      this.#head = 0;
    }
    this.#arm();
  }
}

const NOOP = (): void => {};
