/**
 * Connection slots: at most `global` connections open, at most `perPeer` to any
 * one peer. A waiter whose peer is saturated does not block waiters for other
 * peers; among eligible waiters the oldest goes first.
 */
interface Waiter {
  key: string;
  resolve: (release: () => void) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class ConnectionSlots {
  readonly #global: number;
  readonly #perPeer: number;
  readonly #byPeer = new Map<string, number>();
  #waiters: Waiter[] = [];
  #inUse = 0;

  constructor(global: number, perPeer: number) {
    this.#global = Math.max(1, global);
    this.#perPeer = Math.max(1, perPeer);
  }

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves with a release function once a slot for `key` is free; rejects if `signal` aborts first. */
  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted === true) return Promise.reject(new Error('aborted'));
    if (this.#fits(key)) return Promise.resolve(this.#take(key));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        key,
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new Error('aborted'));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #fits(key: string): boolean {
    return this.#inUse < this.#global && (this.#byPeer.get(key) ?? 0) < this.#perPeer;
  }

  #take(key: string): () => void {
    this.#inUse++;
    this.#byPeer.set(key, (this.#byPeer.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse--;
      const left = (this.#byPeer.get(key) ?? 1) - 1;
      if (left === 0) this.#byPeer.delete(key);
      else this.#byPeer.set(key, left);
      this.#wake();
    };
  }

  #wake(): void {
    for (let i = 0; i < this.#waiters.length && this.#inUse < this.#global; ) {
      const waiter = this.#waiters[i]!;
      if (!this.#fits(waiter.key)) {
        i++;
        continue;
      }
      this.#waiters.splice(i, 1);
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#take(waiter.key));
    }
  }
}
