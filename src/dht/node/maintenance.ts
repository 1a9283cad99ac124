/** Routine upkeep of a listening node, on a timer: each family's routing-table refreshes and pings, and stored peers' expiry. */
import type { TimerHandle } from '../../ground/clock.ts';
import { MAINTENANCE_INTERVAL_MS } from '../constants.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Stack } from '../stack.ts';

/** Routine upkeep: each routing table's refreshes and pings, stored peers' expiry. */
export class Maintenance {
  readonly #options: ResolvedOptions;
  readonly #stacks: readonly Stack[];
  readonly #warn: (error: Error) => void;
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(options: ResolvedOptions, stacks: readonly Stack[], warn: (error: Error) => void) {
    this.#options = options;
    this.#stacks = stacks;
    this.#warn = warn;
  }

  start(): void {
    if (!this.#closed && this.#options.maintenance) this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
  }

  #schedule(): void {
    this.#timer = this.#options.clock.setTimer(() => {
      if (this.#closed) return;
      try {
        for (const stack of this.#stacks) {
          stack.routing.tick();
          stack.peers.expire(this.#options.clock.now());
        }
      } catch (error) {
        this.#warn(error instanceof Error ? error : new Error(String(error)));
      }
      this.#schedule();
    }, MAINTENANCE_INTERVAL_MS);
  }
}
