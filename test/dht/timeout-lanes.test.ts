/**
 * TimeoutLanes: one timer per timeout length for many items. Each live item
 * times out at its start + its timeout (as a timer of its own would), settled
 * items are skipped, a stepping clock never holds an item past its timeout,
 * an expiry that adds an item is safe, and clear() stops everything.
 */
import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../src/ground/clock.ts';
import { TimeoutLanes } from '../../src/dht/timeout-lanes.ts';

/** Timers fire by their own delays (like setTimeout); now() can be stepped apart from them. */
class ManualClock implements Clock {
  time = 0;
  /** Added to now() only: a wall clock stepped by NTP or a suspend. */
  step = 0;
  timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  armed = 0;
  /** Each timer fires this much after its time: a busy event loop. */
  lag = 0;

  now(): number {
    return this.time + this.step;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.time + ms, fn, live: true };
    this.timers.push(timer);
    this.armed++;
    return { cancel: () => (timer.live = false) };
  }

  get pending(): number {
    return this.timers.filter((t) => t.live).length;
  }

  /** Run the timers due by `time`, in order. */
  runTo(time: number): void {
    for (;;) {
      const next = this.timers.filter((t) => t.live && t.at <= time).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      next.live = false;
      this.time = Math.max(this.time, next.at + this.lag);
      next.fn();
    }
    this.time = time;
  }
}

interface Item {
  name: string;
  settled: boolean;
}

function setup(): { clock: ManualClock; lanes: TimeoutLanes<Item>; expired: Array<[string, number]> } {
  const clock = new ManualClock();
  const expired: Array<[string, number]> = [];
  const lanes = new TimeoutLanes<Item>(
    clock,
    (item) => !item.settled,
    (item) => {
      item.settled = true;
      expired.push([item.name, clock.time]);
    },
  );
  return { clock, lanes, expired };
}

describe('TimeoutLanes', () => {
  it('times each live item out at its start + its timeout, one timer per lane at a time', () => {
    const { clock, lanes, expired } = setup();
    const items: Item[] = [];
    for (let i = 0; i < 5; i++) {
      clock.runTo(i * 100);
      const item = { name: `a${i}`, settled: false };
      items.push(item);
      lanes.add(item, clock.now(), 1_000);
    }
    clock.runTo(450);
    const b = { name: 'b', settled: false };
    lanes.add(b, clock.now(), 300);
    expect(clock.pending).toBe(2); // one per timeout length
    items[1]!.settled = true; // answered
    items[3]!.settled = true;
    clock.runTo(5_000);
    expect(expired).toEqual([
      ['b', 750],
      ['a0', 1_000],
      ['a2', 1_200],
      ['a4', 1_400],
    ]);
    expect(lanes.size).toBe(0);
    expect(clock.pending).toBe(0);
    // Timers armed: one per lane start, one per live item re-armed after a sweep — not one per item added.
    expect(clock.armed).toBe(4);
  });

  it('when the clock steps, expires no item before its timeout nor more than a timeout after the previous expiry', () => {
    const { clock, lanes, expired } = setup();
    lanes.add({ name: 'first', settled: false }, clock.now(), 1_000);
    clock.runTo(100);
    clock.step = 3_600_000; // the wall clock jumps an hour ahead between two starts
    lanes.add({ name: 'second', settled: false }, clock.now(), 1_000);
    clock.runTo(200);
    clock.step = -3_600_000; // and an hour back
    lanes.add({ name: 'third', settled: false }, clock.now(), 1_000);
    clock.runTo(10_000);
    const at = new Map(expired);
    expect(at.get('first')).toBe(1_000);
    // Real starts 100 and 200 (timer time): not before start + timeout, within a timeout of the previous expiry.
    expect(at.get('second')).toBeGreaterThanOrEqual(1_100);
    expect(at.get('second')! - at.get('first')!).toBeLessThanOrEqual(1_000);
    expect(at.get('third')).toBeGreaterThanOrEqual(1_200);
    expect(at.get('third')! - at.get('second')!).toBeLessThanOrEqual(1_000);
    expect(expired).toHaveLength(3);
  });

  it('does not add up the lateness of a busy event loop along a lane', () => {
    const { clock, lanes, expired } = setup();
    clock.lag = 40;
    const starts = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      clock.runTo(i * 100);
      starts.set(`i${i}`, clock.now());
      lanes.add({ name: `i${i}`, settled: false }, clock.now(), 1_000);
    }
    clock.runTo(60_000);
    expect(expired).toHaveLength(20);
    for (const [name, at] of expired) {
      const due = starts.get(name)! + 1_000;
      expect(at, name).toBeGreaterThanOrEqual(due);
      expect(at - due, name).toBeLessThanOrEqual(40);
    }
  });

  it('takes an item added by an expiry into the running sweep, with one timer', () => {
    const clock = new ManualClock();
    const expired: string[] = [];
    let lanes!: TimeoutLanes<Item>;
    lanes = new TimeoutLanes<Item>(
      clock,
      (item) => !item.settled,
      (item) => {
        item.settled = true;
        expired.push(`${item.name}@${clock.time}`);
        if (item.name === 'x') lanes.add({ name: 'y', settled: false }, clock.now(), 500);
      },
    );
    lanes.add({ name: 'x', settled: false }, clock.now(), 500);
    clock.runTo(600);
    expect(clock.pending).toBe(1);
    clock.runTo(2_000);
    expect(expired).toEqual(['x@500', 'y@1000']);
    expect(clock.pending).toBe(0);
  });

  it('clear() cancels every timer and forgets every item', () => {
    const { clock, lanes, expired } = setup();
    lanes.add({ name: 'a', settled: false }, clock.now(), 100);
    lanes.add({ name: 'b', settled: false }, clock.now(), 200);
    lanes.clear();
    expect(clock.pending).toBe(0);
    expect(lanes.size).toBe(0);
    clock.runTo(1_000);
    expect(expired).toEqual([]);
  });

  it('keeps a lane bounded by what started within one timeout: swept entries are dropped', () => {
    const { clock, lanes } = setup();
    // 5,000 items a millisecond apart, each answered at once: the lane drains as its timer sweeps.
    for (let i = 0; i < 5_000; i++) {
      clock.runTo(i);
      lanes.add({ name: String(i), settled: true }, clock.now(), 1_000);
    }
    expect(lanes.size).toBeLessThanOrEqual(1_001 + 1_024);
    clock.runTo(10_000);
    expect(lanes.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
