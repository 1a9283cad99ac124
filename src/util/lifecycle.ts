/**
 * The start/stop state machine a node and a crawler share: start once; stop
 * idempotent, waiting for a start in progress (and doing nothing more if that
 * start failed); a second stop() while stopping returns at once.
 *
 *   idle → starting → running → stopping → stopped
 *             └──────── (start failed) ───────┘
 */
export type LifecycleState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Lifecycle {
  readonly #abort = new AbortController();
  #state: LifecycleState = 'idle';
  #starting: Promise<void> | undefined;

  get state(): LifecycleState {
    return this.#state;
  }

  /** Aborted as soon as stop() is called (a start in progress ends early). */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Run `work` as the start: 'running' once it resolves, 'stopped' if it
   * throws (and the error is rethrown). A second start() fails with
   * `refusal(state)`. After it resolves, check `signal.aborted`: stop() may
   * have come first.
   */
  start(work: () => Promise<void>, refusal: (state: LifecycleState) => Error): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(refusal(this.#state));
    this.#state = 'starting';
    this.#starting = (async () => {
      try {
        await work();
        this.#state = 'running';
      } catch (error) {
        this.#state = 'stopped';
        throw error;
      }
    })();
    return this.#starting;
  }

  /** Run `work` once, from 'running' (after a start in progress): 'stopped' after it, even if it throws. */
  async stop(work: () => Promise<void>): Promise<void> {
    if (this.#state === 'idle' || this.#state === 'stopped') {
      this.#state = 'stopped';
      return;
    }
    if (this.#state === 'stopping') return;
    this.#abort.abort();
    if (this.#state === 'starting') {
      await this.#starting?.catch(() => undefined);
      if ((this.#state as LifecycleState) !== 'running') return;
    }
    this.#state = 'stopping';
    try {
      await work();
    } finally {
      this.#state = 'stopped';
    }
  }
}
