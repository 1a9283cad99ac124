/**
 * The one iterative lookup (Kademlia node lookup, BEP 5 "iteratively queries
 * nodes that are closer to the target"). Strategies in lookups/ say which
 * query to send and what to keep from each answer; this file owns the rest:
 *
 * - candidates sorted by XOR distance to the target, bounded (MAX_CANDIDATES),
 *   deduplicated by id and by address, each queried at most once;
 * - `alpha` requests in flight, always to the nearest candidates not yet asked;
 * - done when the `k` nearest candidates that have not failed have all
 *   answered (nothing nearer is pending or in flight), or when the strategy
 *   says stop, or on abort;
 * - a candidate among the k nearest whose query timed out is asked once more
 *   (`retries`, default 1): on a lossy path one lost datagram would otherwise
 *   drop a near node and the nodes only it knows from the result;
 * - at most `maxQueries` queries (MAX_LOOKUP_QUERIES): Sybils that answer with
 *   ever-nearer made-up ids cannot keep a lookup going;
 * - an answer the caller does not `accept` (BEP 42 enforcement: an id that does
 *   not match its IP) still feeds the candidates and the strategy, but its
 *   node counts as failed: it is not in the result and does not end the lookup.
 *
 * Seeds without an id (routers, bootstrap addresses) are asked first; their
 * answers only feed the candidate set.
 */
import type { KrpcResponse, QueryArgs } from '../ground/messages.ts';
import type { AddressFamily, Endpoint } from '../ground/address.ts';
import { compareDistance } from '../core/routing-types.ts';
import { COMPACT_NODE_LENGTH, ID_LENGTH, decodeCompactAddress } from '../krpc/compact.ts';
import { bytesEqual, bytesKey } from '../util/bytes.ts';
import { MAX_CANDIDATES, MAX_LOOKUP_QUERIES } from './constants.ts';
import type { QueryOutcome } from './transactions.ts';

/** Candidate states: not asked yet, asked, answered, failed (timeout, error, wrong id). */
export const PENDING = 0;
export const IN_FLIGHT = 1;
export const ANSWERED = 2;
export const FAILED = 3;
export type CandidateState = typeof PENDING | typeof IN_FLIGHT | typeof ANSWERED | typeof FAILED;

/**
 * A node a lookup knows of.
 * @example
 * import { DHT, fromHex, toHex, type Candidate } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const infohash = fromHex('e3811b9539cacff680e418124272177c47477157');
 * const { candidates } = await dht.lookup(infohash, { method: 'get_peers', args: { info_hash: infohash } });
 * // Those that answered get_peers gave a write token, for a later announce_peer.
 * const withToken: Candidate[] = candidates.filter((candidate) => candidate.token !== undefined);
 * for (const c of withToken) console.log(c.id && toHex(c.id), `${c.endpoint.host}:${c.endpoint.port}`);
 */
export interface Candidate {
  /** Undefined for a seed address whose id we do not know yet. */
  id: Uint8Array | undefined;
  endpoint: Endpoint;
  state: CandidateState;
  /** The write token it gave (get_peers), for a later announce_peer. */
  token?: Uint8Array;
  /** Queries sent to it in this lookup. */
  attempts?: number;
}

/**
 * What a lookup asks and keeps.
 * @example
 * import { DHT, fromHex, type TraversalStrategy } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const infohash = fromHex('e3811b9539cacff680e418124272177c47477157');
 * // A get_peers lookup that ends at the first answer carrying peers.
 * const firstPeers: TraversalStrategy = {
 *   method: 'get_peers',
 *   args: { info_hash: infohash },
 *   onResponse: (_candidate, response) => (response.r.values?.length ? 'stop' : undefined),
 * };
 * const result = await dht.lookup(infohash, firstPeers);
 * console.log(result.stopped ? 'found peers' : 'no peers');
 */
export interface TraversalStrategy {
  readonly method: string;
  /** Query arguments (without `id`: the rpc layer adds ours). */
  readonly args: QueryArgs;
  /** Called for every answer, after its nodes joined the candidates. Return 'stop' to end the lookup. */
  onResponse?(candidate: Candidate, response: KrpcResponse): void | 'stop';
}

export interface TraversalOptions {
  target: Uint8Array;
  /** Our id: never a candidate. */
  self: Uint8Array;
  /** Crawler mode: our other ids, never candidates either. */
  isOwnId?: (id: Uint8Array) => boolean;
  family: AddressFamily;
  k: number;
  alpha: number;
  /** Starting nodes with ids (from the routing table or saved state). */
  seeds: readonly { id: Uint8Array; endpoint: Endpoint }[];
  /** Starting addresses without ids (routers, bootstrap nodes). */
  addresses?: readonly Endpoint[];
  signal?: AbortSignal;
  /** Sends one query; the rpc layer's timeout bounds it. */
  query: (to: Endpoint, method: string, args: QueryArgs, nodeId: Uint8Array | undefined) => Promise<QueryOutcome>;
  maxCandidates?: number;
  /** Our own address, never queried (a node can list us). */
  local?: Endpoint;
  /** Extra attempts for a near candidate that timed out (default 1). */
  retries?: number;
  /** Queries sent at most (default MAX_LOOKUP_QUERIES). */
  maxQueries?: number;
  /** Does this answer count (default: every answer with the right id)? */
  accept?: (candidate: Candidate, response: KrpcResponse) => boolean;
}

/**
 * @example
 * import { DHT, fromHex, type TraversalResult } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const target = fromHex('e3811b9539cacff680e418124272177c47477157');
 * const result: TraversalResult = await dht.lookup(target, { method: 'find_node', args: { target } });
 * console.log(`${result.answered} of ${result.queried} answered; nearest:`, result.closest[0]?.endpoint);
 */
export interface TraversalResult {
  /** The k nearest nodes that answered, nearest first. */
  closest: Candidate[];
  /** Queries sent, answers received, failures (timeouts, errors, wrong id). */
  queried: number;
  answered: number;
  failed: number;
  aborted: boolean;
  /** The strategy ended it early. */
  stopped: boolean;
  /** Every candidate kept (nearest first), with its final state: for diagnostics and simulations. */
  candidates: readonly Candidate[];
}

/** Run one lookup to the end. Never rejects; an abort resolves with `aborted: true`. */
export function traverse(options: TraversalOptions, strategy: TraversalStrategy): Promise<TraversalResult> {
  return new Traversal(options, strategy).run();
}

class Traversal {
  readonly #o: TraversalOptions;
  readonly #strategy: TraversalStrategy;
  /** Candidates with ids, nearest first. */
  readonly #candidates: Candidate[] = [];
  readonly #seenIds = new Set<string>();
  readonly #seenAddresses = new Set<string>();
  readonly #maxCandidates: number;
  #inFlight = 0;
  #queried = 0;
  #answered = 0;
  #failed = 0;
  #done = false;
  #aborted = false;
  #stopped = false;
  #resolve: (result: TraversalResult) => void = () => {};
  readonly #onAbort = (): void => {
    this.#aborted = true;
    this.#finish();
  };

  constructor(options: TraversalOptions, strategy: TraversalStrategy) {
    this.#o = options;
    this.#strategy = strategy;
    this.#maxCandidates = options.maxCandidates ?? MAX_CANDIDATES;
    if (options.local) this.#seenAddresses.add(addressKey(options.local));
  }

  run(): Promise<TraversalResult> {
    const promise = new Promise<TraversalResult>((resolve) => (this.#resolve = resolve));
    const { signal } = this.#o;
    if (signal?.aborted) {
      this.#aborted = true;
      this.#finish();
      return promise;
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    for (const seed of this.#o.seeds) this.#offer(seed.id, seed.endpoint);
    for (const endpoint of this.#o.addresses ?? []) {
      const key = addressKey(endpoint);
      if (this.#seenAddresses.has(key)) continue;
      this.#seenAddresses.add(key);
      this.#send({ id: undefined, endpoint, state: PENDING });
    }
    this.#step();
    return promise;
  }

  /** Add a node to the candidates if new, not us, and near enough to matter. */
  #offer(id: Uint8Array, endpoint: Endpoint): void {
    if (id.length !== ID_LENGTH || endpoint.port === 0 || bytesEqual(id, this.#o.self) || this.#o.isOwnId?.(id)) return;
    const idKey = bytesKey(id);
    const address = addressKey(endpoint);
    if (this.#seenIds.has(idKey) || this.#seenAddresses.has(address)) return;
    const list = this.#candidates;
    const target = this.#o.target;
    if (list.length >= this.#maxCandidates && compareDistance(target, id, list[list.length - 1]!.id!) >= 0) return;
    this.#seenIds.add(idKey);
    this.#seenAddresses.add(address);
    // Binary search for the insertion point.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareDistance(target, list[mid]!.id!, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, { id, endpoint, state: PENDING });
    // Over the cap: drop the farthest one not in flight (its answer would be ignored otherwise).
    if (list.length > this.#maxCandidates) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i]!.state !== IN_FLIGHT) {
          list.splice(i, 1);
          break;
        }
      }
    }
  }

  /** Ask the nearest pending candidates until alpha are in flight; finish when nothing is left to wait for. */
  #step(): void {
    if (this.#done) return;
    const { k, alpha } = this.#o;
    const maxQueries = this.#o.maxQueries ?? MAX_LOOKUP_QUERIES;
    let answered = 0;
    for (const candidate of this.#candidates) {
      if (this.#inFlight >= alpha || this.#queried >= maxQueries) break;
      if (candidate.state === ANSWERED) {
        if (++answered >= k) break;
      } else if (candidate.state === PENDING) {
        this.#send(candidate);
      }
    }
    if (this.#inFlight === 0) this.#finish();
  }

  /** Is `candidate` among the k nearest candidates that have not failed? */
  #isNear(candidate: Candidate): boolean {
    let rank = 0;
    for (const other of this.#candidates) {
      if (other === candidate) return true;
      if (other.state !== FAILED && ++rank >= this.#o.k) return false;
    }
    return false;
  }

  #send(candidate: Candidate): void {
    candidate.attempts = (candidate.attempts ?? 0) + 1;
    candidate.state = IN_FLIGHT;
    this.#inFlight++;
    this.#queried++;
    const { method, args } = this.#strategy;
    this.#o.query(candidate.endpoint, method, args, candidate.id).then(
      (outcome) => this.#settle(candidate, outcome),
      () => this.#settle(candidate, { kind: 'invalid', reason: 'query failed' }),
    );
  }

  #settle(candidate: Candidate, outcome: QueryOutcome): void {
    this.#inFlight--;
    if (this.#done) return;
    if (outcome.kind === 'closed') {
      this.#finish();
      return;
    }
    if (outcome.kind === 'timeout' && (candidate.attempts ?? 1) <= (this.#o.retries ?? 1) && candidate.id && this.#isNear(candidate)) {
      candidate.state = PENDING;
      this.#step();
      return;
    }
    const response = outcome.kind === 'response' ? outcome.response : undefined;
    const id = response?.r.id;
    // An answer from someone other than the node we meant counts as a failure of that node.
    if (!response || !id || id.length !== ID_LENGTH || (candidate.id && !bytesEqual(candidate.id, id))) {
      candidate.state = FAILED;
      this.#failed++;
      this.#step();
      return;
    }
    const accepted = this.#o.accept?.(candidate, response) ?? true;
    candidate.state = accepted ? ANSWERED : FAILED;
    if (accepted) this.#answered++;
    else this.#failed++;
    if (!candidate.id) {
      // A seed address: now we know its id; it joins the candidates as answered.
      candidate.id = id;
      this.#adopt(candidate);
    }
    const nodes = this.#o.family === 4 ? response.r.nodes : response.r.nodes6;
    if (nodes) this.#offerCompact(nodes);
    if (this.#strategy.onResponse?.(candidate, response) === 'stop') {
      this.#stopped = true;
      this.#finish();
      return;
    }
    this.#step();
  }

  /** Offer every entry of a compact node info string (no per-entry copies unless kept). */
  #offerCompact(nodes: Uint8Array): void {
    const entry = COMPACT_NODE_LENGTH[this.#o.family];
    for (let offset = 0; offset + entry <= nodes.length; offset += entry) {
      const endpoint = decodeCompactAddress(nodes, offset + ID_LENGTH, entry - ID_LENGTH);
      if (endpoint) this.#offer(nodes.slice(offset, offset + ID_LENGTH), endpoint);
    }
  }

  /** Insert an answered seed into the sorted candidates (if its id is new and not ours). */
  #adopt(candidate: Candidate): void {
    const id = candidate.id!;
    const idKey = bytesKey(id);
    if (this.#seenIds.has(idKey) || bytesEqual(id, this.#o.self) || this.#o.isOwnId?.(id)) return;
    this.#seenIds.add(idKey);
    const list = this.#candidates;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareDistance(this.#o.target, list[mid]!.id!, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, candidate);
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#o.signal?.removeEventListener('abort', this.#onAbort);
    const closest: Candidate[] = [];
    for (const candidate of this.#candidates) {
      if (candidate.state !== ANSWERED) continue;
      closest.push(candidate);
      if (closest.length >= this.#o.k) break;
    }
    this.#resolve({
      closest,
      queried: this.#queried,
      answered: this.#answered,
      failed: this.#failed,
      aborted: this.#aborted,
      stopped: this.#stopped,
      candidates: this.#candidates,
    });
  }
}

function addressKey(endpoint: Endpoint): string {
  return `${endpoint.host}|${endpoint.port}`;
}
