/**
 * Retention for a running crawl: every `intervalMs` (and once at stop) the
 * store removes torrents past its limits (--max-torrents, --max-db-bytes), the
 * oldest or the least seeded first. Checks never overlap; a failed one is
 * counted and the next one tries again.
 */
import type { CrawlStore, PruneLimits } from './store/types.ts';

export interface RetentionOptions extends PruneLimits {
  /** How often the limits are checked (default 10 s). */
  intervalMs?: number;
}

export class Retention {
  readonly #store: CrawlStore;
  readonly #limits: PruneLimits;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;
  removed = 0;
  checks = 0;
  errors = 0;
  lastError: unknown;

  constructor(store: CrawlStore, options: RetentionOptions) {
    this.#store = store;
    this.#limits = { by: options.by, ...(options.maxTorrents !== undefined ? { maxTorrents: options.maxTorrents } : {}), ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}) };
    this.#intervalMs = options.intervalMs ?? 10_000;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.check(), this.#intervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** One check now (or the running one). */
  check(): Promise<void> {
    this.#running ??= (async () => {
      try {
        this.removed += await this.#store.prune(this.#limits);
        this.checks++;
      } catch (error) {
        this.errors++;
        this.lastError = error;
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Stop the timer and run a last check (after the crawl's last batch is written). */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.check();
  }
}
