/**
 * The argument shapes of the queries we answer (BEP 5, 44, 51), checked before a handler runs so
 * handlers only see well-formed arguments (BEP 5 error 203 otherwise). The
 * decoder has already checked bencode types; this checks presence and sizes.
 * Beside them, the flags an extension adds to a BEP 5 method (BEP 33), checked
 * in the same step.
 */
import type { BencodeValue } from '../ground/bencode.ts';
import type { KrpcQuery, QueryArgs } from '../ground/messages.ts';

type BytesField = 'id' | 'target' | 'info_hash' | 'token';

/** A required byte-string argument and its exact length (0: any non-empty length). */
export type ArgRule = readonly [field: BytesField, length: number];
export type Shape = readonly ArgRule[];

export const SHAPES = {
  ping: [['id', 20]],
  find_node: [['id', 20], ['target', 20]],
  get_peers: [['id', 20], ['info_hash', 20]],
  // `port` depends on `implied_port`: the handler checks it.
  announce_peer: [['id', 20], ['info_hash', 20], ['token', 0]],
  // BEP 44: the rest of a put (token, value, key, sig, seq, salt, cas) is checked in order by items/handlers.ts.
  get: [['id', 20], ['target', 20]],
  put: [['id', 20]],
  // BEP 51.
  sample_infohashes: [['id', 20], ['target', 20]],
} as const satisfies Record<string, Shape>;

/** The 203 message for the first rule `args` breaks, or undefined when they fit. */
export function checkShape(args: QueryArgs, shape: Shape): string | undefined {
  for (let i = 0; i < shape.length; i++) {
    const [field, length] = shape[i]!;
    const value = args[field];
    if (value === undefined) return `missing argument '${field}'`;
    if (length === 0 ? value.length === 0 : value.length !== length) {
      return length === 0 ? `empty argument '${field}'` : `argument '${field}' must be ${length} bytes, got ${value.length}`;
    }
  }
  return undefined;
}

/** The port an announce_peer stores (BEP 5: `implied_port` non-zero → the UDP source port), or undefined if bad. */
export function announcedPort(args: QueryArgs, sourcePort: number): number | undefined {
  if (args.implied_port !== undefined && args.implied_port !== 0) return sourcePort > 0 ? sourcePort : undefined;
  const port = args.port;
  return port !== undefined && port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * Optional flags an extension adds to a BEP 5 method, each an integer 0 or 1
 * when present — BEP 33: `scrape` / `noseed` on get_peers, `seed` on
 * announce_peer. The decoder does not read them into `a`: they are found in
 * the query's bytes, and `a` is decoded only when its bytes name one, so plain
 * queries pay one byte scan.
 */
export const FLAGS = {
  get_peers: ['scrape', 'noseed'],
  announce_peer: ['seed'],
} as const satisfies Record<string, readonly FlagName[]>;

export type FlagName = 'scrape' | 'noseed' | 'seed';
/** The flags a query carries set to 1. */
export type QueryFlags = Readonly<Record<FlagName, boolean>>;
export const NO_FLAGS: QueryFlags = Object.freeze({ scrape: false, noseed: false, seed: false });

const KEYS: Readonly<Record<FlagName, Uint8Array>> = {
  scrape: asciiKey('scrape'),
  noseed: asciiKey('noseed'),
  seed: asciiKey('seed'),
};

/** The declared flags of `query` (NO_FLAGS when its bytes name none), or the 203 message for one that is not 0 or 1. */
export function readFlags(query: KrpcQuery, names: readonly FlagName[], decode: (bytes: Uint8Array) => BencodeValue): QueryFlags | string {
  let named = false;
  for (let i = 0; i < names.length && !named; i++) named = mentions(query, KEYS[names[i]!]);
  if (!named) return NO_FLAGS;
  let a: BencodeValue;
  try {
    a = decode(query.datagram.subarray(query.bodyStart, query.bodyEnd));
  } catch {
    return NO_FLAGS; // `a` was read once already: the bytes only looked like a flag
  }
  if (typeof a !== 'object' || a instanceof Uint8Array || Array.isArray(a)) return NO_FLAGS;
  const flags = { scrape: false, noseed: false, seed: false };
  for (const name of names) {
    const value = a[name];
    if (value === undefined) continue;
    if (value !== 0 && value !== 1) return `argument '${name}' must be 0 or 1`;
    flags[name] = value === 1;
  }
  return flags;
}

/** Do the bytes of the query's `a` contain `key` (a bencoded key)? */
export function mentions(query: KrpcQuery, key: Uint8Array): boolean {
  const bytes = query.datagram;
  const last = query.bodyEnd - key.length;
  outer: for (let i = query.bodyStart; i <= last; i++) {
    for (let j = 0; j < key.length; j++) if (bytes[i + j] !== key[j]) continue outer;
    return true;
  }
  return false;
}

/** `name` as a bencoded key (`6:scrape`). */
export function asciiKey(name: string): Uint8Array {
  return Uint8Array.from(`${name.length}:${name}`, (c) => c.charCodeAt(0));
}
