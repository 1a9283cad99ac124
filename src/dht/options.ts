/** `DHTOptions`: the node's tunables in one place, their defaults, and validation. */
import type { Backend, Core } from '../core/types.ts';
import type { Clock } from '../ground/clock.ts';
import { realClock } from '../ground/clock.ts';
import type { Transport } from '../transport/types.ts';
import type { RandomSource } from '../ground/random.ts';
import { cryptoRandom } from '../ground/random.ts';
import { toId } from '../util/id.ts';
import { parseHostPort } from '../util/endpoint.ts';
import type { HostPort } from '../util/endpoint.ts';
import * as C from './constants.ts';
import { ipFamily } from '../ground/address.ts';
import type { Logger } from './log.ts';
import { LOG_LEVELS, SILENT } from './log.ts';

/**
 * Resolves a host name to IP literals (A/AAAA).
 * @example
 * import { resolve4 } from 'node:dns/promises';
 * import { DHT, type Resolver } from 'btdht';
 * // Routers' names resolved to IPv4 only.
 * const resolve: Resolver = (host) => resolve4(host);
 * const dht = new DHT({ resolve });
 */
export type Resolver = (host: string) => Promise<string[]>;

/**
 * @example
 * import { DHT, type DHTOptions } from 'btdht';
 * const options: DHTOptions = {
 *   port: 6881,
 *   stateFile: './dht-state.json', // same id and routing table after a restart
 *   bootstrap: ['router.bittorrent.com:6881', '192.0.2.10:6881'],
 *   backend: 'wasm',
 * };
 * const dht = new DHT(options);
 * await dht.start();
 */
export interface DHTOptions {
  /**
   * IPv4 address to bind (default '0.0.0.0'). An IPv6 literal here makes an
   * IPv6-only node (as `host6` with `ipv4: false`).
   */
  host?: string;
  /** IPv6 address to bind (default '::'; BEP 32 advises a global unicast address). */
  host6?: string;
  /**
   * Take part in the IPv4 DHT (default true, unless `host` is an IPv6 literal
   * or only `transport6` is given).
   */
  ipv4?: boolean;
  /**
   * Take part in the IPv6 DHT too (BEP 32), with its own socket and routing
   * table (default: true when the node binds every interface — no `host` or
   * '0.0.0.0', no `transport` — or when `host6` / `transport6` is given; a host
   * without IPv6 then runs IPv4 only, with a 'warning'). `true` makes a failed
   * IPv6 bind an error.
   */
  ipv6?: boolean;
  /** UDP port to bind; 0 picks a free one (default 0; the CLI uses 6881). Both families use it when they can. */
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
  /** The datagram transport (default: UDP on `host`:`port` for this runtime); its family is the one it binds. */
  transport?: Transport;
  /** A second transport, for IPv6 (BEP 32 dual stack), e.g. a simulated one. */
  transport6?: Transport;
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
  /**
   * Save / restore the node id and routing table here (JSON). start() refuses
   * a file that is not a btdht state (it is never overwritten) and a folder it
   * cannot write; a damaged state of ours is moved aside to
   * `<file>.corrupt-<time>` with a 'warning'. Saved atomically every
   * `stateSaveIntervalMs` and at stop(), which rejects when that last save fails.
   */
  stateFile?: string;
  /** How often the state is saved while running, in ms (default 300000 = 5 min; 0 = only at stop). */
  stateSaveIntervalMs?: number;
  /**
   * Where the node logs its events (bootstrap, id changes, lookups with their
   * id, state saves, warnings): an object with a method per level shown,
   * `error`, `warn`, `info`, `debug` (see log.ts; `console` will do). Levels
   * without a method cost nothing. Default: no logging.
   */
  logger?: Logger;
  /** Periodic routing upkeep: bucket refresh, peer expiry (default true). */
  maintenance?: boolean;
  /**
   * BEP 43 read-only node (default false): our queries carry `ro=1`, and we
   * answer no query (each is dropped, counted as 'read-only'). For nodes that
   * cannot take unsolicited datagrams (behind NAT, on a metered link).
   */
  readOnly?: boolean;
  /**
   * Crawler mode: node ids this node answers as, sharing one routing table,
   * one socket and one lookup engine (default 1: a plain node). A number
   * spreads that many ids evenly over the keyspace, the first being `id`
   * (BEP 42-compliant once our external IP is known); an array places one id
   * at each given prefix (hex digits, e.g. '3f' or '3f8').
   */
  ids?: number | readonly string[];
  /**
   * Crawler mode: each remote node meets us under one id (default false: we
   * answer, and ask during a lookup, as our id nearest the target). That id is
   * the one we first asked it as, else our id nearest its own — where its
   * table keeps nodes best. For libtorrent, which keeps one entry per IP and
   * evicts an entry whose id changes when it answers: with the default, every
   * answer about another target swaps our id there and gets us evicted.
   */
  oneIdPerNode?: boolean;

  // Defences against a hostile network (docs/SECURITY.md). Every table that
  // grows with what others send has a cap here; the defaults suit a long-running
  // node on the public internet.

  /**
   * BEP 42 (node ids tied to IPs). 'prefer' (default): our id follows the
   * external IP our peers report, and a full bucket trades a non-compliant node
   * for a compliant newcomer. 'enforce': non-compliant nodes never enter the
   * routing table, and their answers do not count toward a lookup's result (so
   * they get no announces). 'off': no checks, our id never changes.
   * Local addresses (10/8, 172.16/12, 192.168/16, 169.254/16, 127/8, and IPv6
   * loopback, link-local, ULA) are exempt either way. An `id` given in the
   * options is never replaced.
   */
  bep42?: Bep42Mode;
  /** Distinct responders (per /24 or /64) that must report the same external IP before we adopt it (default 5). */
  bep42Votes?: number;
  /** Largest datagram read; bigger ones are dropped unread (default 2048 bytes). */
  maxDatagramBytes?: number;
  /** Replacement cache entries per bucket (default 8); the table holds at most 160 × (k + this) nodes. */
  replacementCacheSize?: number;
  /** Our queries awaiting an answer at most (default 4096); beyond, a query fails at once ('busy'). */
  maxOutstanding?: number;
  /** Our queries sent per second at most (default 500; 0 = unpaced). Queries over the budget wait in a queue. */
  maxQueriesOutPerSecond?: number;
  /** Queries waiting for send budget at most (default 1024); beyond, a query fails at once ('busy'). */
  maxQueuedQueries?: number;
  /**
   * Datagrams sent to one node (address and port) per second, queries and
   * answers together, with a burst of 10 (default 3; 0 = unlimited). Real
   * clients ignore a sender that goes faster (libtorrent: 50 in 10 s gets its
   * IP ignored for 5 minutes). A query over the budget waits for it, up to 5 s.
   */
  maxSendsPerNodePerSecond?: number;
  /** Peers stored per infohash (default 2000); the oldest announce is evicted beyond. */
  maxPeersPerInfohash?: number;
  /** Peers stored in total (default 100000); the oldest announce is evicted beyond. Also bounds the infohashes stored. */
  maxPeers?: number;
  /**
   * Queries accepted per source IP per second, with one second of burst
   * (default 250; 0 = no rate limit and no blocking: benchmarks and private
   * networks). A source 5 seconds' worth over its budget is ignored for `rateLimitBlockMs`.
   */
  maxQueriesPerIpPerSecond?: number;
  /** How long a flooding source is ignored (default 300000 ms = 5 min). */
  rateLimitBlockMs?: number;
  /** Source IPs the rate limiter remembers (default 10000); the least recently active is forgotten first. */
  rateLimitTrackedIps?: number;
  /** Unknown nodes that queried us being pinged at once, at most (default 64); more are not pinged. */
  maxPendingPings?: number;
  /** Queries one lookup sends at most (default 512). */
  maxLookupQueries?: number;
  /** Distinct peers one get_peers lookup collects at most (default 10000). */
  maxPeersPerLookup?: number;
  /** Responders whose BEP 42 `ip` votes are remembered (default 256); the oldest is forgotten first. */
  maxIpVoters?: number;
}

/** Whether a family runs: 'on' (must bind), 'auto' (tried; a host without it goes on without), 'off'. */
export type FamilyMode = 'on' | 'auto' | 'off';

/**
 * BEP 42 modes (see `DHTOptions.bep42`).
 * @example
 * import { DHT, type Bep42Mode } from 'btdht';
 * // Only nodes whose id matches their IP enter the routing table.
 * const bep42: Bep42Mode = 'enforce';
 * const dht = new DHT({ bep42 });
 */
export type Bep42Mode = 'off' | 'prefer' | 'enforce';

export interface ResolvedOptions {
  host: string;
  host6: string;
  /** Families to run: 'on' must bind, 'auto' may fall back to the other family alone. */
  ipv4: FamilyMode;
  ipv6: FamilyMode;
  port: number;
  id: Uint8Array | undefined;
  bootstrap: HostPort[];
  backend: Backend;
  core: Core | undefined;
  transport: Transport | undefined;
  transport6: Transport | undefined;
  clock: Clock;
  random: RandomSource;
  resolve: Resolver | undefined;
  alpha: number;
  k: number;
  timeoutMs: number;
  stateFile: string | undefined;
  stateSaveIntervalMs: number;
  logger: Logger;
  maintenance: boolean;
  readOnly: boolean;
  /** How many ids, or their prefixes (hex). */
  ids: number | readonly string[];
  oneIdPerNode: boolean;
  bep42: Bep42Mode;
  bep42Votes: number;
  maxDatagramBytes: number;
  replacementCacheSize: number;
  maxOutstanding: number;
  maxQueriesOutPerSecond: number;
  maxQueuedQueries: number;
  maxSendsPerNodePerSecond: number;
  maxPeersPerInfohash: number;
  maxPeers: number;
  maxQueriesPerIpPerSecond: number;
  rateLimitBlockMs: number;
  rateLimitTrackedIps: number;
  maxPendingPings: number;
  maxLookupQueries: number;
  maxPeersPerLookup: number;
  maxIpVoters: number;
}

/** A whole-number option: its default and the range resolveOptions accepts. */
export interface IntegerRange {
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Every whole-number option with its default and allowed range: the one
 * source for resolveOptions' checks and for the CLI's flags, config file and
 * docs (src/cli/option-table.ts shows each one; a key added here and not there
 * fails the typecheck).
 */
export const INTEGER_OPTIONS = {
  port: { default: 0, min: 0, max: 65_535 },
  alpha: { default: C.ALPHA, min: 1, max: 64 },
  k: { default: C.K, min: 1, max: 64 },
  timeoutMs: { default: C.QUERY_TIMEOUT_MS, min: 1, max: 600_000 },
  stateSaveIntervalMs: { default: C.STATE_SAVE_INTERVAL_MS, min: 0, max: 7 * 24 * 3_600_000 },
  bep42Votes: { default: C.BEP42_VOTES, min: 1, max: 1_000 },
  maxDatagramBytes: { default: C.MAX_DATAGRAM_BYTES, min: 512, max: 65_536 },
  replacementCacheSize: { default: C.REPLACEMENT_CACHE_SIZE, min: 0, max: 1_024 },
  // Transaction ids are 2 bytes: at most 65536 queries can be told apart.
  maxOutstanding: { default: C.MAX_OUTSTANDING, min: 1, max: 65_536 },
  maxQueriesOutPerSecond: { default: C.MAX_QUERIES_OUT_PER_SECOND, min: 0, max: 1_000_000_000 },
  maxQueuedQueries: { default: C.MAX_QUEUED_QUERIES, min: 0, max: 65_536 },
  maxSendsPerNodePerSecond: { default: C.MAX_SENDS_PER_NODE_PER_SECOND, min: 0, max: 1_000_000 },
  maxPeersPerInfohash: { default: C.MAX_PEERS_PER_INFOHASH, min: 1, max: 1_000_000 },
  maxPeers: { default: C.MAX_PEERS_TOTAL, min: 1, max: 100_000_000 },
  maxQueriesPerIpPerSecond: { default: C.MAX_QUERIES_PER_IP_PER_SECOND, min: 0, max: 1_000_000_000 },
  rateLimitBlockMs: { default: C.RATE_LIMIT_BLOCK_MS, min: 0, max: 7 * 24 * 3_600_000 },
  rateLimitTrackedIps: { default: C.RATE_LIMITER_MAX_IPS, min: 1, max: 10_000_000 },
  maxPendingPings: { default: C.MAX_PENDING_PINGS, min: 0, max: 65_536 },
  maxLookupQueries: { default: C.MAX_LOOKUP_QUERIES, min: 1, max: 1_000_000 },
  maxPeersPerLookup: { default: C.MAX_PEERS_PER_LOOKUP, min: 1, max: 100_000_000 },
  maxIpVoters: { default: C.MAX_IP_VOTERS, min: 1, max: 1_000_000 },
} as const satisfies { readonly [K in keyof DHTOptions]?: IntegerRange };

export type IntegerOption = keyof typeof INTEGER_OPTIONS;

function integer(name: IntegerOption, value: unknown): number {
  const { default: fallback, min, max } = INTEGER_OPTIONS[name];
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
  const transport = checkTransport('transport', options.transport);
  const transport6 = checkTransport('transport6', options.transport6);
  const families = resolveFamilies(options, host);
  if (options.stateFile !== undefined && (typeof options.stateFile !== 'string' || options.stateFile === '')) {
    throw new TypeError('DHT option stateFile must be a non-empty path');
  }
  const bep42 = options.bep42 ?? 'prefer';
  if (bep42 !== 'off' && bep42 !== 'prefer' && bep42 !== 'enforce') {
    throw new TypeError(`DHT option bep42 must be 'off', 'prefer' or 'enforce', got ${JSON.stringify(bep42)}`);
  }
  return {
    host: families.host,
    host6: families.host6,
    ipv4: families.ipv4,
    ipv6: families.ipv6,
    port: integer('port', options.port),
    id: options.id === undefined ? undefined : toId(options.id, 'DHT option id'),
    bootstrap: bootstrap.map(bootstrapEntry),
    backend,
    core: options.core,
    transport,
    transport6,
    clock,
    random: options.random ?? cryptoRandom,
    resolve: options.resolve,
    alpha: integer('alpha', options.alpha),
    k: integer('k', options.k),
    timeoutMs: integer('timeoutMs', options.timeoutMs),
    stateFile: options.stateFile,
    stateSaveIntervalMs: integer('stateSaveIntervalMs', options.stateSaveIntervalMs),
    logger: checkLogger(options.logger),
    maintenance: options.maintenance ?? true,
    readOnly: options.readOnly ?? false,
    ids: resolveIds(options.ids),
    oneIdPerNode: options.oneIdPerNode === true,
    bep42,
    bep42Votes: integer('bep42Votes', options.bep42Votes),
    maxDatagramBytes: integer('maxDatagramBytes', options.maxDatagramBytes),
    replacementCacheSize: integer('replacementCacheSize', options.replacementCacheSize),
    maxOutstanding: integer('maxOutstanding', options.maxOutstanding),
    maxQueriesOutPerSecond: integer('maxQueriesOutPerSecond', options.maxQueriesOutPerSecond),
    maxQueuedQueries: integer('maxQueuedQueries', options.maxQueuedQueries),
    maxSendsPerNodePerSecond: integer('maxSendsPerNodePerSecond', options.maxSendsPerNodePerSecond),
    maxPeersPerInfohash: integer('maxPeersPerInfohash', options.maxPeersPerInfohash),
    maxPeers: integer('maxPeers', options.maxPeers),
    maxQueriesPerIpPerSecond: integer('maxQueriesPerIpPerSecond', options.maxQueriesPerIpPerSecond),
    rateLimitBlockMs: integer('rateLimitBlockMs', options.rateLimitBlockMs),
    rateLimitTrackedIps: integer('rateLimitTrackedIps', options.rateLimitTrackedIps),
    maxPendingPings: integer('maxPendingPings', options.maxPendingPings),
    maxLookupQueries: integer('maxLookupQueries', options.maxLookupQueries),
    maxPeersPerLookup: integer('maxPeersPerLookup', options.maxPeersPerLookup),
    maxIpVoters: integer('maxIpVoters', options.maxIpVoters),
  };
}

/** Most ids one node answers as (crawler mode). */
export const MAX_IDS = 65_536;

/** `ids`: a count from 1 to 65,536, or 1 to 65,536 hex prefixes of 1 to 40 digits. */
function resolveIds(ids: unknown): number | readonly string[] {
  if (ids === undefined) return 1;
  if (typeof ids === 'number') {
    if (!Number.isInteger(ids) || ids < 1 || ids > MAX_IDS) throw new RangeError(`DHT option ids must be an integer from 1 to ${MAX_IDS}, got ${ids}`);
    return ids;
  }
  if (Array.isArray(ids) && ids.length >= 1 && ids.length <= MAX_IDS) {
    for (const prefix of ids as unknown[]) {
      if (typeof prefix !== 'string' || !/^[0-9a-fA-F]{1,40}$/.test(prefix)) {
        throw new TypeError(`DHT option ids: each prefix must be 1 to 40 hex digits, got ${JSON.stringify(prefix)}`);
      }
    }
    return (ids as string[]).map((prefix) => prefix.toLowerCase());
  }
  throw new TypeError(`DHT option ids must be a count from 1 to 65536 or an array of hex prefixes, got ${JSON.stringify(ids)}`);
}

function checkLogger(logger: unknown): Logger {
  if (logger === undefined) return SILENT;
  if (typeof logger !== 'object' || logger === null) throw new TypeError('DHT option logger must be an object with error/warn/info/debug methods');
  for (const level of LOG_LEVELS) {
    const method = (logger as Record<string, unknown>)[level];
    if (method !== undefined && typeof method !== 'function') throw new TypeError(`DHT option logger: ${level} must be a function or absent`);
  }
  return logger as Logger;
}

function checkTransport(name: string, transport: Transport | undefined): Transport | undefined {
  if (transport !== undefined && (typeof transport !== 'object' || transport === null || typeof transport.listen !== 'function' || typeof transport.send !== 'function')) {
    throw new TypeError(`DHT option ${name} must have listen(), send() and close()`);
  }
  return transport;
}

/** BEP 32: which families run, and where each binds. */
function resolveFamilies(options: DHTOptions, host: string): { host: string; host6: string; ipv4: FamilyMode; ipv6: FamilyMode } {
  for (const name of ['ipv4', 'ipv6'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') throw new TypeError(`DHT option ${name} must be true or false, got ${JSON.stringify(options[name])}`);
  }
  const host6Given = options.host6 !== undefined;
  if (host6Given && (typeof options.host6 !== 'string' || ipFamily(options.host6) !== 6)) {
    throw new TypeError(`DHT option host6 must be an IPv6 address literal, got ${JSON.stringify(options.host6)}`);
  }
  // A v6 literal in `host` is the single-family form: an IPv6-only node.
  const hostIsV6 = ipFamily(host) === 6;
  if (hostIsV6 && host6Given) throw new TypeError('DHT options host and host6 are both IPv6 addresses: give the IPv4 one as host');
  if (hostIsV6 && options.ipv4 === true) throw new TypeError(`DHT option ipv4 is true but host ${host} is an IPv6 address: give the IPv4 one as host, the IPv6 one as host6`);
  const host6 = hostIsV6 ? host : (options.host6 ?? '::');
  const onlySix = hostIsV6 || (options.transport === undefined && options.transport6 !== undefined);
  const ipv4: FamilyMode = options.ipv4 === false || (onlySix && options.ipv4 === undefined) ? 'off' : 'on';
  const everyInterface = options.transport === undefined && (options.host === undefined || options.host === '0.0.0.0');
  let ipv6: FamilyMode;
  if (options.ipv6 === false) ipv6 = 'off';
  else if (options.ipv6 === true || hostIsV6 || host6Given || options.transport6 !== undefined) ipv6 = 'on';
  else ipv6 = everyInterface && ipv4 === 'on' ? 'auto' : 'off';
  if (ipv4 === 'off' && ipv6 === 'off') throw new TypeError('DHT options ipv4 and ipv6 are both off: the node needs one address family');
  if (hostIsV6 && ipv6 === 'off') throw new TypeError(`DHT option ipv6 is false but host ${host} is an IPv6 address`);
  return { host: hostIsV6 ? '0.0.0.0' : host, host6, ipv4, ipv6 };
}
