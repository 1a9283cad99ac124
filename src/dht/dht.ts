/**
 * The DHT node (BEP 5). Thin: it builds the parts once listening and wires
 * them together —
 *
 *   transport → rpc (transactions, decode) → dispatch (handlers, hooks) → rpc → transport
 *                 └→ routing upkeep        traversal ← lookups/ ← public methods
 *
 * Time comes only from `options.clock` and randomness from `options.random`,
 * so a simulated network on a virtual clock drives it deterministically.
 */
import type { Core } from '../core/types.ts';
import { loadCore } from '../core/index.ts';
import type { NodeState } from '../core/routing-types.ts';
import type { BencodeDict } from '../ground/bencode.ts';
import type { KrpcResponse, QueryArgs } from '../ground/messages.ts';
import type { Peer } from '../krpc/compact.ts';
import { decodeCompactAddress, decodeCompactPeers, encodeCompactAddress } from '../krpc/compact.ts';
import type { TimerHandle } from '../ground/clock.ts';
import type { Endpoint } from '../ground/address.ts';
import { toHex } from '../util/hex.ts';
import { bucketStats, type BucketStats } from './bucket-stats.ts';
import { toId } from '../util/id.ts';
import type { HostPort } from '../util/endpoint.ts';
import { resolveNumericEndpoint } from '../util/endpoint.ts';
import { WANT_BOTH_BELOW, MAINTENANCE_INTERVAL_MS, MAX_BUCKETS, DESTINATION_BURST, DESTINATION_MAX_TRACKED, DESTINATION_MAX_WAIT_MS } from './constants.ts';
import { Emitter } from './emitter.ts';
import { KrpcRemoteError, QueryFailedError } from './errors.ts';
import { Hooks } from './hooks.ts';
import type { QueryHook, ResponseHook } from './hooks.ts';
import type { DHTOptions, ResolvedOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import { maxValuesFor } from './peer-store.ts';
import { SourceLimiter } from './rate-limit.ts';
import { SendPacer } from './pacing.ts';
import { DestinationBudget } from './destination-budget.ts';
import { Bep42Policy } from './bep42.ts';
import { Identity, ASKED_AS_CAP } from './node/identity.ts';
import type { Stack } from './stack.ts';
import { bindSockets } from './node/sockets.ts';
import type { Bound } from './node/sockets.ts';
import { buildStack, stackOf } from './stack.ts';
import type { StackNode } from './stack.ts';
import type { FamilyTables } from './handlers.ts';
import type { QueryOutcome } from './rpc.ts';
import type { NodeInfo } from './routing.ts';
import { NodeCounters } from './stats.ts';
import { TokenManager } from './tokens.ts';
import { traverse } from './traversal.ts';
import type { TraversalOptions, TraversalResult, TraversalStrategy } from './traversal.ts';
import { resolveRouters, splitBootstrap, systemResolver } from './bootstrap.ts';
import type { SavedNode, SavedState } from './state.ts';
import { StateSaver } from './state-saver.ts';
import type { Logger } from './log.ts';
import { LookupLog } from './lookup-log.ts';
import { anySignal } from './signals.ts';
import { findNodeLookup, resultNodes } from './lookups/find-node.ts';
import { getPeersLookup } from './lookups/get-peers.ts';
import { announceLookup } from './lookups/announce.ts';
import { installItems } from './items/install.ts';
import type { FoundItem, Items, MutableAddress, PutMutableOptions, PutSummary } from './items/install.ts';
import { installScrape } from './scrape/install.ts';
import type { Scrape } from './scrape/install.ts';
import type { ScrapeResult } from './scrape/lookup.ts';
import { installSample } from './sample/install.ts';
import type { Sample } from './sample/install.ts';
import type { SampleAnswer, SampleLookupResult } from './sample/client.ts';
import type { SampleWalkOptions } from './sample/walk.ts';
import type { BencodeInput } from '../ground/bencode.ts';
import type { ScrapeHost } from './scrape/install.ts';
import { MAX_STORED_ITEMS } from './items/constants.ts';
import { MAX_SCRAPE_RECORDS } from './scrape/constants.ts';

export type { BucketStats } from './bucket-stats.ts';
export type { DHTEvents, LookupEvent, TableSize, DHTStats, PingResult, GetPeersOptions, AnnounceOptionsInput } from './events.ts';
import type { DHTEvents, DHTStats, PingResult, GetPeersOptions, AnnounceOptionsInput } from './events.ts';

type Lifecycle = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** The parts that exist once listening. */
interface Running {
  core: Core;
  /** One per address family (BEP 32), the primary first: IPv4 when the node runs it. */
  stacks: Stack[];
  /** stacks[0]: our own lookups, BEP 42 id, `address()`. */
  primary: Stack;
  limiter: SourceLimiter | undefined;
  budget: DestinationBudget | undefined;
  bep42: Bep42Policy;
  /** Write tokens for get_peers/announce_peer and BEP 44 get/put, either family: one scheme. */
  tokens: TokenManager;
  /** BEP 44 items, BEP 33 scrapes, BEP 51 samples. */
  items: Items;
  scrape: Scrape;
  sample: Sample;
}


/**
 * A BitTorrent mainline DHT node (BEP 5).
 *
 * @example
 * const dht = new DHT({ port: 6881 });
 * dht.on('ready', () => console.log('bootstrapped', dht.stats().nodes, 'nodes'));
 * await dht.start();
 * const peers = await dht.getPeers('e3811b9539cacff680e418124272177c47477157', { limit: 50 });
 * await dht.announcePeer('e3811b9539cacff680e418124272177c47477157', 51413);
 * await dht.stop();
 */
export class DHT {
  readonly #options: ResolvedOptions;
  readonly #emitter: Emitter<DHTEvents>;
  readonly #hooks = new Hooks();
  readonly #counters = new NodeCounters();
  readonly #stopController = new AbortController();
  /** Lookups running, each aborted by stop(). */
  readonly #lookups = new Set<AbortController>();
  readonly #identity: Identity;
  #state: Lifecycle = 'idle';
  #starting: Promise<void> | undefined;
  #parts: Running | undefined;
  #maintenance: TimerHandle | undefined;
  #ready = false;
  /** Resolved bootstrap addresses, reused when the table runs empty. */
  #bootstrapAddresses: Endpoint[] = [];
  #routers = new Set<string>();
  /** Counts kept after stop(), when the table is gone. */
  #final: { nodes: number; buckets: number } | undefined;
  /** The state file's keeper (with `stateFile`). */
  readonly #stateSaver: StateSaver | undefined;
  readonly #log: Logger;
  readonly #lookupLog: LookupLog;

  constructor(options: DHTOptions = {}) {
    this.#options = resolveOptions(options);
    this.#emitter = new Emitter<DHTEvents>((error, event) => {
      if (event !== 'warning') this.#warn(new Error(`a '${String(event)}' listener threw`, { cause: error }));
    });
    this.#identity = new Identity(this.#options, this.#emitter);
    this.#log = this.#options.logger;
    this.#lookupLog = new LookupLog(this.#log);
    const o = this.#options;
    this.#stateSaver = o.stateFile
      ? new StateSaver({
          file: o.stateFile,
          intervalMs: o.stateSaveIntervalMs,
          clock: o.clock,
          log: this.#log,
          onFailure: (error) => this.#emitter.emit('warning', error),
          onMovedAside: (error) => this.#emitter.emit('warning', error),
        })
      : undefined;
  }

  /** Our node id (20 bytes). Settled by start() when restored from `stateFile`. */
  get id(): Uint8Array {
    return this.#identity.id.slice();
  }

  /** Every id this node answers as (crawler mode, option `ids`): the primary first. Just `[id]` for a plain node. */
  get ids(): Uint8Array[] {
    return this.#identity.ids.map((id) => id.slice());
  }

  /** Our node id as 40 hex chars. */
  get idHex(): string {
    return toHex(this.#identity.id);
  }

  /** Has bootstrap finished? */
  get ready(): boolean {
    return this.#ready;
  }

  /** Listen to an event; returns a function that removes the listener. */
  on<E extends keyof DHTEvents>(event: E, listener: (value: DHTEvents[E]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  once<E extends keyof DHTEvents>(event: E, listener: (value: DHTEvents[E]) => void): () => void {
    return this.#emitter.once(event, listener);
  }

  off<E extends keyof DHTEvents>(event: E, listener: (value: DHTEvents[E]) => void): void {
    this.#emitter.off(event, listener);
  }

  /**
   * Hook incoming queries of `method` (runs synchronously; copy bytes you keep).
   * Return nothing to observe, `{ response, extra? }` to answer instead,
   * `{ error: [code, message] }`, or `{ drop: true }`. A hook on a method we do
   * not implement adds that query type (204 if no hook answers).
   * Returns a function that removes the hook.
   *
   * @example
   * dht.onQuery('get_peers', (query, from) => {
   *   console.log(from.host, 'looks for', toHex(query.a.info_hash!));
   * });
   * dht.onQuery('sample_infohashes', () => ({ response: { nodes: new Uint8Array(0) }, extra: { num: 0 } }));
   */
  onQuery(method: string, hook: QueryHook): () => void {
    return this.#hooks.onQuery(method, hook);
  }

  /**
   * Observe the answers to our own queries of `method`.
   *
   * @example
   * dht.onResponse('get_peers', (response, from) => console.log(from.host, response.r.values?.length ?? 0, 'peers'));
   */
  onResponse(method: string, hook: ResponseHook): () => void {
    return this.#hooks.onResponse(method, hook);
  }

  /**
   * Load the core, bind the transport, restore saved state, then bootstrap in
   * the background. Resolves once listening; 'ready' follows after bootstrap.
   */
  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new Error(`DHT.start(): the node is ${this.#state}; start() may be called once`));
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const o = this.#options;
    try {
      const core = o.core ?? (await loadCore(o.backend));
      let saved: SavedNode[] = [];
      // Before binding: a state file that cannot be used fails start() (StateFileError).
      const state = await this.#stateSaver?.open();
      if (state) {
        this.#identity.restore(state.id);
        saved = state.nodes;
      }
      const bound = await bindSockets(o, {
        onDatagram: (family, data, from) => {
          const stack = family && this.#parts ? stackOf(this.#parts.stacks, family) : undefined;
          if (stack) stack.rpc.receive(data, from);
          else this.#counters.drops.inc('not-ready');
        },
        onSocketError: () => this.#counters.drops.inc('socket-error'),
        warn: (error) => this.#warn(error),
      });
      this.#parts = this.#build(core, bound);
      this.#state = 'running';
      const parts = this.#parts;
      this.#stateSaver?.start(() => this.#snapshot(parts));
      if (this.#stopController.signal.aborted) return;
      if (o.maintenance) this.#scheduleMaintenance();
      void this.#bootstrap(saved);
    } catch (error) {
      this.#state = 'stopped';
      throw error;
    }
  }

  #build(core: Core, bound: Bound[]): Running {
    const o = this.#options;
    const limiter =
      o.maxQueriesPerIpPerSecond > 0
        ? new SourceLimiter({ perSecond: o.maxQueriesPerIpPerSecond, blockMs: o.rateLimitBlockMs, maxTracked: o.rateLimitTrackedIps })
        : undefined;
    // One send budget for the node, whichever socket a query leaves by.
    const pacer = o.maxQueriesOutPerSecond > 0 ? new SendPacer(o.maxQueriesOutPerSecond, o.maxQueuedQueries, o.clock) : undefined;
    // What each remote node receives from us, whichever socket it leaves by.
    const budget =
      o.maxSendsPerNodePerSecond > 0
        ? new DestinationBudget({ perSecond: o.maxSendsPerNodePerSecond, burst: DESTINATION_BURST, maxTracked: DESTINATION_MAX_TRACKED, maxWaitMs: DESTINATION_MAX_WAIT_MS }, o.clock)
        : undefined;
    const bep42 = new Bep42Policy(o.bep42, (bytes) => core.crc32c(bytes));
    const tokens = new TokenManager((bytes) => core.sha1(bytes), o.clock, o.random);
    const selves = this.#identity.open(core, bound.map(({ local }) => local.family as 4 | 6));
    const tables: FamilyTables = { 4: undefined, 6: undefined };
    bound.forEach(({ local }, i) => (tables[local.family as 4 | 6] = selves[i]));
    // Late-bound: the stacks are built below and read by the extensions per call.
    const stacks: Stack[] = [];
    const stackFor = (family: 4 | 6): Stack | undefined => stackOf(stacks, family);
    // The extensions answer from our own table of the asker's family (read per call: BEP 42 may replace it).
    const closestNodes = (target: Uint8Array, family: 4 | 6): Uint8Array => tables[family]?.table.closest(target, o.k) ?? NO_NODES;
    // The extensions answer through the dispatch table, not the embedder's hooks.
    const builtinHooks = new Hooks();
    const host = this.#extensionHost(builtinHooks);
    const items = installItems(host, { core, clock: o.clock, random: o.random, tokens, closestNodes, k: o.k });
    const scrape = installScrape(host, { core, clock: o.clock, closestNodes, k: o.k, standalone: false });
    const sample = installSample(host, {
      core,
      clock: o.clock,
      random: o.random,
      closestNodes,
      k: o.k,
      source: {
        infohashes: (max, random) => {
          const out = stacks[0]!.peers.infohashes(max, random);
          const second = stacks[1];
          return second && out.length < max ? mergeInfohashes(out, second.peers.infohashes(max, random), max) : out;
        },
        count: () => stacks.reduce((sum, stack) => sum + stack.peers.infohashCount, 0),
      },
    });
    const shared = { core, limiter, pacer, budget, bep42, tokens, tables, scrape, builtinHooks, stackFor };
    const node: StackNode = {
      options: o,
      counters: this.#counters,
      hooks: this.#hooks,
      emitter: this.#emitter,
      warn: (error) => this.#warn(error),
      onAddressReport: (family, ip, from) => this.#identity.onAddressReport(core, stacks, family, ip, from),
      runOn: (family) => this.#runOn(family),
      isRouter: (from) => this.#routers.size > 0 && this.#routers.has(endpointKey(from)),
    };
    bound.forEach((b, i) => stacks.push(buildStack(node, shared, b, selves[i]!)));
    return { core, stacks, primary: stacks[0]!, limiter, budget, bep42, tokens, items, scrape, sample };
  }

  /** The node's public surface for its own extensions, their query hooks going to `hooks`. */
  #extensionHost(hooks: Hooks): ScrapeHost {
    const id = (): Uint8Array => this.id;
    return {
      get id() {
        return id();
      },
      onQuery: (method, hook) => hooks.onQuery(method, hook),
      query: (endpoint, method, args, extra) => this.query(endpoint, method, args, extra),
      lookup: (target, strategy, options) => this.lookup(target, strategy, options),
      nodes: () => this.nodes(),
      address: () => this.address(),
      on: (event, listener) => this.on(event, listener),
    };
  }

  /** One traversal toward `target` on the primary family's DHT (extensions, `lookup()`). */
  readonly #run = (target: Uint8Array, strategy: TraversalStrategy, signal?: AbortSignal): Promise<TraversalResult> => this.#runOn(this.#running().primary.family)(target, strategy, signal);

  /** A traversal runner on one family's DHT, seeded from its routing table (or the bootstrap addresses when it is empty). */
  #runOn(family: 4 | 6): (target: Uint8Array, strategy: TraversalStrategy, signal?: AbortSignal) => Promise<TraversalResult> {
    return (target, strategy, signal) => {
      const parts = this.#running();
      const stack = stackOf(parts.stacks, family)!;
      const seeds = [];
      for (const node of stack.self.table.closestNodes(target, this.#options.k * 2)) {
        const endpoint = decodeCompactAddress(node.address);
        if (endpoint) seeds.push({ id: node.id, endpoint });
      }
      const addresses = seeds.length === 0 ? this.#bootstrapAddresses.filter((a) => a.family === family) : [];
      // One controller per lookup, aborted by stop(): no listener piles up on a node-wide signal (a crawler runs many lookups at once).
      const lookup = new AbortController();
      if (this.#stopController.signal.aborted) lookup.abort();
      this.#lookups.add(lookup);
      return this.#traverse(this.#traversalOptions(parts, stack, target, seeds, addresses, anySignal([signal, lookup.signal])), strategy).finally(() =>
        this.#lookups.delete(lookup),
      );
    };
  }

  /** Every traversal goes through here: counted by method and outcome, timed for the 'lookup' event, logged at debug with a lookup id. */
  async #traverse(options: TraversalOptions, strategy: TraversalStrategy): Promise<TraversalResult> {
    const lookups = this.#counters.lookups;
    const method = strategy.method;
    const startedAt = this.#options.clock.now();
    lookups.started.inc(method);
    lookups.inFlight++;
    let result: TraversalResult | undefined;
    const logged = this.#lookupLog.wrap(options, strategy);
    try {
      result = await traverse(logged.options, strategy);
      logged.end?.(result);
      return result;
    } finally {
      lookups.inFlight--;
      const outcome = result === undefined || result.aborted ? 'aborted' : result.answered > 0 ? 'ok' : 'failed';
      lookups[outcome].inc(method);
      if (this.#emitter.has('lookup')) {
        const durationMs = this.#options.clock.now() - startedAt;
        this.#emitter.emit('lookup', { method, family: options.family, outcome, durationMs, queried: result?.queried ?? 0, answered: result?.answered ?? 0 });
      }
    }
  }

  /** Every family's runner: the dual-stack lookups run once per DHT, in parallel (BEP 32). */
  #runners(): ((target: Uint8Array, strategy: TraversalStrategy, signal?: AbortSignal) => Promise<TraversalResult>)[] {
    return this.#running().stacks.map((stack) => this.#runOn(stack.family));
  }

  #traversalOptions(
    parts: Running,
    stack: Stack,
    target: Uint8Array,
    seeds: readonly { id: Uint8Array; endpoint: Endpoint }[],
    addresses: readonly Endpoint[],
    signal: AbortSignal | undefined,
  ): TraversalOptions {
    const o = this.#options;
    const ids = stack.self.ids;
    const options: TraversalOptions = {
      target,
      self: this.#identity.id,
      ...(ids ? { isOwnId: (id: Uint8Array) => ids.has(id) } : {}),
      family: stack.family,
      k: o.k,
      alpha: o.alpha,
      seeds,
      addresses,
      query: (to, method, args, nodeId) => {
        const sent = this.#lookupArgs(parts, stack, target, method, args);
        if (sent.id !== undefined) stack.self.askedAs?.record(to, sent.id);
        return stack.rpc.query(to, method, sent, nodeId ? { nodeId } : {});
      },
      local: stack.local,
      maxQueries: o.maxLookupQueries,
    };
    if (signal) options.signal = signal;
    // BEP 42 "Enforcement": answers from nodes whose id does not match their IP neither end a lookup nor get our announces.
    if (o.bep42 === 'enforce') options.accept = (candidate, response) => parts.bep42.trusted(response.r.id!, candidate.endpoint.host);
    return options;
  }

  /**
   * BEP 32: a dual-stack node asks find_node / get_peers answers for both
   * families while the other family's table is short (bootstrapping it from
   * this DHT), and only for the socket's own family after that.
   */
  #lookupArgs(parts: Running, stack: Stack, target: Uint8Array, method: string, args: QueryArgs): QueryArgs {
    // Crawler mode: ask as our id nearest the target, so the nodes there learn (and route to) that one.
    const ids = stack.self.ids;
    if (ids !== undefined && args.id === undefined) args = { ...args, id: ids.nearest(target) };
    if (parts.stacks.length < 2 || args.want !== undefined || (method !== 'find_node' && method !== 'get_peers')) return args;
    const other = parts.stacks[0] === stack ? parts.stacks[1]! : parts.stacks[0]!;
    return other.self.table.size < WANT_BOTH_BELOW ? { ...args, want: WANT_BOTH } : args;
  }

  async #bootstrap(saved: SavedNode[]): Promise<void> {
    const o = this.#options;
    const parts = this.#running();
    const started = o.clock.now();
    this.#log.info?.('bootstrap.start', { routers: o.bootstrap.length, saved: saved.length });
    try {
      // Numeric entries need no DNS: without names the first queries leave before start() resolves.
      const names = splitBootstrap(o.bootstrap, 4).names;
      const routersOf =
        names.length === 0
          ? undefined
          : await Promise.all(parts.stacks.map((stack) => resolveRouters(names, stack.family, o.resolve ?? systemResolver, o.clock, (error) => this.#warn(error))));
      if (this.#state !== 'running') return;
      const perFamily = parts.stacks.map((stack, i) => ({ stack, nodes: splitBootstrap(o.bootstrap, stack.family).nodes, routers: routersOf?.[i] ?? [] }));
      this.#routers = new Set(perFamily.flatMap(({ routers }) => routers.map(endpointKey)));
      this.#bootstrapAddresses = perFamily.flatMap(({ nodes, routers }) => [...nodes, ...routers]);
      // BEP 5: on start, find the nodes closest to our own id — in each family's DHT, at once (BEP 32).
      const results = await Promise.all(
        perFamily.map(async ({ stack, nodes, routers }) => {
          const seeds = saved.filter((node) => node.endpoint.family === stack.family);
          const addresses = [...nodes, ...routers];
          if (seeds.length === 0 && addresses.length === 0) return undefined;
          const target = this.#identity.id;
          return this.#traverse(this.#traversalOptions(parts, stack, target, seeds, addresses, this.#stopController.signal), { method: 'find_node', args: { target } });
        }),
      );
      const tried = results.filter((result) => result !== undefined);
      if (tried.length > 0 && tried.every((result) => result.answered === 0 && !result.aborted)) {
        this.#warn(new Error('bootstrap: no node answered; the node is alone for now'));
      }
    } catch (error) {
      this.#warn(new Error(`bootstrap failed: ${error instanceof Error ? error.message : String(error)}`));
    }
    if (this.#state !== 'running') return;
    this.#ready = true;
    this.#log.info?.('bootstrap.done', { nodes: sum(parts.stacks, (stack) => stack.self.table.size), ms: o.clock.now() - started });
    this.#emitter.emit('ready', undefined);
    if (this.#identity.multi) void this.#lookupOwnIds(parts);
  }

  /**
   * Crawler mode: after bootstrap, one find_node lookup per extra id, a few at
   * a time, so the nodes near each id learn it (it is in our queries' `id`)
   * and its bucket path fills up. Bucket refreshes keep them filled after.
   */
  async #lookupOwnIds(parts: Running): Promise<void> {
    const ids = this.#identity.ids.slice(1);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length && this.#state === 'running') {
        const id = ids[next++]!;
        await Promise.all(parts.stacks.map((stack) => findNodeLookup(this.#runOn(stack.family), id).catch(() => undefined)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(OWN_ID_LOOKUPS_AT_ONCE, ids.length) }, worker));
  }

  #scheduleMaintenance(): void {
    this.#maintenance = this.#options.clock.setTimer(() => {
      const parts = this.#parts;
      if (this.#state !== 'running' || !parts) return;
      try {
        for (const stack of parts.stacks) {
          stack.routing.tick();
          stack.peers.expire(this.#options.clock.now());
        }
      } catch (error) {
        this.#warn(error instanceof Error ? error : new Error(String(error)));
      }
      this.#scheduleMaintenance();
    }, MAINTENANCE_INTERVAL_MS);
  }

  /**
   * Stop: cancel timers and lookups, save state (with `stateFile`), close the
   * transport. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#state === 'idle' || this.#state === 'stopped') {
      this.#state = 'stopped';
      return;
    }
    if (this.#state === 'stopping') return;
    if (this.#state === 'starting') {
      this.#stopController.abort();
      await this.#starting?.catch(() => undefined);
      if ((this.#state as Lifecycle) !== 'running') return;
    }
    this.#state = 'stopping';
    this.#stopController.abort();
    for (const lookup of this.#lookups) lookup.abort();
    this.#lookups.clear();
    this.#maintenance?.cancel();
    const parts = this.#parts!;
    for (const stack of parts.stacks) stack.routing.close();
    parts.items.close();
    parts.scrape.close();
    parts.sample.close();
    let saveFailure: unknown;
    await this.#stateSaver?.close().catch((error: unknown) => (saveFailure = error));
    for (const stack of parts.stacks) stack.rpc.close();
    await Promise.all(parts.stacks.map((stack) => stack.transport.close()));
    this.#final = { nodes: sum(parts.stacks, (stack) => stack.self.table.size), buckets: sum(parts.stacks, (stack) => stack.self.table.bucketCount) };
    this.#parts = undefined;
    for (const stack of parts.stacks) stack.self.table.dispose();
    this.#state = 'stopped';
    // Stopped all the same; but a state that could not be saved is a failure, not a warning.
    if (saveFailure !== undefined) throw saveFailure;
  }

  /** Save our id and routing table to `stateFile` now (it is also saved every `stateSaveIntervalMs` and at stop). */
  async saveState(): Promise<void> {
    if (!this.#stateSaver) throw new Error('DHT.saveState(): no stateFile option');
    this.#running();
    await this.#stateSaver.save();
  }

  #snapshot(parts: Running): Omit<SavedState, 'saved'> {
    const nodes: SavedNode[] = [];
    for (const stack of parts.stacks) {
      for (const node of stack.self.table.nodes()) {
        const endpoint = decodeCompactAddress(node.address);
        if (endpoint) nodes.push({ id: node.id, endpoint });
      }
    }
    return { id: this.#identity.id, nodes };
  }

  /**
   * Find peers for an infohash (20 bytes or 40 hex chars): a get_peers lookup,
   * plus peers announced to us. Resolves when the lookup ends, `limit` peers
   * were found, or `signal` aborts (with the peers found so far).
   *
   * @example
   * const peers = await dht.getPeers(infohash, { limit: 20, signal: AbortSignal.timeout(10_000) });
   */
  async getPeers(infohash: Uint8Array | string, options: GetPeersOptions = {}): Promise<Peer[]> {
    const target = toId(infohash, 'infohash');
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (!(limit >= 1)) throw new RangeError(`getPeers: limit must be at least 1, got ${String(options.limit)}`);
    const found: Peer[] = [];
    await this.#lookupPeers(target, options.signal, limit, (peer) => found.push(peer));
    return found;
  }

  /**
   * Peers for an infohash as they are found. Iteration ends when the lookup
   * does or `signal` aborts; breaking out of the loop stops the lookup.
   *
   * @example
   * for await (const peer of dht.peers(infohash, { signal: AbortSignal.timeout(30_000) })) {
   *   console.log(`${peer.host}:${peer.port}`);
   * }
   */
  async *peers(infohash: Uint8Array | string, options: { signal?: AbortSignal } = {}): AsyncGenerator<Peer, void, undefined> {
    const target = toId(infohash, 'infohash');
    this.#running();
    const controller = new AbortController();
    const queue: Peer[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const lookup = this.#lookupPeers(target, anySignal([options.signal, controller.signal]), Number.POSITIVE_INFINITY, (peer) => {
      queue.push(peer);
      wake?.();
    }).finally(() => {
      done = true;
      wake?.();
    });
    lookup.catch(() => undefined); // a consumer that breaks early never awaits it
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (done) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      await lookup;
    } finally {
      controller.abort();
    }
  }

  async #lookupPeers(target: Uint8Array, signal: AbortSignal | undefined, limit: number, onPeer: (peer: Peer) => void): Promise<void> {
    const parts = this.#running();
    const seen = new Set<string>();
    let count = 0;
    const report = (peer: Peer): boolean => {
      const key = `${peer.host}|${peer.port}`;
      if (seen.has(key)) return false;
      seen.add(key);
      count++;
      onPeer(peer);
      if (this.#emitter.has('peer')) this.#emitter.emit('peer', { infohash: target.slice(), peer });
      return true;
    };
    // Peers announced to us: the lookup never asks ourselves.
    for (const stack of parts.stacks) {
      for (const peer of decodeCompactPeers(stack.peers.get(target, maxValuesFor(stack.family === 4 ? 6 : 18), this.#options.clock.now()))) {
        report(peer);
        if (count >= limit) return;
      }
    }
    if (signal?.aborted) return;
    // BEP 32: a dual-stack node looks up each DHT, in parallel; the first to reach `limit` ends both.
    const enough = new AbortController();
    const both = anySignal([signal, enough.signal]);
    await Promise.all(
      this.#runners().map((run) =>
        getPeersLookup(run, target, {
          limit: Number.isFinite(limit) ? limit : Number.POSITIVE_INFINITY,
          maxPeers: this.#options.maxPeersPerLookup,
          ...(both ? { signal: both } : {}),
          onPeer: (peer) => {
            if (count < limit) report(peer);
            if (count >= limit) enough.abort();
          },
        }),
      ),
    );
  }

  /**
   * Announce that we (a peer) have `infohash`: a get_peers lookup, then
   * announce_peer to the nearest nodes that gave a token. Resolves with how
   * many accepted. With no port, the nodes take our UDP port (implied_port).
   *
   * @example
   * const accepted = await dht.announcePeer(infohash, 51413);
   * await dht.announcePeer(infohash, { impliedPort: true });
   */
  async announcePeer(infohash: Uint8Array | string, portOrOptions?: number | AnnounceOptionsInput): Promise<number> {
    const target = toId(infohash, 'infohash');
    const options: AnnounceOptionsInput = typeof portOrOptions === 'number' ? { port: portOrOptions } : (portOrOptions ?? {});
    if (typeof options !== 'object' || options === null) throw new TypeError('announcePeer: expected a port number or { port?, impliedPort? }');
    const parts = this.#running();
    const impliedPort = options.impliedPort ?? options.port === undefined;
    if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) {
      throw new RangeError(`announcePeer: port must be an integer from 1 to 65535, got ${String(options.port)}`);
    }
    // BEP 32: an announce over a family advertises that family's address, so a dual-stack node announces in each DHT.
    const accepted = await Promise.all(
      parts.stacks.map(async (stack) => {
        const port = options.port ?? stack.local.port;
        // Our own store answers get_peers too, when we are among the nearest nodes.
        const self = encodeCompactAddress(stack.local.host, impliedPort ? stack.local.port : port);
        if (self && !isUnspecified(stack.local.host)) stack.peers.add(target, self, this.#options.clock.now());
        const result = await announceLookup(
          this.#runOn(stack.family),
          (to, args, nodeId) => stack.rpc.query(to, 'announce_peer', args, nodeId ? { nodeId } : {}),
          target,
          { port, impliedPort, maxPeers: this.#options.maxPeersPerLookup },
        );
        return result.accepted;
      }),
    );
    return accepted.reduce((a, b) => a + b, 0);
  }

  /**
   * Ping a node ('host:port' or an endpoint with a numeric host). Rejects with
   * QueryFailedError (no answer) or KrpcRemoteError (an error answer).
   *
   * @example
   * const { id, rtt } = await dht.ping('127.0.0.1:6881');
   */
  async ping(endpoint: string | HostPort): Promise<PingResult> {
    const to = resolveNumericEndpoint(endpoint, 'ping');
    const outcome = await this.#stackTo(to, 'ping').rpc.query(to, 'ping', {});
    const response = expectResponse(outcome, to, 'ping');
    const id = response.r.id;
    if (!id || id.length !== 20) throw new QueryFailedError('invalid', `ping: ${to.host}:${to.port} answered without a 20-byte id`);
    return { id: id.slice(), host: to.host, port: to.port, rtt: outcome.kind === 'response' ? outcome.rtt : 0 };
  }

  /**
   * A find_node lookup: the k nodes nearest to `id` that answered, nearest first.
   *
   * @example
   * const nearest = await dht.findNode(dht.id);
   */
  async findNode(id: Uint8Array | string, options: { signal?: AbortSignal } = {}): Promise<NodeInfo[]> {
    const target = toId(id, 'findNode id');
    this.#running();
    // Each family's DHT (BEP 32): the IPv4 nodes first, then the IPv6 ones, each nearest first.
    const results = await Promise.all(this.#runners().map((run) => findNodeLookup(run, target, options.signal)));
    return results.flatMap(resultNodes);
  }

  /**
   * Offer a node ('host:port' or an endpoint): it is pinged and enters the
   * routing table if it answers. Resolves with whether it answered.
   *
   * @example
   * await dht.addNode('192.0.2.7:6881');
   */
  async addNode(endpoint: string | HostPort): Promise<boolean> {
    const to = resolveNumericEndpoint(endpoint, 'addNode');
    const outcome = await this.#stackTo(to, 'addNode').rpc.query(to, 'ping', {});
    return outcome.kind === 'response';
  }

  /**
   * Send any query and wait for its answer: the building block for extensions.
   * `args.id` defaults to ours; `extra` keys are merged into `a`.
   * Rejects with QueryFailedError or KrpcRemoteError.
   *
   * @example
   * const response = await dht.query('127.0.0.1:6881', 'sample_infohashes', { target: dht.id });
   * console.log(response.r.nodes?.length, response.datagram.length);
   */
  async query(endpoint: string | HostPort, method: string, args: QueryArgs = {}, extra?: BencodeDict): Promise<KrpcResponse> {
    const to = resolveNumericEndpoint(endpoint, 'query');
    if (typeof method !== 'string' || method === '') throw new TypeError('query: method must be a non-empty string');
    const outcome = await this.#stackTo(to, 'query').rpc.query(to, method, args, extra ? { extra } : {});
    return expectResponse(outcome, to, method);
  }

  /**
   * Run one traversal of the lookup engine toward `target` with a strategy of
   * your own (the method to send, what to keep from each answer): for
   * extensions and crawlers. Seeds come from the routing table.
   *
   * @example
   * const result = await dht.lookup(target, { method: 'find_node', args: { target } });
   * console.log(result.closest.length, 'nodes answered,', result.queried, 'queried');
   */
  lookup(target: Uint8Array | string, strategy: TraversalStrategy, options: { signal?: AbortSignal } = {}): Promise<TraversalResult> {
    const id = toId(target, 'lookup target');
    this.#running();
    return this.#run(id, strategy, options.signal);
  }

  /**
   * Store an immutable value (BEP 44): a get lookup for tokens, then put to the
   * nearest nodes. The summary's `target` (SHA-1 of the bencoding) finds it again.
   *
   * @example
   * const { target } = await dht.putImmutable('hello');
   */
  putImmutable(value: BencodeInput, options?: { signal?: AbortSignal }): Promise<PutSummary> {
    return this.#running().items.putImmutable(value, options);
  }

  /**
   * Sign and store a mutable value (BEP 44) under `keypair` and `salt`.
   *
   * @example
   * await dht.putMutable({ keypair: generateKeypair(), value: 'v1', salt: 'profile' });
   */
  putMutable(options: PutMutableOptions): Promise<PutSummary> {
    return this.#running().items.putMutable(options);
  }

  /**
   * A BEP 44 item, verified: by target (20 bytes or 40 hex), or by `{ publicKey, salt }`.
   * Undefined when no node holds it.
   *
   * @example
   * const item = await dht.get(target);
   */
  get(what: Uint8Array | string | MutableAddress, options?: { signal?: AbortSignal }): Promise<FoundItem | undefined> {
    return this.#running().items.get(what, options);
  }

  /**
   * Estimate seeds and peers of an infohash from the bloom filters of the nodes nearest it (BEP 33).
   *
   * @example
   * const { seeds, peers } = await dht.scrape(infohash);
   */
  scrape(infohash: Uint8Array | string, options?: { signal?: AbortSignal }): Promise<ScrapeResult> {
    return this.#running().scrape.scrape(infohash, options);
  }

  /**
   * BEP 51 samples from one node ('host:port' or an endpoint), or, given a
   * 20-byte target, from every node a traversal toward it meets.
   *
   * @example
   * const { samples } = await dht.sampleInfohashes('127.0.0.1:6881');
   * const near = await dht.sampleInfohashes(dht.id);
   */
  sampleInfohashes(target: Uint8Array, options?: { signal?: AbortSignal }): Promise<SampleLookupResult>;
  sampleInfohashes(node: string | HostPort): Promise<SampleAnswer>;
  sampleInfohashes(what: Uint8Array | string | HostPort, options?: { signal?: AbortSignal }): Promise<SampleAnswer | SampleLookupResult> {
    const sample = this.#running().sample;
    return what instanceof Uint8Array ? sample.sampleInfohashesNear(what, options) : sample.sampleInfohashes(what);
  }

  /**
   * Walk the keyspace with sample_infohashes, yielding each infohash found once (BEP 51).
   *
   * @example
   * for await (const infohash of dht.sampleWalk({ signal: AbortSignal.timeout(60_000) })) console.log(toHex(infohash));
   */
  sampleWalk(options?: SampleWalkOptions): AsyncGenerator<Uint8Array, void, undefined> {
    return this.#running().sample.sampleWalk(options);
  }

  /** The bound address (the IPv4 one on a dual-stack node). Throws before start(). */
  address(): Endpoint {
    const parts = this.#parts;
    if (!parts) throw new Error('DHT.address(): the node is not listening (call start() first)');
    return { ...parts.primary.local };
  }

  /** Every bound address, one per address family: IPv4 first (BEP 32). Throws before start(). */
  addresses(): Endpoint[] {
    const parts = this.#parts;
    if (!parts) throw new Error('DHT.addresses(): the node is not listening (call start() first)');
    return parts.stacks.map((stack) => ({ ...stack.local }));
  }

  /** Counters and sizes. */
  stats(): DHTStats {
    const parts = this.#parts;
    const c = this.#counters;
    const o = this.#options;
    const now = o.clock.now();
    const stacks = parts?.stacks ?? [];
    let cached = 0;
    for (const stack of stacks) for (const bucket of stack.self.table.buckets()) cached += bucket.cacheSize;
    const externalIp = parts?.primary.voter.ip;
    const perStack = (read: (stack: Stack) => number): number => sum(stacks, read);
    return {
      nodes: parts ? perStack((stack) => stack.self.table.size) : (this.#final?.nodes ?? 0),
      buckets: parts ? perStack((stack) => stack.self.table.bucketCount) : (this.#final?.buckets ?? 0),
      families: stacks.map((stack) => ({
        family: stack.family,
        address: `${stack.family === 6 ? `[${stack.local.host}]` : stack.local.host}:${stack.local.port}`,
        nodes: stack.self.table.size,
        buckets: stack.self.table.bucketCount,
        peersStored: stack.peers.size,
        externalIp: stack.voter.ip ? decodeCompactAddress(new Uint8Array([...stack.voter.ip, 0, 0]))?.host : undefined,
        ipVotes: { voters: stack.voter.size, forExternalIp: stack.voter.votesForCurrent, candidates: stack.voter.candidates },
      })),
      queriesIn: c.queriesIn.snapshot(),
      queriesOut: c.queriesOut.snapshot(),
      responsesIn: c.responsesIn.snapshot(),
      errorsIn: c.errorsIn.snapshot(),
      errorsOut: c.errorsOut.snapshot(),
      timeouts: c.timeouts.snapshot(),
      drops: c.drops.snapshot(),
      datagramsIn: c.datagramsIn,
      datagramsOut: c.datagramsOut,
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      lookups: {
        started: c.lookups.started.snapshot(),
        ok: c.lookups.ok.snapshot(),
        failed: c.lookups.failed.snapshot(),
        aborted: c.lookups.aborted.snapshot(),
        inFlight: c.lookups.inFlight,
      },
      outstanding: perStack((stack) => stack.rpc.outstanding),
      peersStored: perStack((stack) => stack.peers.size),
      infohashesStored: perStack((stack) => stack.peers.infohashCount),
      // Per-family tables count once per stack, and so do their caps.
      tables: {
        routing: { size: perStack((stack) => stack.self.table.size), cap: stacks.length * MAX_BUCKETS * o.k },
        replacementCache: { size: cached, cap: stacks.length * MAX_BUCKETS * o.replacementCacheSize },
        outstanding: { size: perStack((stack) => stack.rpc.outstanding), cap: stacks.length * o.maxOutstanding },
        // One pacer for the node: its queue is counted by every rpc that shares it.
        sendQueue: { size: parts?.primary.rpc.queued ?? 0, cap: o.maxQueriesOutPerSecond > 0 ? o.maxQueuedQueries : 0 },
        peers: { size: perStack((stack) => stack.peers.size), cap: stacks.length * o.maxPeers },
        infohashes: { size: perStack((stack) => stack.peers.infohashCount), cap: stacks.length * o.maxPeers },
        pendingPings: { size: perStack((stack) => stack.routing.pendingPings), cap: stacks.length * o.maxPendingPings },
        recentAnswers: { size: perStack((stack) => stack.routing.recentAnswers), cap: stacks.length * 16 * o.maxPendingPings },
        rateLimitedIps: { size: parts?.limiter?.size ?? 0, cap: o.maxQueriesPerIpPerSecond > 0 ? o.rateLimitTrackedIps : 0 },
        destinations: { size: parts?.budget?.size ?? 0, cap: o.maxSendsPerNodePerSecond > 0 ? DESTINATION_MAX_TRACKED : 0 },
        ipVoters: { size: perStack((stack) => stack.voter.size), cap: stacks.length * o.maxIpVoters },
        // BEP 44 items (count; their bytes are capped too, MAX_STORED_BYTES) and BEP 33 seed/peer records.
        items: { size: parts?.items.store.size ?? 0, cap: MAX_STORED_ITEMS },
        askedAs: { size: perStack((stack) => stack.self.askedAs?.size ?? 0), cap: this.#identity.multi ? stacks.length * ASKED_AS_CAP : 0 },
        scrapeRecords: { size: parts?.scrape.records.size ?? 0, cap: parts?.scrape.records.cap ?? MAX_SCRAPE_RECORDS },
      },
      blockedIps: parts?.limiter?.blockedCount(now) ?? 0,
      blocks: parts?.limiter?.blocks ?? 0,
      bep42: {
        mode: o.bep42,
        externalIp: externalIp ? decodeCompactAddress(new Uint8Array([...externalIp, 0, 0]))?.host : undefined,
        idCompliant: externalIp ? this.#identity.compliantWith(externalIp, parts?.core) : undefined,
        idChanges: this.#identity.changes,
        refused: parts?.bep42.refused ?? 0,
        replaced: parts?.bep42.replaced ?? 0,
      },
    };
  }

  /** The routing tables bucket by bucket (per family): depth, prefix, nodes by BEP 5 state, cache, capacity. */
  buckets(): BucketStats[] {
    const parts = this.#parts;
    if (!parts) return [];
    const now = this.#options.clock.now();
    return parts.stacks.flatMap((stack) => bucketStats(stack.self.table, stack.family, now));
  }

  /** The nodes of the routing table (copies) with their BEP 5 state, for inspection and tests. */
  nodes(): (NodeInfo & { state: NodeState })[] {
    const parts = this.#parts;
    if (!parts) return [];
    const now = this.#options.clock.now();
    const out: (NodeInfo & { state: NodeState })[] = [];
    for (const stack of parts.stacks) {
      const table = stack.self.table;
      for (const node of table.nodes()) {
        const endpoint = decodeCompactAddress(node.address);
        if (endpoint) out.push({ id: node.id, host: endpoint.host, port: endpoint.port, state: table.state(node.id, now) ?? 'bad' });
      }
    }
    return out;
  }

  /** The stack that can reach `to`, or a clear error naming the missing family. */
  #stackTo(to: Endpoint, what: string): Stack {
    const stack = stackOf(this.#running().stacks, to.family);
    if (!stack) throw new Error(`${what}: ${to.host} is an IPv${to.family} address and this node has no IPv${to.family} socket (options ipv4 / ipv6)`);
    return stack;
  }

  #running(): Running {
    if (this.#state !== 'running' || !this.#parts) {
      throw new Error(`DHT: the node is ${this.#state}; call start() and wait for it first`);
    }
    return this.#parts;
  }

  #warn(error: Error): void {
    this.#log.warn?.('warning', { message: error.message });
    this.#emitter.emit('warning', error);
  }
}

const NO_NODES = new Uint8Array(0);
/** Crawler mode: find_node lookups of our extra ids running at once after bootstrap. */
const OWN_ID_LOOKUPS_AT_ONCE = 4;
const WANT_BOTH: string[] = ['n4', 'n6'];

function sum<T>(items: readonly T[], read: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += read(item);
  return total;
}

/** `first` plus what `second` adds, deduplicated, at most `max`. */
function mergeInfohashes(first: Uint8Array[], second: Uint8Array[], max: number): Uint8Array[] {
  const seen = new Set(first.map(toHex));
  for (const infohash of second) {
    if (first.length >= max) break;
    const key = toHex(infohash);
    if (!seen.has(key)) {
      seen.add(key);
      first.push(infohash);
    }
  }
  return first;
}

function endpointKey(endpoint: Endpoint): string {
  return `${endpoint.host}|${endpoint.port}`;
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '::0';
}

function expectResponse(outcome: QueryOutcome, to: Endpoint, method: string): KrpcResponse {
  const where = `${to.host}:${to.port}`;
  switch (outcome.kind) {
    case 'response':
      return outcome.response;
    case 'error':
      throw new KrpcRemoteError(outcome.code, outcome.message, where);
    case 'timeout':
      throw new QueryFailedError('timeout', `${method} to ${where}: no answer in time`);
    case 'busy':
      throw new QueryFailedError('busy', `${method} to ${where}: too many queries outstanding`);
    case 'closed':
      throw new QueryFailedError('closed', `${method} to ${where}: the node stopped`);
    case 'invalid':
      throw new QueryFailedError('invalid', `${method} to ${where}: garbled answer (${outcome.reason})`);
  }
}
