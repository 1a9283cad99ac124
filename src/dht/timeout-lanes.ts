/**
 * Timeouts for many items at once: one lane per timeout length, items in the
 * order they started, and one clock timer per lane, armed for its oldest item
 * still live. A timer per item (setTimeout, its handle, clearTimeout at the
 * answer) cost ~1.5% of a crawl's CPU, most queries being answered long
 * before their timeout.
 *
 * An item settled meanwhile stays in its lane until the sweep reaches it
 * (`live` says so): a lane holds what started within one timeout length.
 * Within a lane the time left is read from the start times' differences, not
 * from comparing them with the clock when the timer fires: the clock may step
 * (the wall clock does), a timer's delay does not. Each item times out at
 * its start + its timeout, as a timer of its own would (late by what a busy
 * event loop adds, like any timer, without adding up along the lane); when the
 * clock steps, never more than one timeout after the previous expiry of its
 * lane, and never before its timeout unless the step came during one timer's
 * wait (then by at most a timeout).
 */
import type { Clock, TimerHandle } from '../ground/clock.ts';

/** Swept entries are dropped from the front of a lane's array in one splice past this many. */
const COMPACT_AT = 1024;

interface Lane<T> {
  readonly timeoutMs: number;
  items: T[];
  starts: number[];
  head: number;
  timer: TimerHandle | undefined;
  /** In its sweep: an item added by an expiry is reached by the sweep itself. */
  sweeping: boolean;
}

export class TimeoutLanes<T> {
  readonly #clock: Clock;
  readonly #live: (item: T) => boolean;
  readonly #expire: (item: T) => void;
  readonly #lanes = new Map<number, Lane<T>>();

  /** `live(item)`: not settled yet; `expire(item)`: its time is up (called for live items only). */
  constructor(clock: Clock, live: (item: T) => boolean, expire: (item: T) => void) {
    this.#clock = clock;
    this.#live = live;
    this.#expire = expire;
  }

  /** Items waiting in all lanes, settled ones not yet swept included. */
  get size(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.items.length - lane.head;
    return n;
  }

  /** Time `item` out `timeoutMs` after `startedAt` (the clock's now, when it started). */
  add(item: T, startedAt: number, timeoutMs: number): void {
    let lane = this.#lanes.get(timeoutMs);
    if (lane === undefined) {
      lane = { timeoutMs, items: [], starts: [], head: 0, timer: undefined, sweeping: false };
      this.#lanes.set(timeoutMs, lane);
    }
    lane.items.push(item);
    lane.starts.push(startedAt);
    if (lane.timer === undefined && !lane.sweeping) this.#arm(lane, timeoutMs, startedAt);
  }

  /** Cancel every timer and forget every item. */
  clear(): void {
    for (const lane of this.#lanes.values()) {
      lane.timer?.cancel();
      lane.timer = undefined;
      lane.items = [];
      lane.starts = [];
      lane.head = 0;
    }
    this.#lanes.clear();
  }

  #arm(lane: Lane<T>, delayMs: number, dueStart: number): void {
    const armedAt = this.#clock.now();
    lane.timer = this.#clock.setTimer(() => this.#sweep(lane, dueStart, armedAt, delayMs), delayMs);
  }

  /** The lane's timer fired for the items started at `dueStart` or before. */
  #sweep(lane: Lane<T>, dueStart: number, armedAt: number, delayMs: number): void {
    lane.timer = undefined;
    lane.sweeping = true;
    // A timer fires late on a busy event loop: the items started within that lateness are due now
    // too, or each timer of the chain would inherit the lateness of the one before and add its own.
    // (Read from the clock over the timer's own delay; bounded by a timeout, so a step cannot do more.)
    const late = Math.min(Math.max(this.#clock.now() - armedAt - delayMs, 0), lane.timeoutMs);
    const due = dueStart + late;
    while (lane.head < lane.items.length) {
      const at = lane.head;
      const item = lane.items[at]!;
      if (!this.#live(item)) {
        lane.head++;
        continue;
      }
      const start = lane.starts[at]!;
      if (start < dueStart || start > due) {
        // Started later: due in the difference. Started "before" (the clock stepped back): its
        // real start is unknown, so a whole timeout from now — late rather than early.
        this.#arm(lane, start < dueStart ? lane.timeoutMs : Math.min(start - due, lane.timeoutMs), start);
        break;
      }
      lane.head++;
      this.#expire(item);
    }
    lane.sweeping = false;
    if (lane.head >= lane.items.length) {
      // Empty: dropped, so a lane of a timeout length no longer used holds nothing.
      if (this.#lanes.get(lane.timeoutMs) === lane) this.#lanes.delete(lane.timeoutMs);
      lane.items = [];
      lane.starts = [];
      lane.head = 0;
    } else if (lane.head >= COMPACT_AT && lane.head * 2 >= lane.items.length) {
      lane.items.splice(0, lane.head);
      lane.starts.splice(0, lane.head);
      lane.head = 0;
    }
  }
}
