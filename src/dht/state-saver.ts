/**
 * A node's state file over its life: checked and loaded at start (state.ts
 * `openStateFile`), saved every `intervalMs` while running and once more at
 * stop. Saves are chained (one file is never written twice at once). A failed
 * periodic save is logged as an error and reported through `onFailure`; the
 * last save's failure is thrown by `close()`, so a caller never reports
 * "saved" when it was not.
 */
import type { Clock, TimerHandle } from '../ground/clock.ts';
import type { Logger } from './log.ts';
import type { SavedState } from './state.ts';
import { openStateFile, saveState } from './state.ts';

export interface StateSaverOptions {
  file: string;
  /** 0 = save only at close(). */
  intervalMs: number;
  clock: Clock;
  log: Logger;
  /** A periodic save failed (also logged as 'state.save-failed'). */
  onFailure(error: Error): void;
  /** A damaged state was moved aside at open (also logged as 'state.moved-aside'). */
  onMovedAside(error: Error): void;
}

export class StateSaver {
  readonly #o: StateSaverOptions;
  #chain: Promise<void> = Promise.resolve();
  #timer: TimerHandle | undefined;
  #snapshot: (() => Omit<SavedState, 'saved'>) | undefined;
  #saves = 0;
  #closed = false;

  constructor(options: StateSaverOptions) {
    this.#o = options;
  }

  /** Saves done since start. */
  get saves(): number {
    return this.#saves;
  }

  /** Check and load the file (throws StateFileError when it cannot be used). */
  async open(): Promise<SavedState | undefined> {
    const { file, log } = this.#o;
    const opened = await openStateFile(file);
    if (opened.movedAside) {
      const { to, reason } = opened.movedAside;
      log.warn?.('state.moved-aside', { file, to, reason });
      this.#o.onMovedAside(new Error(`state file ${file} was damaged (${reason}); moved aside to ${to}, starting fresh`));
    } else if (opened.state) {
      log.info?.('state.loaded', { file, nodes: opened.state.nodes.length, saved: opened.state.saved === undefined ? undefined : new Date(opened.state.saved).toISOString() });
    }
    return opened.state;
  }

  /** Start periodic saves of what `snapshot` returns. */
  start(snapshot: () => Omit<SavedState, 'saved'>): void {
    this.#snapshot = snapshot;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#o.intervalMs <= 0 || this.#closed) return;
    this.#timer = this.#o.clock.setTimer(() => {
      this.save().then(
        () => this.#schedule(),
        (error: unknown) => {
          this.#o.onFailure(error instanceof Error ? error : new Error(String(error)));
          this.#schedule();
        },
      );
    }, this.#o.intervalMs);
  }

  /** Save now (after any save in progress); rejects naming the file when the save fails. */
  save(): Promise<void> {
    const snapshot = this.#snapshot;
    if (!snapshot) return Promise.reject(new Error('the node is not running'));
    const { file, log } = this.#o;
    const run = async (): Promise<void> => {
      const started = performance.now();
      const state = { ...snapshot(), saved: Date.now() };
      try {
        await saveState(file, state);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log.error?.('state.save-failed', { file, message });
        throw new Error(`saving state to ${file} failed: ${message}`, { cause: error });
      }
      this.#saves++;
      log.info?.('state.saved', { file, nodes: state.nodes.length, taken: new Date(state.saved).toISOString(), ms: Math.round(performance.now() - started) });
    };
    const save = this.#chain.catch(() => undefined).then(run);
    this.#chain = save;
    return save;
  }

  /** Stop periodic saves and save once more; rejects when that last save fails. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    if (!this.#snapshot) return;
    await this.save();
    this.#snapshot = undefined;
  }
}
