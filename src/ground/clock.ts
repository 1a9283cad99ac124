/**
 * Time as the node sees it. The node never calls Date.now or setTimeout itself:
 * on a real network it gets `realClock`; in the simulated network a virtual
 * clock that jumps from event to event, so thousands of nodes and hours of
 * timers run deterministically in moments.
 * @example
 * import { realClock, type TimerHandle } from 'btdht';
 * const timer: TimerHandle = realClock.setTimer(() => console.log('never printed'), 1000);
 * timer.cancel();
 */
export interface TimerHandle {
  cancel(): void;
}

/**
 * @example
 * import { DHT, realClock, type Clock } from 'btdht';
 * // A clock one hour ahead, e.g. to see what expires.
 * const ahead: Clock = { now: () => realClock.now() + 3_600_000, setTimer: (fn, ms) => realClock.setTimer(fn, ms) };
 * const dht = new DHT({ clock: ahead, bootstrap: [] });
 */
export interface Clock {
  /** Milliseconds; only differences matter. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

/**
 * The wall clock, with timers that do not keep a process alive on their own.
 * @example
 * import { realClock } from 'btdht';
 * const started = realClock.now(); // Date.now()
 * realClock.setTimer(() => console.log(realClock.now() - started, 'ms later'), 100); // unref'd: does not keep Node alive
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const handle = setTimeout(fn, ms) as unknown as { unref?: () => void };
    // Node: a pending timer must not keep `btdht get-peers` alive after stop().
    if (typeof handle.unref === 'function') handle.unref();
    return { cancel: () => clearTimeout(handle as unknown as number) };
  },
};
