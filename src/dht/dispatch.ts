/**
 * Incoming queries: one dispatch table keyed by method, with an explicit default.
 *
 *   `id` and the method's declared shape (203) → hooks → routing upkeep →
 *   built-in handler, or the default: a query naming a 20-byte `target` /
 *   `info_hash` is answered like find_node, anything else gets 204.
 *
 * The per-IP rate limit runs before this, in the rpc layer.
 *
 * With no hooks registered the path is: counter, Map lookup, shape check,
 * handler — no per-message closures or hex.
 */
import type { KrpcQuery } from '../ground/messages.ts';
import type { Endpoint } from '../ground/address.ts';
import { checkShape } from './query-shapes.ts';
import type { HandlerContext, MethodSpec } from './handlers.ts';
import { answerLikeFindNode, builtinHandlers } from './handlers.ts';
import type { Hooks } from './hooks.ts';
import type { RoutingUpkeep } from './routing.ts';
import type { NodeCounters } from './stats.ts';
import { OTHER_METHOD } from './stats.ts';

export interface DispatchDeps extends HandlerContext {
  hooks: Hooks;
  routing: RoutingUpkeep;
  counters: NodeCounters;
  /** Observe-all listener ('query' event), or undefined when nobody listens. */
  observe: () => ((query: KrpcQuery, from: Endpoint) => void) | undefined;
  onWarning: (error: Error) => void;
  /** More built-in methods (the node's BEP 44 / 51 answers, extension-methods.ts). */
  extensions?: ReadonlyMap<string, MethodSpec>;
}

export class QueryDispatcher {
  readonly #deps: DispatchDeps;
  readonly #methods: Map<string, MethodSpec>;

  constructor(deps: DispatchDeps) {
    this.#deps = deps;
    this.#methods = builtinHandlers(deps);
    for (const [method, spec] of deps.extensions ?? []) if (!this.#methods.has(method)) this.#methods.set(method, spec);
  }

  /** Does a built-in handler answer `method`? */
  handles(method: string): boolean {
    return this.#methods.has(method);
  }

  handle(query: KrpcQuery, from: Endpoint): void {
    const deps = this.#deps;
    const method = query.q;
    const spec = this.#methods.get(method);
    const hooks = deps.hooks.queryHooks(method);
    deps.counters.queriesIn.inc(spec || hooks ? method : OTHER_METHOD);
    const id = query.a.id;
    // BEP 5: every query carries the sender's 20-byte id.
    if (id === undefined || id.length !== 20) {
      deps.rpc.error(query.t, 203, id === undefined ? "missing argument 'id'" : `argument 'id' must be 20 bytes, got ${id.length}`, from);
      return;
    }
    if (spec) {
      const fault = checkShape(query.a, spec.shape);
      if (fault !== undefined) {
        deps.rpc.error(query.t, 203, fault, from);
        return;
      }
    }
    const observer = deps.observe();
    if (observer) observer(query, from);
    if (hooks && this.#runHooks(hooks, query, from, id)) return;
    // BEP 43: a read-only node answers no queries, so it never enters our table.
    if (query.ro !== 1) deps.routing.onQuery(id, from);
    if (spec) spec.handle(query, from);
    else if (hooks || !answerLikeFindNode(deps, query, from)) deps.rpc.error(query.t, 204, 'method unknown', from);
  }

  /** True when a hook decided (answered, errored or dropped). */
  #runHooks(hooks: Parameters<Hooks['runQueryHooks']>[0], query: KrpcQuery, from: Endpoint, id: Uint8Array): boolean {
    const deps = this.#deps;
    let result;
    try {
      result = deps.hooks.runQueryHooks(hooks, query, from);
    } catch (error) {
      deps.onWarning(new Error(`query hook for '${query.q}' threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      deps.rpc.error(query.t, 202, 'server error', from);
      return true;
    }
    if (!result) return false;
    if ('drop' in result) {
      deps.counters.drops.inc('hook');
      return true;
    }
    if (query.ro !== 1) deps.routing.onQuery(id, from);
    if ('error' in result) {
      deps.rpc.error(query.t, result.error[0], result.error[1], from);
      return true;
    }
    try {
      deps.rpc.respond(query.t, result.response.id ? result.response : { ...result.response, id: deps.self.id }, from, result.extra);
    } catch (error) {
      // A hook's answer the encoder refuses (bad extra keys): our fault, not the sender's.
      deps.onWarning(new Error(`query hook for '${query.q}' gave an answer that cannot be encoded`, { cause: error }));
      deps.rpc.error(query.t, 202, 'server error', from);
    }
    return true;
  }
}
