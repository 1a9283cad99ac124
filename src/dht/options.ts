/** `DHTOptions`: the node's tunables in one place, their defaults, and validation. */
import type { Backend, Core } from '../core/types.ts';
import type { Clock } from '../transport/clock.ts';
import { realClock } from '../transport/clock.ts';
import type { Transport } from '../transport/types.ts';
import type { RandomSource } from '../util/random.ts';
import { cryptoRandom } from '../util/random.ts';
import { toId } from '../util/id.ts';
import { parseHostPort } from '../util/endpoint.ts';
import type { HostPort } from '../util/endpoint.ts';
import * as C from './constants.ts';

/** Resolves a host name to IP literals (A/AAAA). */
export type Resolver = (host: string) => Promise<string[]>;

export interface DHTOptions {
  /** Address to bind (default '0.0.0.0'). */
  host?: string;
  /** UDP port to bind; 0 picks a free one (default 0; the CLI uses 6881). */
  port?: number;
  /** Our node id: 20 bytes or 40 hex chars (default: the saved one, else random). */
  id?: Uint8Array | string;
  /**
   * Where to join: 'host:port' strings or { host, port }. Numeric hosts are
   * ordinary nodes; named hosts are routers, resolved by DNS, answered but never
   * put in the routing table (BEP 5). Default: the four well-known routers.
   * `[]` makes a standalone node.
   */
  bootstrap?: ReadonlyArray<string | HostPort>;
  /** Core backend to load when `core` is not given (default 'wasm'). */
  backend?: Backend;
  /** An already loaded core (shared by many nodes). */
  core?: Core;
  /** The datagram transport (default: UDP on `host`:`port` for this runtime). */
  transport?: Transport;
  /** Time source and timers (default: the wall clock). */
  clock?: Clock;
  /** Random bytes (default crypto.getRandomValues). */
  random?: RandomSource;
  /** DNS resolver for bootstrap names (default node:dns/promises lookup). */
  resolve?: Resolver;
  /** Lookup requests in flight (default 3). */
  alpha?: number;
  /** Bucket size and lookup width (default 8). */
  k?: number;
  /** Per-query timeout in ms (default 2000). */
  timeoutMs?: number;
  /** Save / restore the node id and routing table here (JSON). */
  stateFile?: string;
  /** Outstanding queries at most (default 4096). */
  maxOutstanding?: number;
  /** Peers stored per infohash (default 2000). */
  maxPeersPerInfohash?: number;
  /** Peers stored in total (default 100000). */
  maxPeers?: number;
  /** Queries accepted per source IP per second (default 250; 0 = no limit). */
  maxQueriesPerIpPerSecond?: number;
  /** Periodic routing upkeep: bucket refresh, peer expiry (default true). */
  maintenance?: boolean;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  id: Uint8Array | undefined;
  bootstrap: HostPort[];
  backend: Backend;
  core: Core | undefined;
  transport: Transport | undefined;
  clock: Clock;
  random: RandomSource;
  resolve: Resolver | undefined;
  alpha: number;
  k: number;
  timeoutMs: number;
  stateFile: string | undefined;
  maxOutstanding: number;
  maxPeersPerInfohash: number;
  maxPeers: number;
  maxQueriesPerIpPerSecond: number;
  maintenance: boolean;
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`DHT option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function bootstrapEntry(entry: unknown, index: number): HostPort {
  const what = `DHT option bootstrap[${index}]`;
  if (typeof entry === 'string') return parseHostPort(entry, what);
  if (typeof entry === 'object' && entry !== null) {
    const { host, port } = entry as { host?: unknown; port?: unknown };
    if (typeof host === 'string' && host !== '' && typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) {
      return { host, port };
    }
  }
  throw new TypeError(`${what} must be "host:port" or { host, port } with a port from 1 to 65535, got ${JSON.stringify(entry)}`);
}

/** Fill in defaults and check every option; throws naming the bad one. */
export function resolveOptions(options: DHTOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('DHT options must be an object');
  const host = options.host ?? '0.0.0.0';
  if (typeof host !== 'string' || host === '') throw new TypeError(`DHT option host must be a non-empty string, got ${String(host)}`);
  const bootstrap = options.bootstrap ?? C.DEFAULT_BOOTSTRAP;
  if (!Array.isArray(bootstrap)) throw new TypeError('DHT option bootstrap must be an array of "host:port" strings or { host, port }');
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'js') throw new TypeError(`DHT option backend must be 'wasm' or 'js', got ${JSON.stringify(backend)}`);
  for (const fn of ['resolve'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') throw new TypeError(`DHT option ${fn} must be a function`);
  }
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw new TypeError('DHT option random must be a function filling a Uint8Array');
  }
  const clock = options.clock ?? realClock;
  if (typeof clock.now !== 'function' || typeof clock.setTimer !== 'function') {
    throw new TypeError('DHT option clock must have now() and setTimer(fn, ms)');
  }
  const transport = options.transport;
  if (transport !== undefined && (typeof transport.listen !== 'function' || typeof transport.send !== 'function')) {
    throw new TypeError('DHT option transport must have listen(), send() and close()');
  }
  if (options.stateFile !== undefined && (typeof options.stateFile !== 'string' || options.stateFile === '')) {
    throw new TypeError('DHT option stateFile must be a non-empty path');
  }
  return {
    host,
    port: integer('port', options.port, 0, 0, 65535),
    id: options.id === undefined ? undefined : toId(options.id, 'DHT option id'),
    bootstrap: bootstrap.map(bootstrapEntry),
    backend,
    core: options.core,
    transport,
    clock,
    random: options.random ?? cryptoRandom,
    resolve: options.resolve,
    alpha: integer('alpha', options.alpha, C.ALPHA, 1, 64),
    k: integer('k', options.k, C.K, 1, 64),
    timeoutMs: integer('timeoutMs', options.timeoutMs, C.QUERY_TIMEOUT_MS, 1, 600_000),
    stateFile: options.stateFile,
    maxOutstanding: integer('maxOutstanding', options.maxOutstanding, C.MAX_OUTSTANDING, 1, 65_536),
    maxPeersPerInfohash: integer('maxPeersPerInfohash', options.maxPeersPerInfohash, C.MAX_PEERS_PER_INFOHASH, 1, 1_000_000),
    maxPeers: integer('maxPeers', options.maxPeers, C.MAX_PEERS_TOTAL, 1, 100_000_000),
    maxQueriesPerIpPerSecond: integer('maxQueriesPerIpPerSecond', options.maxQueriesPerIpPerSecond, C.MAX_QUERIES_PER_IP_PER_SECOND, 0, 1_000_000_000),
    maintenance: options.maintenance ?? true,
  };
}
