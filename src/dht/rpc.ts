/**
 * The receive path of one family's socket.
 *
 * In: transport → size check ('oversize') → blocked source ('blocked') →
 * decode (the table-answers scan, or core.decodeKrpc) → a query through the
 * per-IP budget ('rate') to the dispatcher (dispatch.ts → handler → replies.ts
 * encode → send) or, for ping / find_node / get_peers the table answers,
 * answered inside the core; a response or error to its transaction
 * (transactions.ts), then the routing upkeep, the response hooks and the
 * BEP 42 vote. Nothing throws out of `receive`: a datagram that fails to decode
 * gets a 203 when a transaction id was recovered (and the source is within its
 * budget), otherwise it is a counted drop.
 *
 * Our queries out do not pass here: they leave through the family's
 * transactions (transactions.ts), which this path settles.
 *
 * Every part is handed over at construction: nothing is wired in afterwards.
 */
import type { Core } from '../core/types.ts';
import type { Clock } from '../ground/clock.ts';
import type { Endpoint } from '../ground/address.ts';
import type { KrpcDecodeFailure, KrpcMessage, KrpcResponse } from '../ground/messages.ts';
import { WANT_BOTH_BELOW } from './constants.ts';
import type { QueryDispatcher } from './dispatch.ts';
import type { Hooks } from './hooks.ts';
import type { SourceLimiter } from './rate-limit.ts';
import type { Replies } from './replies.ts';
import type { RoutingUpkeep } from './routing.ts';
import type { NodeCounters } from './stats.ts';
import { errorCodeKey } from './stats.ts';
import type { TableAnswers } from './table-answers.ts';
import type { Transactions } from './transactions.ts';

export type { QueryOptions, QueryOutcome } from './transactions.ts';
export { detachResponse } from './transactions.ts';

/** Each family's routing upkeep (BEP 32: a response may list nodes of the other family). */
export interface FamilyRoutings {
  4: RoutingUpkeep | undefined;
  6: RoutingUpkeep | undefined;
}

/** Where responders' reports of our address go (BEP 42 `ip`): the node's identity. */
export interface AddressReports {
  report(family: 4 | 6, ip: Uint8Array, from: Endpoint): void;
}

export interface RpcDeps {
  core: Core;
  clock: Clock;
  counters: NodeCounters;
  family: 4 | 6;
  /** Datagrams longer than this are dropped unread. */
  maxDatagramBytes: number;
  /** Per-source-IP budget for what we would answer (queries, undecodable datagrams); none: unlimited. */
  limiter: SourceLimiter | undefined;
  transactions: Transactions;
  replies: Replies;
  /** Where queries go; none for a read-only node (BEP 43: it answers nothing). */
  dispatcher: QueryDispatcher | undefined;
  /**
   * Bytes in, bytes out (table-answers.ts): a query it accepts is answered
   * without decodeKrpc and the dispatcher; one it declines comes back as the
   * message of the same scan. None: every datagram is decoded.
   */
  tableAnswers: Pick<TableAnswers, 'accepts' | 'message' | 'answer'> | undefined;
  /** This family's table upkeep: nodes that answer, and nodes that do not. */
  routing: RoutingUpkeep;
  /** Both families' upkeep, for the other family's nodes a response lists (asked for with `want`). */
  routings: FamilyRoutings;
  /** The embedder's response hooks. */
  hooks: Hooks;
  addressReports: AddressReports | undefined;
  onWarning: (error: Error) => void;
}

export class Rpc {
  readonly #deps: RpcDeps;

  constructor(deps: RpcDeps) {
    this.#deps = deps;
  }

  /** The datagram handler: never throws. */
  receive(data: Uint8Array, from: Endpoint): void {
    const deps = this.#deps;
    try {
      deps.counters.datagramsIn++;
      deps.counters.bytesIn += data.length;
      if (data.length > deps.maxDatagramBytes) {
        deps.counters.drops.inc('oversize');
        return;
      }
      const limiter = deps.limiter;
      const fast = deps.tableAnswers;
      // One clock read per datagram: the block check, the budget take and a table answer (routing, peers, destination budget) share it.
      const now = limiter || fast ? deps.clock.now() : 0;
      if (limiter && limiter.blocked(from.host, now)) {
        deps.counters.drops.inc('blocked');
        return;
      }
      let message: KrpcMessage | KrpcDecodeFailure;
      if (fast === undefined) message = deps.core.decodeKrpc(data);
      else if (!fast.accepts(data)) message = fast.message();
      else {
        if (limiter && !limiter.take(from.host, now)) {
          deps.counters.drops.inc('rate');
          return;
        }
        fast.answer(from, now);
        return;
      }
      switch (message.y) {
        case 'q':
          if (limiter && !limiter.take(from.host, now)) {
            deps.counters.drops.inc('rate');
            return;
          }
          if (deps.dispatcher) deps.dispatcher.handle(message, from);
          else deps.counters.drops.inc('read-only');
          return;
        case 'r':
          this.#onResponse(message, from);
          return;
        case 'e':
          deps.counters.errorsIn.inc(errorCodeKey(message.e.code));
          deps.transactions.fail(message, from);
          return;
        default:
          this.#onInvalid(message, from);
      }
    } catch (error) {
      deps.counters.drops.inc('internal');
      deps.onWarning(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #onResponse(message: KrpcResponse, from: Endpoint): void {
    const deps = this.#deps;
    // Settled first: a throwing observer must not leave the query hanging until its timeout.
    const answered = deps.transactions.answer(message, from);
    if (!answered) return;
    const { response, query } = answered;
    deps.routing.onResponse(response.r.id, from);
    // BEP 32: nodes of the other family (asked for with `want` while its table is short) join it if they answer.
    const other = deps.family === 4 ? 6 : 4;
    const leaked = other === 6 ? response.r.nodes6 : response.r.nodes;
    if (leaked !== undefined) deps.routings[other]?.introduce(leaked, other, WANT_BOTH_BELOW);
    const responseHooks = deps.hooks.responseHooks(query.q);
    if (responseHooks) {
      for (const hook of responseHooks) {
        try {
          hook(response, from, query);
        } catch (error) {
          deps.onWarning(new Error(`response hook for '${query.q}' threw`, { cause: error }));
        }
      }
    }
    if (response.ip && deps.addressReports) deps.addressReports.report(deps.family, response.ip, from);
  }

  #onInvalid(failure: KrpcDecodeFailure, from: Endpoint): void {
    const deps = this.#deps;
    deps.counters.drops.inc(`decode:${failure.code}`);
    const what = `${failure.code}${failure.field ? ` in '${failure.field}'` : ''} at byte ${failure.offset}`;
    // A garbled answer to our query: failed now rather than at the timeout.
    if (deps.transactions.garbled(failure, from, what)) return;
    if (!failure.t) return;
    // An answer costs us a datagram: garbage spends the sender's query budget too.
    if (deps.limiter && !deps.limiter.take(from.host, deps.clock.now())) {
      deps.counters.drops.inc('rate');
      return;
    }
    deps.replies.error(failure.t, 203, `invalid message: ${what}`, from);
  }
}
