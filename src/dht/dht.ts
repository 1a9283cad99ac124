/**
 * The DHT node (BEP 5): the public face only. Its parts are files of one
 * concept each under node/ (sockets, identity, assemble, traversals,
 * bootstrap, peers, stats); a datagram never passes through here:
 *
 *   transport → rpc (receive, decode) → dispatch (hooks, entry, answer hooks) → replies (encode, send) → transport
 *
 * Time comes only from `options.clock` and randomness from `options.random`,
 * so a simulated network on a virtual clock drives it deterministically.
 */
import type { NodeState } from '../core/routing-types.ts';
import type { Endpoint } from '../ground/address.ts';
import type { BencodeDict, BencodeInput } from '../ground/bencode.ts';
import type { KrpcResponse, QueryArgs } from '../ground/messages.ts';
import type { Peer } from '../krpc/compact.ts';
import type { HostPort } from '../util/endpoint.ts';
import { resolveNumericEndpoint } from '../util/endpoint.ts';
import { toHex } from '../util/hex.ts';
import { toId } from '../util/id.ts';
import { Lifecycle } from '../util/lifecycle.ts';
import type { BucketStats } from './bucket-stats.ts';
import { Emitter } from './emitter.ts';
import type { AnnounceOptionsInput, DHTEvents, DHTStats, GetPeersOptions, PingResult } from './events.ts';
import { Hooks } from './hooks.ts';
import type { AnswerHook, QueryHook, ResponseHook } from './hooks.ts';
import type { FoundItem, MutableAddress, PutMutableOptions, PutSummary } from './items/install.ts';
import { findNodeEverywhere } from './lookups/find-node.ts';
import type { DHTOptions, ResolvedOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import type { NodeInfo } from './routing.ts';
import type { SampleAnswer, SampleLookupResult } from './sample/client.ts';
import type { SampleWalkOptions } from './sample/walk.ts';
import type { ScrapeResult } from './scrape/lookup.ts';
import type { SavedNode } from './state.ts';
import type { StateSaver } from './state-saver.ts';
import { NodeCounters } from './stats.ts';
import type { TraversalResult, TraversalStrategy } from './traversal.ts';
import { closeNode, openNode, stateSaverOf } from './node/assemble.ts';
import type { NodeContext } from './node/assemble.ts';
import { Bootstrap } from './node/bootstrap.ts';
import { Identity } from './node/identity.ts';
import { announce, announceOptions, findPeers, lookupPeers, peerStream } from './node/peers.ts';
import { offerNode, pingNode, queryNode } from './node/queries.ts';
import type { Running } from './node/running.ts';
import { bucketList, nodeList, nodeStats, savedNodes } from './node/stats.ts';

export type { BucketStats } from './bucket-stats.ts';
export type { DHTEvents, LookupEvent, TableSize, DHTStats, PingResult, GetPeersOptions, AnnounceOptionsInput } from './events.ts';

/**
 * A BitTorrent mainline DHT node (BEP 5).
 *
 * @example
 * import { DHT } from 'btdht';
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
  readonly #life = new Lifecycle();
  /** What the parts are built with: options, counters, the embedder's hooks, events, identity, bootstrap. */
  readonly #node: NodeContext;
  /** The state file's keeper (with `stateFile`). */
  readonly #stateSaver: StateSaver | undefined;
  #parts: Running | undefined;
  /** Counts kept after stop(), when the table is gone. */
  #final: { nodes: number; buckets: number } | undefined;

  constructor(options: DHTOptions = {}) {
    const o = (this.#options = resolveOptions(options));
    this.#emitter = new Emitter<DHTEvents>((error, event) => {
      if (event !== 'warning') this.#warn(new Error(`a '${String(event)}' listener threw`, { cause: error }));
    });
    const warn = (error: Error): void => this.#warn(error);
    const [identity, bootstrap] = [new Identity(o, this.#emitter), new Bootstrap(o, this.#emitter, warn)];
    this.#node = { options: o, counters: new NodeCounters(), hooks: new Hooks(), emitter: this.#emitter, identity, bootstrap, warn };
    this.#stateSaver = stateSaverOf(o, this.#emitter);
  }

  /** Our node id (20 bytes). Settled by start() when restored from `stateFile`. */
  get id(): Uint8Array {
    return this.#node.identity.id.slice();
  }

  /** Every id this node answers as (crawler mode, option `ids`): the primary first. Just `[id]` for a plain node. */
  get ids(): Uint8Array[] {
    return this.#node.identity.ids.map((id) => id.slice());
  }

  /** Our node id as 40 hex chars. */
  get idHex(): string {
    return toHex(this.#node.identity.id);
  }

  /** Has bootstrap finished? */
  get ready(): boolean {
    return this.#node.bootstrap.ready;
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
    return this.#node.hooks.onQuery(method, hook);
  }

  /**
   * See and amend the answer to queries of `method` before it is encoded (once its entry or a query
   * hook made it): return nothing to send it as it is, or a decision to send instead. Returns a remover.
   * @example
   * dht.onAnswer('ping', (answer) => ('response' in answer ? { response: answer.response, extra: { motto: 1 } } : undefined));
   */
  onAnswer(method: string, hook: AnswerHook): () => void {
    return this.#node.hooks.onAnswer(method, hook);
  }

  /**
   * Observe the answers to our own queries of `method`.
   * @example
   * dht.onResponse('get_peers', (response, from) => console.log(from.host, response.r.values?.length ?? 0, 'peers'));
   */
  onResponse(method: string, hook: ResponseHook): () => void {
    return this.#node.hooks.onResponse(method, hook);
  }

  /**
   * Load the core, bind the transport, restore saved state, then bootstrap in
   * the background. Resolves once listening; 'ready' follows after bootstrap.
   */
  async start(): Promise<void> {
    let saved: readonly SavedNode[] = [];
    await this.#life.start(
      async () => void ({ parts: this.#parts, saved } = await openNode(this.#node, this.#stateSaver)),
      (state) => new Error(`DHT.start(): the node is ${state}; start() may be called once`),
    );
    const parts = this.#parts!;
    this.#stateSaver?.start(() => ({ id: this.#node.identity.id, nodes: savedNodes(parts) }));
    if (this.#life.signal.aborted) return;
    parts.maintenance.start();
    const running = (): boolean => this.#life.state === 'running';
    void this.#node.bootstrap.join({ stacks: parts.stacks, traversals: parts.traversals, identity: this.#node.identity, running }, saved);
  }

  /**
   * Stop: cancel timers and lookups, save state (with `stateFile`), close the
   * transport. Idempotent.
   */
  stop(): Promise<void> {
    return this.#life.stop(async () => {
      const saveFailure = await closeNode(this.#parts!, this.#stateSaver, (counts) => {
        this.#final = counts;
        this.#parts = undefined;
      });
      // Stopped all the same; but a state that could not be saved is a failure, not a warning.
      if (saveFailure !== undefined) throw saveFailure;
    });
  }

  /** Save our id and routing table to `stateFile` now (it is also saved every `stateSaveIntervalMs` and at stop). */
  async saveState(): Promise<void> {
    if (!this.#stateSaver) throw new Error('DHT.saveState(): no stateFile option');
    this.#running();
    await this.#stateSaver.save();
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
    return findPeers(this.#running(), this.#options, this.#emitter, target, options);
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
    const parts = this.#running();
    yield* peerStream((signal, onPeer) => lookupPeers(parts, this.#options, this.#emitter, target, signal, Number.POSITIVE_INFINITY, onPeer), options.signal);
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
    return announce(this.#running(), this.#options, target, announceOptions(portOrOptions));
  }

  /**
   * Ping a node ('host:port' or an endpoint with a numeric host). Rejects with
   * QueryFailedError (no answer) or KrpcRemoteError (an error answer).
   *
   * @example
   * const { id, rtt } = await dht.ping('127.0.0.1:6881');
   */
  async ping(endpoint: string | HostPort): Promise<PingResult> {
    return pingNode(this.#running().stacks, resolveNumericEndpoint(endpoint, 'ping'));
  }

  /**
   * A find_node lookup: the k nodes nearest to `id` that answered, nearest first.
   * @example
   * const nearest = await dht.findNode(dht.id);
   */
  async findNode(id: Uint8Array | string, options: { signal?: AbortSignal } = {}): Promise<NodeInfo[]> {
    return findNodeEverywhere(this.#running().traversals.all(), toId(id, 'findNode id'), options.signal);
  }

  /**
   * Offer a node ('host:port' or an endpoint): it is pinged and enters the
   * routing table if it answers. Resolves with whether it answered.
   *
   * @example
   * await dht.addNode('192.0.2.7:6881');
   */
  async addNode(endpoint: string | HostPort): Promise<boolean> {
    return offerNode(this.#running().stacks, resolveNumericEndpoint(endpoint, 'addNode'));
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
    return queryNode(this.#running().stacks, to, method, args, extra);
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
    return this.#running().traversals.primary(id, strategy, options.signal);
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
   * @example
   * for await (const infohash of dht.sampleWalk({ signal: AbortSignal.timeout(60_000) })) console.log(toHex(infohash));
   */
  sampleWalk(options?: SampleWalkOptions): AsyncGenerator<Uint8Array, void, undefined> {
    return this.#running().sample.sampleWalk(options);
  }

  /** The bound address (the IPv4 one on a dual-stack node). Throws before start(). */
  address(): Endpoint {
    return { ...this.#listening('address').primary.local };
  }

  /** Every bound address, one per address family: IPv4 first (BEP 32). Throws before start(). */
  addresses(): Endpoint[] {
    return this.#listening('addresses').stacks.map((stack) => ({ ...stack.local }));
  }

  /** Counters and sizes. */
  stats(): DHTStats {
    return nodeStats({ options: this.#options, counters: this.#node.counters, identity: this.#node.identity, parts: this.#parts, final: this.#final });
  }

  /** The routing tables bucket by bucket (per family): depth, prefix, nodes by BEP 5 state, cache, capacity. */
  buckets(): BucketStats[] {
    return this.#parts ? bucketList(this.#parts.stacks, this.#options.clock.now()) : [];
  }

  /** The nodes of the routing table (copies) with their BEP 5 state, for inspection and tests. */
  nodes(): (NodeInfo & { state: NodeState })[] {
    return this.#parts ? nodeList(this.#parts.stacks, this.#options.clock.now()) : [];
  }

  #listening(what: string): Running {
    if (!this.#parts) throw new Error(`DHT.${what}(): the node is not listening (call start() first)`);
    return this.#parts;
  }

  #running(): Running {
    if (this.#life.state !== 'running' || !this.#parts) throw new Error(`DHT: the node is ${this.#life.state}; call start() and wait for it first`);
    return this.#parts;
  }

  #warn(error: Error): void {
    this.#options.logger.warn?.('warning', { message: error.message });
    this.#emitter.emit('warning', error);
  }
}
