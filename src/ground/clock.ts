/**
 * Time as the node sees it. The node never calls Date.now or setTimeout itself:
 * on a real network it gets `realClock`; in the simulated network a virtual
 * clock that jumps from event to event, so thousands of nodes and hours of
 * timers run deterministically in moments.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds; only differences matter. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

/** The wall clock, with timers that do not keep a process alive on their own. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const handle = setTimeout(fn, ms) as unknown as { unref?: () => void };
    // Node: a pending timer must not keep `btdht get-peers` alive after stop().
    if (typeof handle.unref === 'function') handle.unref();
    return { cancel: () => clearTimeout(handle as unknown as number) };
  },
};
