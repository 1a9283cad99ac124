/**
 * A short-lived node for the one-shot subcommands (get-peers, announce,
 * scrape, put, get): started read-only, bootstrapped, given to the work,
 * stopped. Each decides what "found" means; when nothing was found the exit
 * code tells why (exit.ts): 3 when no node ever answered us, 4 when nodes
 * answered but held nothing. Output goes through `Output` so tests can run the
 * actions in-process.
 */
import { DHT } from '../dht/dht.ts';
import type { DHTOptions } from '../dht/options.ts';
import { CliError, EXIT } from './exit.ts';

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

/** How a one-shot tells a result from nothing, and says so. */
export interface Verdict<T> {
  found(value: T): boolean;
  /** The message when nodes answered but none held what was asked ('no node holds that item'). */
  nothing(value: T): string;
}

/** No node answered any of our queries: bootstrap failed or everyone was silent (exit 3). */
export class UnreachableError extends CliError {
  override name = 'UnreachableError';
  constructor(message: string) {
    super(message, EXIT.unreachable);
  }
}

/** The DHT answered but held nothing (exit 4). */
export class NothingFoundError extends CliError {
  override name = 'NothingFoundError';
  constructor(message: string) {
    super(message, EXIT.notFound);
  }
}

/** Whether any node answered one of our queries. */
export function reachedAnyone(dht: DHT): boolean {
  return dht.stats().responsesIn.total > 0;
}

/**
 * Run `work` on a fresh read-only node once bootstrap ended, with a signal
 * that aborts after `--timeout`. Resolves with what `work` found; rejects
 * with UnreachableError or NothingFoundError when `verdict` says it found
 * nothing. `options` overrides the node's (tests bind loopback).
 */
export async function withNode<T>(flags: SessionFlags, work: (dht: DHT, signal: AbortSignal) => Promise<T>, options: DHTOptions, verdict: Verdict<T>): Promise<T> {
  // Read-only (BEP 43): a node that leaves in seconds should not enter anyone's routing table.
  const dht = new DHT({ port: 0, ...(flags.bootstrap ? { bootstrap: flags.bootstrap } : {}), ...options, readOnly: true });
  const signal = AbortSignal.timeout(flags.timeout * 1000);
  try {
    const ready = new Promise<void>((resolve) => dht.once('ready', () => resolve()));
    await dht.start();
    // Lookups seeded from a filled table find the nearest nodes in fewer hops.
    await Promise.race([ready, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
    const value = await work(dht, signal);
    if (verdict.found(value)) return value;
    if (!reachedAnyone(dht)) throw new UnreachableError(unreachableMessage(flags));
    throw new NothingFoundError(verdict.nothing(value));
  } finally {
    await dht.stop();
  }
}

function unreachableMessage(flags: SessionFlags): string {
  const through = flags.bootstrap === undefined ? 'the default routers' : flags.bootstrap.length === 0 ? 'no bootstrap node (--bootstrap "")' : flags.bootstrap.join(', ');
  return `no node answered (bootstrap through ${through}); check the network or --bootstrap`;
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
