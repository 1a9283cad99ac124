/**
 * A small typed event emitter: no node:events, so Deno and browsers need
 * nothing. A listener that throws is reported to `onListenerError` instead of
 * unwinding into the caller (often a socket's receive path).
 */

export type Listener<T> = (value: T) => void;

export class Emitter<Events extends object> {
  #listeners = new Map<keyof Events, Listener<never>[]>();

  constructor(private readonly onListenerError: (error: unknown, event: keyof Events) => void = () => {}) {}

  /** Listen to `event`; returns a function that removes the listener. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    const list = this.#listeners.get(event);
    // Copy on write: emit() can iterate a list while a listener (un)subscribes.
    this.#listeners.set(event, list ? [...list, listener as Listener<never>] : [listener as Listener<never>]);
    return () => this.off(event, listener);
  }

  /** Listen to the next `event` only. */
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    const off = this.on(event, (value) => {
      off();
      listener(value);
    });
    return off;
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    const index = list.indexOf(listener as Listener<never>);
    if (index < 0) return;
    const next = list.filter((_, i) => i !== index);
    if (next.length === 0) this.#listeners.delete(event);
    else this.#listeners.set(event, next);
  }

  /** Has `event` any listener? (Lets the hot path skip building an event value.) */
  has(event: keyof Events): boolean {
    return this.#listeners.has(event);
  }

  emit<E extends keyof Events>(event: E, value: Events[E]): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    for (const listener of list) {
      try {
        (listener as Listener<Events[E]>)(value);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
