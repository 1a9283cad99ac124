/**
 * The options of `btdht node` and `btdht crawl`, in one table: each entry
 * gives its config-file key (the `DHTOptions` key when it goes to the node),
 * its kind of value (with the allowed range), its help, and the commands that
 * take it. The table makes the flags (settings.ts), checks the config file
 * (config-file.ts) and writes the table in docs/OPERATIONS.md
 * (scripts/options-doc.ts), so the three never disagree.
 *
 * To add an option: one entry here. A new whole-number DHT option is added to
 * INTEGER_OPTIONS in src/dht/options.ts and gets its help in INTEGER_HELP
 * below (the typecheck fails until it has one).
 */
import type { DHTOptions, IntegerOption } from '../dht/options.ts';
import { INTEGER_OPTIONS, MAX_IDS } from '../dht/options.ts';
import type { ValueKind, ValueOf } from './option-kinds.ts';
import { boolean, hexId, hostPortList, idsKind, integer, ipAddress, oneOf, parsedText, seconds, text } from './option-kinds.ts';
import { parseDb, parseSchema } from './crawl-flags.ts';
import { parseListenAddress } from '../web/listen.ts';
import { CRAWLER_DEFAULTS } from '../crawl/crawler-options.ts';
import { CRAWL_CAPS } from './crawl-caps.ts';

/** The long-running commands whose options live in this table. */
export type CommandName = 'node' | 'crawl';

export interface OptionDef<K extends string, T> {
  /** The config-file key; also the `DHTOptions` key when `dht` is set. */
  readonly key: K;
  /** The long flag, e.g. '--state' (default: '--' + the key in kebab-case). */
  readonly flag?: string;
  readonly kind: ValueKind<T>;
  readonly help: string;
  readonly commands: readonly CommandName[];
  /** Passed to `new DHT()` under `key`. */
  readonly dht?: boolean;
  /** The CLI's default per command (absent: the library's default applies, shown as `libraryDefault`). */
  readonly defaults?: Partial<Record<CommandName, NoInfer<T>>>;
  /** The library's default, for help and docs only. */
  readonly libraryDefault?: string;
  /** For an on/off switch: the flag shown in help is `--no-<flag>` (the default is on). */
  readonly negatable?: boolean;
}

const BOTH: readonly CommandName[] = ['node', 'crawl'];
const NODE: readonly CommandName[] = ['node'];
const CRAWL: readonly CommandName[] = ['crawl'];

function def<const K extends string, T>(entry: OptionDef<K, T>): OptionDef<K, T> {
  return entry;
}

/** A DHT option whose key and value type are those of `DHTOptions`. */
function dhtDef<K extends keyof DHTOptions, T extends NonNullable<DHTOptions[K]>>(key: K, entry: Omit<OptionDef<K, T>, 'key' | 'dht'>): OptionDef<K, T> {
  return { key, dht: true, ...entry };
}

/** Help for each whole-number DHT option (the range comes from INTEGER_OPTIONS). */
const INTEGER_HELP: Record<IntegerOption, string> = {
  port: 'UDP port',
  alpha: 'lookup requests in flight',
  k: 'bucket size and lookup width',
  timeoutMs: 'per-query timeout, ms',
  stateSaveIntervalMs: 'save the state file this often while running, ms',
  bep42Votes: 'distinct responders (per /24 or /64) that must report the same external IP before we adopt it (BEP 42)',
  maxDatagramBytes: 'largest datagram read; bigger ones are dropped unread',
  replacementCacheSize: 'replacement cache entries per bucket',
  maxOutstanding: 'our queries awaiting an answer at most; beyond, a query fails at once',
  maxQueriesOutPerSecond: 'our queries sent per second at most',
  maxQueuedQueries: 'queries waiting for send budget at most',
  maxSendsPerNodePerSecond: 'queries sent to one node per second at most, burst 10',
  maxPeersPerInfohash: 'peers stored per infohash; the oldest announce is evicted beyond',
  maxPeers: 'peers stored in total (also bounds the infohashes stored)',
  maxQueriesPerIpPerSecond: 'queries accepted per source IP per second',
  rateLimitBlockMs: 'how long a flooding source is ignored, ms',
  rateLimitTrackedIps: 'source IPs the rate limiter remembers',
  maxPendingPings: 'unknown nodes that queried us being pinged at once, at most',
  maxLookupQueries: 'queries one lookup sends at most',
  maxPeersPerLookup: 'distinct peers one get_peers lookup collects at most',
  maxIpVoters: 'responders whose BEP 42 ip votes are remembered',
};

const ZERO_MEANS: Partial<Record<IntegerOption, string>> = {
  port: '0 = any',
  stateSaveIntervalMs: '0 = only at stop',
  maxQueriesOutPerSecond: '0 = unpaced',
  maxQueriesPerIpPerSecond: '0 = no limit',
  maxSendsPerNodePerSecond: '0 = unlimited',
};

/** CLI defaults that differ from the library's (and crawl-caps.ts: the caps btdht crawl raises). */
const INTEGER_CLI_DEFAULTS: Partial<Record<IntegerOption, number>> = { port: 6881 };

function integerDefs<K extends IntegerOption>(keys: readonly K[]): OptionDef<K, number>[] {
  return keys.map((key) => {
    const range = INTEGER_OPTIONS[key];
    const cli = INTEGER_CLI_DEFAULTS[key];
    const crawl = (CRAWL_CAPS as Partial<Record<IntegerOption, number>>)[key];
    return dhtDef<K, number>(key, {
      kind: integer(range.min, range.max, range.min === 0 ? ZERO_MEANS[key] : undefined),
      help: INTEGER_HELP[key],
      commands: BOTH,
      ...(cli !== undefined
        ? { defaults: { node: cli, crawl: cli } }
        : crawl !== undefined
          ? { defaults: { node: range.default, crawl }, libraryDefault: String(range.default) }
          : { libraryDefault: String(range.default) }),
    });
  });
}

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
const LOG_FORMATS = ['text', 'json'] as const;

/** Every option, in the order help and docs show them. */
export const OPTIONS = [
  // Where and how the node listens.
  dhtDef('host', { kind: ipAddress(), help: 'address to bind (an IPv6 one makes an IPv6-only node)', commands: BOTH, defaults: { node: '0.0.0.0', crawl: '0.0.0.0' } }),
  dhtDef('host6', { kind: ipAddress(6), help: 'IPv6 address to bind (BEP 32)', commands: BOTH, libraryDefault: ':: when binding every interface' }),
  dhtDef('ipv4', { kind: boolean, negatable: true, help: 'join the IPv4 DHT', commands: BOTH, libraryDefault: 'true' }),
  dhtDef('ipv6', { kind: boolean, negatable: true, help: 'join the IPv6 DHT (BEP 32)', commands: BOTH, libraryDefault: 'true when binding every interface' }),
  ...integerDefs(['port']),
  dhtDef('bootstrap', { kind: hostPortList, help: 'nodes or routers to join through (repeat, or a comma list; "" = none: a standalone node)', commands: BOTH, libraryDefault: 'the four well-known routers' }),
  dhtDef('backend', { kind: oneOf(['wasm', 'js']), help: 'core backend', commands: BOTH, defaults: { node: 'wasm', crawl: 'wasm' } }),
  // Who the node is.
  dhtDef('id', { kind: hexId, help: 'our node id (default: the saved one, else random; BEP 42 never replaces a given id)', commands: BOTH }),
  def({ key: 'ids', dht: true, kind: idsKind(MAX_IDS), help: 'node ids sharing one routing table and socket: a count, or hex prefixes "3f,a0" (crawler mode)', commands: BOTH, defaults: { node: 1, crawl: 16 } }),
  dhtDef('readOnly', { kind: boolean, help: 'BEP 43 read-only: answer no query, enter nobody\'s routing table', commands: BOTH, libraryDefault: 'false' }),
  dhtDef('bep42', { kind: oneOf(['off', 'prefer', 'enforce']), help: 'node ids tied to IPs (BEP 42)', commands: BOTH, libraryDefault: 'prefer' }),
  // The state file.
  dhtDef('stateFile', { flag: '--state', kind: text('a file path', '<file>'), help: 'keep the node id and routing table in this file (checked at start, saved atomically)', commands: BOTH }),
  ...integerDefs(['stateSaveIntervalMs']),
  // Lookups and the caps that bound every table (docs/SECURITY.md).
  ...integerDefs((Object.keys(INTEGER_OPTIONS) as IntegerOption[]).filter((key): key is Exclude<IntegerOption, 'port' | 'stateSaveIntervalMs'> => key !== 'port' && key !== 'stateSaveIntervalMs')),
  // Logs.
  def({ key: 'logLevel', kind: oneOf(LOG_LEVELS), help: 'least important log events shown (on stderr; crawl shows its first warnings in the progress lines)', commands: BOTH, defaults: { node: 'info', crawl: 'error' } }),
  def({ key: 'logFormat', kind: oneOf(LOG_FORMATS), help: 'log lines as text or one JSON object each', commands: BOTH, defaults: { node: 'text', crawl: 'text' } }),
  def({ key: 'statusIntervalMs', kind: integer(0, 86_400_000, '0 = off'), help: 'log a status line (table sizes, queries per second, drops) this often, ms', commands: NODE, defaults: { node: 60_000 } }),
  // Metrics.
  def({
    key: 'metrics',
    kind: parsedText('HOST:PORT, HOST an IP address or localhost (127.0.0.1:9100, [::1]:9100; port 0 = any free one)', '<host:port>', (value) => parseListenAddress(value, '--metrics')),
    help: 'serve Prometheus metrics at /metrics and a live dashboard at / on this address (a port in use is an error at start)',
    commands: BOTH,
  }),
  // Crawler mode.
  def({ key: 'db', kind: text('a SQLite file or a postgres:// URL', '<file|url>', (value) => isValid(parseDb, value)), help: 'SQLite file, or postgres://user@host/db', commands: CRAWL, defaults: { crawl: './btdht-crawl.sqlite' } }),
  def({ key: 'dbSchema', kind: text('a plain lower-case PostgreSQL name (a-z, 0-9, _)', '<name>', (value) => isValid(parseSchema, value)), help: 'PostgreSQL schema for the tables', commands: CRAWL, libraryDefault: 'public' }),
  def({ key: 'torrents', kind: text('a folder path', '<dir>'), help: 'also write each fetched torrent as DIR/xx/<infohash>.torrent', commands: CRAWL }),
  def({ key: 'duration', kind: seconds(100 * 365 * 86_400), help: 'stop after this many seconds (default: at SIGINT)', commands: CRAWL }),
  def({ key: 'metadata', kind: boolean, negatable: true, help: 'fetch the torrents (BEP 9); off harvests infohashes only', commands: CRAWL, defaults: { crawl: true } }),
  def({ key: 'concurrency', kind: integer(1, 10_000), help: 'torrents fetched at once', commands: CRAWL, defaults: { crawl: 64 } }),
  // Swarm health (BEP 33 scrapes of the fetched torrents: seeders and leechers in the database).
  def({
    key: 'swarmCheckIntervalMs',
    kind: integer(0, 365 * 86_400_000, '0 = never'),
    help: 'scrape each fetched torrent (BEP 33) soon after its fetch and then this often, recording its seeders and leechers, ms',
    commands: CRAWL,
    defaults: { crawl: CRAWLER_DEFAULTS.swarmCheckIntervalMs },
  }),
  def({ key: 'swarmConcurrency', kind: integer(1, 1_000), help: 'swarm-health scrapes at once', commands: CRAWL, defaults: { crawl: CRAWLER_DEFAULTS.swarmConcurrency } }),
  def({
    key: 'swarmTracked',
    kind: integer(1, 10_000_000),
    help: 'fetched torrents kept on the swarm-health schedule at most (the least recently fetched dropped first)',
    commands: CRAWL,
    defaults: { crawl: CRAWLER_DEFAULTS.swarmTracked },
  }),
  def({ key: 'json', kind: boolean, help: 'print the summary as one JSON line', commands: CRAWL, defaults: { crawl: false } }),
  def({
    key: 'serve',
    kind: text('HOST:PORT (127.0.0.1:8080, [::1]:8080; port 0 = any)', '<host:port>', (value) => isValid((v) => parseListenAddress(v, '--serve'), value)),
    help: 'serve the search index (as btdht serve does) over the database while crawling',
    commands: CRAWL,
  }),
  // Retention.
  def({ key: 'maxTorrents', kind: integer(1, Number.MAX_SAFE_INTEGER), help: 'keep at most this many torrents: past it the oldest (or least seeded, --prune-by) are removed', commands: CRAWL }),
  def({ key: 'maxDbBytes', kind: integer(1_000_000, Number.MAX_SAFE_INTEGER), help: 'keep the database within this many bytes, removing torrents as --max-torrents does', commands: CRAWL }),
  def({ key: 'pruneBy', kind: oneOf(['oldest', 'least-seeded']), help: 'which torrents retention removes first', commands: CRAWL, defaults: { crawl: 'oldest' } }),
] as const;

function isValid(parse: (value: string) => unknown, value: string): boolean {
  try {
    parse(value);
    return true;
  } catch {
    return false;
  }
}

export type AnyOptionDef = (typeof OPTIONS)[number];

/** The options a command takes, in table order. */
export function optionsFor(command: CommandName): AnyOptionDef[] {
  return OPTIONS.filter((option) => option.commands.includes(command));
}

export type OptionKey = AnyOptionDef['key'];

/** The long flag of an option. */
export function flagOf(option: { readonly key: string; readonly flag?: string }): string {
  return option.flag ?? `--${option.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Values by config key, as read from the defaults, the config file and the flags. */
export type Settings = { -readonly [D in AnyOptionDef as D['key']]?: ValueOf<D['kind']> };
