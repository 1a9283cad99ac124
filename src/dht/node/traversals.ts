/**
 * Traversal runners: every lookup of the node (its own, the extensions', the
 * embedder's `lookup()`) runs here, on one family's DHT, seeded from that
 * family's routing table or the bootstrap addresses when it is empty. Each is
 * counted by method and outcome, timed for the 'lookup' event, and aborted by
 * close(). BEP 32: a dual-stack node asks for both families (`want`) while the
 * other family's table is short.
 */
import { askId } from '../self.ts';
import type { Endpoint } from '../../ground/address.ts';
import type { QueryArgs } from '../../ground/messages.ts';
import { decodeCompactAddress } from '../../krpc/compact.ts';
import type { Bep42Policy } from '../bep42/trust.ts';
import { WANT_BOTH_BELOW } from '../constants.ts';
import type { Emitter } from '../emitter.ts';
import type { DHTEvents } from '../events.ts';
import type { ResolvedOptions } from '../options.ts';
import { anySignal } from '../signals.ts';
import type { FamilyBase } from '../stack.ts';
import { stackOf } from '../stack.ts';
import type { NodeCounters } from '../stats.ts';
import { LookupLog } from '../lookup-log.ts';
import { traverse } from '../traversal.ts';
import type { LookupRunner } from '../lookups/runner.ts';
import type { TraversalOptions, TraversalResult, TraversalStrategy } from '../traversal.ts';

/** One traversal toward `target` on one family's DHT. */
export type Runner = LookupRunner;

export interface TraversalDeps {
  options: ResolvedOptions;
  counters: NodeCounters;
  emitter: Emitter<DHTEvents>;
  /** Our primary id (read per traversal: BEP 42 may change it). */
  self: { readonly id: Uint8Array };
  /** Every family's base (socket, self, transactions), the primary first. */
  families: readonly FamilyBase[];
  bep42: Bep42Policy;
  /** Where a family's traversal starts when its table is empty. */
  bootstrap: { addresses(family: 4 | 6): Endpoint[] };
}

const WANT_BOTH: string[] = ['n4', 'n6'];

export class Traversals {
  readonly #deps: TraversalDeps;
  readonly #log: LookupLog;
  /** Traversals running, each aborted by close(). */
  readonly #running = new Set<AbortController>();
  #closed = false;

  constructor(deps: TraversalDeps) {
    this.#deps = deps;
    this.#log = new LookupLog(deps.options.logger);
  }

  /** A runner on `family`'s DHT, seeded from its routing table (or the bootstrap addresses when it is empty). */
  runOn(family: 4 | 6): Runner {
    return (target, strategy, signal) => {
      const stack = stackOf(this.#deps.families, family)!;
      const seeds = [];
      for (const node of stack.self.table.closestNodes(target, this.#deps.options.k * 2)) {
        const endpoint = decodeCompactAddress(node.address);
        if (endpoint) seeds.push({ id: node.id, endpoint });
      }
      const addresses = seeds.length === 0 ? this.#deps.bootstrap.addresses(family) : [];
      return this.seeded(stack, target, seeds, addresses, strategy, signal);
    };
  }

  /** One traversal toward `target` on the primary family's DHT (extensions, `lookup()`). */
  readonly primary: Runner = (target, strategy, signal) => this.runOn(this.#deps.families[0]!.family)(target, strategy, signal);

  /** Every family's runner: the dual-stack lookups run once per DHT, in parallel (BEP 32). */
  all(): Runner[] {
    return this.#deps.families.map((stack) => this.runOn(stack.family));
  }

  /** A traversal from the given seeds and addresses (bootstrap: saved nodes and routers). */
  seeded(
    stack: FamilyBase,
    target: Uint8Array,
    seeds: readonly { id: Uint8Array; endpoint: Endpoint }[],
    addresses: readonly Endpoint[],
    strategy: TraversalStrategy,
    signal?: AbortSignal,
  ): Promise<TraversalResult> {
    // One controller per traversal, aborted by close(): no listener piles up on a node-wide signal (a crawler runs many lookups at once).
    const lookup = new AbortController();
    if (this.#closed) lookup.abort();
    this.#running.add(lookup);
    return this.#traverse(this.#options(stack, target, seeds, addresses, anySignal([signal, lookup.signal])), strategy).finally(() => this.#running.delete(lookup));
  }

  /** Abort every traversal, and those started from now on. */
  close(): void {
    this.#closed = true;
    for (const lookup of this.#running) lookup.abort();
    this.#running.clear();
  }

  /** Counted by method and outcome, timed for the 'lookup' event, logged at debug with a lookup id. */
  async #traverse(options: TraversalOptions, strategy: TraversalStrategy): Promise<TraversalResult> {
    const { counters, emitter, options: o } = this.#deps;
    const lookups = counters.lookups;
    const method = strategy.method;
    const startedAt = o.clock.now();
    lookups.started.inc(method);
    lookups.inFlight++;
    let result: TraversalResult | undefined;
    const logged = this.#log.wrap(options, strategy);
    try {
      result = await traverse(logged.options, strategy);
      logged.end?.(result);
      return result;
    } finally {
      lookups.inFlight--;
      const outcome = result === undefined || result.aborted ? 'aborted' : result.answered > 0 ? 'ok' : 'failed';
      lookups[outcome].inc(method);
      if (emitter.has('lookup')) {
        const durationMs = o.clock.now() - startedAt;
        emitter.emit('lookup', { method, family: options.family, outcome, durationMs, queried: result?.queried ?? 0, answered: result?.answered ?? 0 });
      }
    }
  }

  #options(
    stack: FamilyBase,
    target: Uint8Array,
    seeds: readonly { id: Uint8Array; endpoint: Endpoint }[],
    addresses: readonly Endpoint[],
    signal: AbortSignal | undefined,
  ): TraversalOptions {
    const o = this.#deps.options;
    const ids = stack.self.ids;
    const options: TraversalOptions = {
      target,
      self: this.#deps.self.id,
      ...(ids ? { isOwnId: (id: Uint8Array) => ids.has(id) } : {}),
      family: stack.family,
      k: o.k,
      alpha: o.alpha,
      seeds,
      addresses,
      query: (to, method, args, nodeId) => {
        const sent = this.#lookupArgs(stack, target, method, args, to, nodeId);
        if (sent.id !== undefined) stack.self.askedAs?.record(to, sent.id);
        return stack.transactions.query(to, method, sent, nodeId ? { nodeId } : {});
      },
      local: stack.local,
      maxQueries: o.maxLookupQueries,
    };
    if (signal) options.signal = signal;
    // BEP 42 "Enforcement": answers from nodes whose id does not match their IP neither end a lookup nor get our announces.
    const bep42 = this.#deps.bep42;
    if (o.bep42 === 'enforce') options.accept = (candidate, response) => bep42.trusted(response.r.id!, candidate.endpoint.host);
    return options;
  }

  /**
   * BEP 32: a dual-stack node asks find_node / get_peers answers for both
   * families while the other family's table is short (bootstrapping it from
   * this DHT), and only for the socket's own family after that.
   */
  #lookupArgs(stack: FamilyBase, target: Uint8Array, method: string, args: QueryArgs, to: Endpoint, nodeId: Uint8Array | undefined): QueryArgs {
    // Crawler mode: ask as our id nearest the target, so the nodes there learn (and route to) that one —
    // or, one id per node, the one it met before, else our id nearest its own.
    const ids = stack.self.ids;
    if (ids !== undefined && args.id === undefined) args = { ...args, id: askId(stack.self, ids, to, nodeId, target) };
    const families = this.#deps.families;
    if (families.length < 2 || args.want !== undefined || (method !== 'find_node' && method !== 'get_peers')) return args;
    const other = families[0] === stack ? families[1]! : families[0]!;
    return other.self.table.size < WANT_BOTH_BELOW ? { ...args, want: WANT_BOTH } : args;
  }
}
