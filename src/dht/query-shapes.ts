/**
 * The argument shapes of the queries we answer (BEP 5, 44, 51), checked before a handler runs so
 * handlers only see well-formed arguments (BEP 5 error 203 otherwise). The
 * decoder has already checked bencode types; this checks presence and sizes.
 */
import type { QueryArgs } from '../ground/messages.ts';

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
