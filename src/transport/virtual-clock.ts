/**
 * A Clock whose time moves only when events fire: `now()` is the time of the
 * event being processed, and `step()` jumps straight to the next one. Timers
 * and (in the simulated network) datagram deliveries share one queue, so their
 * relative order is exact and reproducible.
 */
import type { Clock, TimerHandle } from '../ground/clock.ts';
import { EventQueue, ScheduledEvent } from './event-queue.ts';

class TimerEvent extends ScheduledEvent implements TimerHandle {
  constructor(
    time: number,
    seq: number,
    readonly queue: EventQueue,
    readonly fn: () => void,
  ) {
    super(time, seq);
  }

  fire(): void {
    this.fn();
  }

  cancel(): void {
    this.queue.remove(this);
  }
}

const NEVER: TimerHandle = { cancel() {} };

export class VirtualClock implements Clock {
  readonly #queue = new EventQueue();
  #time = 0;
  #seq = 0;

  now(): number {
    return this.#time;
  }

  /** `ms` below 0 or NaN counts as 0 (fires after events already due now); Infinity never fires. */
  setTimer(fn: () => void, ms: number): TimerHandle {
    if (ms === Infinity) return NEVER;
    const delay = ms > 0 ? ms : 0;
    const timer = new TimerEvent(this.#time + delay, this.#seq++, this.#queue, fn);
    this.#queue.push(timer);
    return timer;
  }

  /** Events waiting: timers and datagrams in flight. */
  get pending(): number {
    return this.#queue.size;
  }

  /** Time of the next event, or undefined when nothing is queued. */
  nextTime(): number | undefined {
    return this.#queue.peek()?.time;
  }

  /** The sequence number a newly built event must carry. */
  nextSeq(): number {
    return this.#seq++;
  }

  /** Queue an event built with `nextSeq()`; its time must not be in the past. */
  schedule(event: ScheduledEvent): void {
    this.#queue.push(event);
  }

  /** Fire the next event if it is due at or before `limit`; false when none is. */
  step(limit: number): boolean {
    const event = this.#queue.peek();
    if (event === undefined || event.time > limit) return false;
    this.#queue.pop();
    this.#time = event.time;
    event.fire();
    return true;
  }

  /** Move time forward with nothing firing (never backward). */
  advanceTo(time: number): void {
    if (time > this.#time) this.#time = time;
  }
}
