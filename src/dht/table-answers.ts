/**
 * Bytes in, bytes out (issue #13 item 5): ping, find_node and get_peers are
 * answered from the routing table (and, for get_peers, the peers stored for
 * that infohash, packed), so the core scans the datagram and writes the answer
 * (core/answer-types.ts) with no KRPC message object, no dispatch and no
 * answer object in between.
 *
 * The fast way is taken only where it answers exactly as the dispatcher would
 * (dispatch.ts, handlers.ts): a plain query of one of these methods (the core
 * says so), no embedder hook (query or answer) for the method and no 'query' listener (those
 * see the message). Around the answer it
 * does what the dispatcher does: the method's counter, routing upkeep (unless
 * `ro=1`), the id we answer as (crawler mode: the nearest / the one the asker
 * knows), the token (none at the BEP 33 announce cap), the stored peers (the
 * same random subset the dispatcher's `get` draws), and the replies' send.
 * Anything else goes to the dispatcher with the message of the same scan.
 */
import type { Core } from '../core/types.ts';
import type { Endpoint } from '../ground/address.ts';
import type { Clock } from '../ground/clock.ts';
import { TABLE_METHOD_NAMES, TableMethod, type TableAnswerParts } from '../core/answer-types.ts';
import { CLIENT_VERSION } from './constants.ts';
import type { Hooks } from './hooks.ts';
import { maxValuesFor, type MemoryPeerStore } from './peer-store.ts';
import type { RoutingUpkeep } from './routing.ts';
import type { Replies } from './replies.ts';
import type { NodeSelf } from './self.ts';
import { answerId, idFor, idNear } from './self.ts';
import type { NodeCounters } from './stats.ts';
import type { TokenManager } from './tokens.ts';
import type { ScrapeResponder } from './scrape/responder.ts';

export interface TableAnswerDeps {
  core: Core;
  /** Our id and table of this socket's family, read per query (BEP 42 may replace both). */
  self: NodeSelf;
  hooks: Hooks;
  /** True while someone listens to the 'query' event. */
  observed: () => boolean;
  counters: NodeCounters;
  routing: RoutingUpkeep;
  tokens: TokenManager;
  /** Read as list items (peerItems), drawn the way the dispatcher's `get` draws them. */
  peers: MemoryPeerStore;
  scrape?: ScrapeResponder | undefined;
  replies: Replies;
  clock: Clock;
  k: number;
}

export class TableAnswers {
  readonly #deps: TableAnswerDeps;
  #method: TableMethod = TableMethod.None;
  /** Refilled for every answer (the core writes it out synchronously and keeps nothing): no object per answer. */
  readonly #parts: TableAnswerParts = { id: new Uint8Array(0), ip: undefined, token: undefined, version: CLIENT_VERSION, valueItems: undefined };

  readonly #sender = new Uint8Array(20);
  readonly #target = new Uint8Array(20);
  /** queriesIn's slot of each TableMethod (index 0 unused): counted without a dictionary lookup. */
  readonly #counted: number[];

  constructor(deps: TableAnswerDeps) {
    this.#deps = deps;
    this.#counted = TABLE_METHOD_NAMES.map((name) => (name === '' ? -1 : deps.counters.queriesIn.slot(name)));
  }

  /** Scan `datagram`; true when `answer` may answer it. Otherwise `message()` is the scanned message. */
  accepts(datagram: Uint8Array): boolean {
    const deps = this.#deps;
    const method = (this.#method = deps.core.answers.scan(datagram));
    if (method === TableMethod.None) return false;
    if (deps.hooks.wraps(TABLE_METHOD_NAMES[method])) return false;
    if (deps.observed()) return false;
    return true;
  }

  /** The message of the datagram `accepts` declined (no second scan). */
  message(): ReturnType<Core['decodeKrpc']> {
    return this.#deps.core.answers.message();
  }

  /** Answer the query `accepts` took, from `from`, at `now` (one clock reading for the whole answer). */
  answer(from: Endpoint, now: number = this.#deps.clock.now()): void {
    const deps = this.#deps;
    const answers = deps.core.answers;
    const method = this.#method;
    deps.counters.queriesIn.incSlot(this.#counted[method]!);
    // BEP 43: a read-only node answers no queries, so it never enters our table.
    // The asker's id and the target as copies in our scratch (no view per answer): read here, kept by nobody.
    const sender = this.#sender;
    answers.senderIdInto(sender);
    if (!answers.readOnly) deps.routing.onQuery(sender, from, now);
    const self = deps.self;
    let id: Uint8Array;
    let token: Uint8Array | undefined;
    let values: Uint8Array | undefined;
    // One id per node (crawler mode, oneIdPerNode): the asker's own id picks ours.
    if (method === TableMethod.Ping) id = self.perNode === true ? answerId(self, from, sender, undefined) : idFor(self, from);
    else {
      const target = this.#target;
      answers.targetInto(target);
      id = self.perNode === true ? answerId(self, from, answers.senderId(), target) : idNear(self, target);
      if (method === TableMethod.GetPeers) {
        // A view into the token manager's scratch: the writer copies it.
        token = deps.tokens.issueFor(from.host, now);
        if (!token) {
          const query = answers.message();
          if (query.y === 'q') deps.replies.error(query.t, 202, 'cannot read your address', from);
          return;
        }
        // No token at the BEP 33 cap: nobody can announce more for this infohash.
        if (deps.scrape && !deps.scrape.acceptsAnnounces(target, now)) token = undefined;
        // Peers of this infohash, as list items (a view of the store's scratch: written before the store runs again).
        if (deps.peers.infohashCount > 0) values = deps.peers.peerItems(target, maxValuesFor(from.family === 4 ? 6 : 18), now);
      }
    }
    const parts = this.#parts;
    parts.id = id;
    parts.ip = deps.replies.compactOf(from);
    parts.token = token;
    parts.valueItems = values;
    const replies = deps.replies;
    if (!replies.sendsScratch) replies.sendAnswer(answers.answer(self.table, deps.k, parts), from, now);
    // No fresh array per answer: the transport copies it out (or keeps it, and the core writes on elsewhere).
    else if (!replies.sendScratchAnswer(answers.answerScratch(self.table, deps.k, parts), from, now)) answers.kept();
  }
}
