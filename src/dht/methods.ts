/**
 * The entries of the dispatch table (dispatch.ts). Two kinds, one table:
 *
 * - a handler (`handle`): answers through the replies itself — BEP 5's
 *   (handlers.ts), which reuse one answer object per method, with BEP 33's
 *   part of get_peers / announce_peer declared on them as flags;
 * - an answerer (`answer`): decides, as a query hook does, and the dispatcher
 *   sends what it decided — the node's BEP 44 get/put and BEP 51
 *   sample_infohashes, which the extensions also run as plain hooks on a node
 *   they are installed on by hand.
 *
 * Both have a declared argument shape, checked first (203), and both run
 * under the embedder's hooks for their method: query hooks before (observe or
 * take over), answer hooks after (see and amend what is sent). A handler
 * answers through the sink it is handed: the replies, or the answer hooks
 * in front of them when the method has some.
 */
import type { Endpoint } from '../ground/address.ts';
import type { BencodeDict } from '../ground/bencode.ts';
import type { KrpcQuery, ResponseValues } from '../ground/messages.ts';
import type { QueryHook } from './hooks.ts';
import type { FlagName, QueryFlags, Shape } from './query-shapes.ts';

/** Where an entry's answer goes (replies.ts, or hooked-answers.ts in front of it). */
export interface AnswerSink {
  /** Answer with `r` (+ `extra` keys). The sink encodes synchronously and keeps nothing. */
  respond(t: Uint8Array, r: ResponseValues, to: Endpoint, extra?: BencodeDict): void;
  /** Answer with a KRPC error. */
  error(t: Uint8Array, code: number, text: string, to: Endpoint): void;
}

export interface HandlerEntry {
  shape: Shape;
  /**
   * Flags an extension declares on this method (BEP 33: `scrape` / `noseed`
   * on get_peers, `seed` on announce_peer, present while BEP 33 answers):
   * checked with the shape (203 unless 0 or 1) and handed to `handle` read.
   */
  flags?: readonly FlagName[];
  handle: (query: KrpcQuery, from: Endpoint, out: AnswerSink, flags: QueryFlags) => void;
}

export interface AnswerEntry {
  shape: Shape;
  answer: QueryHook;
  /** Counted in `drops` when it answers nothing (a budget spent). */
  dropReason: string;
}

export type MethodEntry = HandlerEntry | AnswerEntry;

/** Entries added to every family's table, by method (the node's extensions; read per query, so removing one takes effect at once). */
export type SharedEntries = Map<string, AnswerEntry>;
