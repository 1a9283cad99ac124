/**
 * A short-lived node for the one-shot subcommands (put, get, scrape): started,
 * bootstrapped, given to the work, stopped. Output goes through `Output` so
 * tests can run the actions in-process.
 */
import { DHT } from '../dht/dht.ts';
import type { DHTOptions } from '../dht/options.ts';

/** Where a subcommand writes: results on `out`, progress and errors on `err`. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const consoleOutput: Output = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Flags every one-shot subcommand takes. */
export interface SessionFlags {
  bootstrap?: string[];
  timeout: number;
}

/**
 * Run `work` on a fresh node once bootstrap ended, with a signal that aborts
 * after `--timeout`. `options` overrides the node's (tests bind loopback).
 */
export async function withNode<T>(flags: SessionFlags, work: (dht: DHT, signal: AbortSignal) => Promise<T>, options: DHTOptions = {}): Promise<T> {
  // Read-only (BEP 43): a node that leaves in seconds should not enter anyone's routing table.
  const dht = new DHT({ port: 0, readOnly: true, ...(flags.bootstrap ? { bootstrap: flags.bootstrap } : {}), ...options });
  const signal = AbortSignal.timeout(flags.timeout * 1000);
  try {
    const ready = new Promise<void>((resolve) => dht.once('ready', () => resolve()));
    await dht.start();
    // Lookups seeded from a filled table find the nearest nodes in fewer hops.
    await Promise.race([ready, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
    return await work(dht, signal);
  } finally {
    await dht.stop();
  }
}

/** Print an item's value: text when it is a UTF-8 byte string, else its JSON-ish form with byte strings as hex. */
export function formatValue(value: unknown): string {
  if (value instanceof Uint8Array) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(value);
    } catch {
      return `hex:${Buffer.from(value).toString('hex')}`;
    }
  }
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return formatValue(v);
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}
