/**
 * Incoming queries: one dispatch table keyed by method, with an explicit default.
 *
 *   `id`, the method's declared shape and flags (203) → the embedder's query hooks
 *   (observe or take over) → routing upkeep → the method's entry (methods.ts:
 *   BEP 5's handlers, the node's BEP 44 / 51 answerers), or the default: a
 *   query naming a 20-byte `target` / `info_hash` is answered like find_node,
 *   anything else gets 204 → the embedder's answer hooks (see and amend the
 *   answer, hooked-answers.ts) → the replies (encode, send).
 *
 * The per-IP rate limit runs before this, in the rpc layer.
 *
 * With no hooks registered the path is: counter, Map lookup, shape check,
 * handler — no per-message closures or hex.
 */
import type { KrpcQuery } from '../ground/messages.ts';
import type { Endpoint } from '../ground/address.ts';
import { NO_FLAGS, checkShape, readFlags } from './query-shapes.ts';
import type { BencodeValue } from '../ground/bencode.ts';
import type { HandlerContext } from './handlers.ts';
import { answerLikeFindNode, builtinHandlers } from './handlers.ts';
import type { Hooks, QueryHook, QueryHookResult } from './hooks.ts';
import type { AnswerSink, HandlerEntry, MethodEntry, SharedEntries } from './methods.ts';
import { HookedAnswers } from './hooked-answers.ts';
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
  /** Entries every family's table shares (the node's BEP 44 / 51 answerers). */
  shared?: SharedEntries;
  /** Decodes a query's `a` when its bytes name a declared flag (BEP 33). */
  decode: (bytes: Uint8Array) => BencodeValue;
}

export class QueryDispatcher {
  readonly #deps: DispatchDeps;
  readonly #methods: Map<string, HandlerEntry>;
  readonly #shared: SharedEntries | undefined;

  constructor(deps: DispatchDeps) {
    this.#deps = deps;
    this.#methods = builtinHandlers(deps);
    this.#shared = deps.shared;
  }

  handle(query: KrpcQuery, from: Endpoint): void {
    const deps = this.#deps;
    const method = query.q;
    const entry = this.#entry(method);
    const hooks = deps.hooks.queryHooks(method);
    const after = deps.hooks.answerHooks(method);
    deps.counters.queriesIn.inc(entry || hooks || after ? method : OTHER_METHOD);
    const id = query.a.id;
    // BEP 5: every query carries the sender's 20-byte id.
    if (id === undefined || id.length !== 20) {
      deps.replies.error(query.t, 203, id === undefined ? "missing argument 'id'" : `argument 'id' must be 20 bytes, got ${id.length}`, from);
      return;
    }
    let flags = NO_FLAGS;
    if (entry) {
      const fault = checkShape(query.a, entry.shape);
      if (fault !== undefined) {
        deps.replies.error(query.t, 203, fault, from);
        return;
      }
      if ('flags' in entry && entry.flags) {
        const read = readFlags(query, entry.flags, deps.decode);
        if (typeof read === 'string') {
          deps.replies.error(query.t, 203, read, from);
          return;
        }
        flags = read;
      }
    }
    const observer = deps.observe();
    if (observer) observer(query, from);
    // From here on the answer, whoever makes it, passes the answer hooks of the method (if any).
    const out = after ? new HookedAnswers(deps.replies, after, query, deps.self.id, deps.counters, deps.onWarning) : deps.replies;
    if (hooks && this.#runHooks(hooks, query, from, id, out)) return;
    // BEP 43: a read-only node answers no queries, so it never enters our table.
    if (query.ro !== 1) deps.routing.onQuery(id, from);
    if (entry === undefined) {
      if (hooks || !answerLikeFindNode(deps, query, from, out)) out.error(query.t, 204, 'method unknown', from);
    } else if ('handle' in entry) entry.handle(query, from, out, flags);
    else this.#answer(entry.answer, entry.dropReason, query, from, out);
  }

  #entry(method: string): MethodEntry | undefined {
    return this.#methods.get(method) ?? this.#shared?.get(method);
  }

  /** An answerer's entry: what it decides is sent (nothing decided: 204). */
  #answer(answer: QueryHook, dropReason: string, query: KrpcQuery, from: Endpoint, out: AnswerSink): void {
    let result: QueryHookResult;
    try {
      result = answer(query, from);
    } catch (error) {
      this.#deps.onWarning(new Error(`the '${query.q}' handler threw`, { cause: error }));
      out.error(query.t, 202, 'server error', from);
      return;
    }
    if (!result) out.error(query.t, 204, 'method unknown', from);
    else this.#send(result, dropReason, query, from, out);
  }

  /** True when a hook decided (answered, errored or dropped). */
  #runHooks(hooks: readonly QueryHook[], query: KrpcQuery, from: Endpoint, id: Uint8Array, out: AnswerSink): boolean {
    const deps = this.#deps;
    let result;
    try {
      result = deps.hooks.runQueryHooks(hooks, query, from);
    } catch (error) {
      deps.onWarning(new Error(`query hook for '${query.q}' threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      out.error(query.t, 202, 'server error', from);
      return true;
    }
    if (!result) return false;
    if (!('drop' in result) && query.ro !== 1) deps.routing.onQuery(id, from);
    this.#send(result, 'hook', query, from, out);
    return true;
  }

  /** Send a decision: a response (`id` defaults to ours), a KRPC error, or nothing (counted as `dropReason`). */
  #send(result: Exclude<QueryHookResult, undefined | void>, dropReason: string, query: KrpcQuery, from: Endpoint, out: AnswerSink): void {
    const deps = this.#deps;
    if ('drop' in result) {
      deps.counters.drops.inc(dropReason);
      return;
    }
    if ('error' in result) {
      out.error(query.t, result.error[0], result.error[1], from);
      return;
    }
    try {
      out.respond(query.t, result.response.id ? result.response : { ...result.response, id: deps.self.id }, from, result.extra);
    } catch (error) {
      // An answer the encoder refuses (bad extra keys): our fault, not the sender's.
      deps.onWarning(new Error(`query hook for '${query.q}' gave an answer that cannot be encoded`, { cause: error }));
      deps.replies.error(query.t, 202, 'server error', from);
    }
  }
}
