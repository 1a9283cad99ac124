/**
 * Our outgoing KRPC queries and their transactions.
 *
 * `query()` gives each query a random 2-byte transaction id unique among the
 * outstanding ones, and resolves (never rejects) with the outcome: the
 * response, a KRPC error, a timeout, or 'busy' when `maxOutstanding` queries
 * are already waiting (or the send queue is full). With a pacer, a query over
 * the node's send budget waits in its bounded queue; its timeout starts when it
 * leaves. A response matches by transaction id AND source address, and only
 * once the query was sent. There are no retries (BEP 5: "There is no retry").
 * Sent queries wait for their timeout in lanes, one per timeout length, each
 * with one clock timer for all its queries (timeout-lanes.ts), not a timer each.
 *
 * It sends and times out; the receive path (rpc.ts) hands it what answers.
 */
import type { Core } from '../core/types.ts';
import type { BencodeDict } from '../ground/bencode.ts';
import type { Clock, TimerHandle } from '../ground/clock.ts';
import type { Endpoint } from '../ground/address.ts';
import type { KrpcDecodeFailure, KrpcError, KrpcResponse, OutgoingQuery, QueryArgs, ReceivedValues } from '../ground/messages.ts';
import { ValuesView } from '../ground/messages.ts';
import type { RandomSource } from '../ground/random.ts';
import type { Transport } from '../transport/types.ts';
import { CLIENT_VERSION } from './constants.ts';
import type { DestinationBudget } from './destination-budget.ts';
import { destinationKey } from './destination-budget.ts';
import type { SendPacer } from './pacing.ts';
import type { NodeCounters } from './stats.ts';
import { TimeoutLanes } from './timeout-lanes.ts';

/** What became of a query. */
export type QueryOutcome =
  | { kind: 'response'; response: KrpcResponse; from: Endpoint; rtt: number }
  | { kind: 'error'; code: number; message: string; from: Endpoint }
  | { kind: 'timeout' }
  | { kind: 'busy' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'closed' };

export interface QueryOptions {
  extra?: BencodeDict;
  timeoutMs?: number;
  /** The id we expect to answer: a timeout counts against it in this family's table. */
  nodeId?: Uint8Array;
}

export interface TransactionDeps {
  core: Core;
  transport: Transport;
  clock: Clock;
  random: RandomSource;
  counters: NodeCounters;
  /**
   * Our id, put in every query's `a.id` unless the caller set one (read per query: BEP 42 may
   * change it) — in crawler mode the id the destination already knows us by, if any.
   */
  self: {
    readonly id: Uint8Array;
    readonly askedAs?: { idFor(to: Endpoint): Uint8Array | undefined } | undefined;
    /** This family's routing table, told of a node that did not answer in time (at the second failure in a row it swaps in a cached node). */
    readonly table: { failed(id: Uint8Array): unknown };
  };
  timeoutMs: number;
  maxOutstanding: number;
  /** Send budget for our queries; none: unpaced. */
  pacer: SendPacer | undefined;
  /** What each destination receives from us, queries and answers (destination-budget.ts); none: unlimited. */
  budget?: DestinationBudget | undefined;
  /** BEP 43: mark our queries `ro=1` (we answer none, so nobody should add us to a table). */
  readOnly?: boolean;
  onWarning: (error: Error) => void;
}

/** A query of ours that got its response. */
export interface Answered {
  response: KrpcResponse;
  query: OutgoingQuery;
}

interface Transaction {
  tid: number;
  to: Endpoint;
  query: OutgoingQuery;
  nodeId: Uint8Array | undefined;
  /** Sent (not waiting in the pacer's queue). */
  sent: boolean;
  sentAt: number;
  timeoutMs: number;
  /** While it waits for the destination's budget (the timeout itself is the lanes'). */
  timer: TimerHandle | undefined;
  resolve: (outcome: QueryOutcome) => void;
}

const BUSY: QueryOutcome = { kind: 'busy' };
const CLOSED: QueryOutcome = { kind: 'closed' };
const TIMEOUT: QueryOutcome = { kind: 'timeout' };

export class Transactions {
  readonly #deps: TransactionDeps;
  readonly #pending = new Map<number, Transaction>();
  readonly #tidPool = new Uint16Array(256);
  #tidNext = 256;
  #closed = false;
  readonly #timeouts: TimeoutLanes<Transaction>;

  constructor(deps: TransactionDeps) {
    this.#deps = deps;
    this.#timeouts = new TimeoutLanes<Transaction>(deps.clock, (tx) => this.#pending.get(tx.tid) === tx, (tx) => this.#timeout(tx));
  }

  /** Queries sent or queued, not yet answered (the `maxOutstanding` cap counts both). */
  get outstanding(): number {
    return this.#pending.size;
  }

  /** Queries waiting for send budget. */
  get queued(): number {
    return this.#deps.pacer?.queued ?? 0;
  }

  /**
   * Send a query and wait for its outcome. Never rejects for network reasons;
   * throws TypeError (synchronously) when `args`/`extra` cannot be encoded.
   * With `options.nodeId`, the table hears of a timeout right as the query
   * settles (before whoever awaits it goes on).
   */
  query(to: Endpoint, method: string, args: QueryArgs, options: QueryOptions = {}): Promise<QueryOutcome> {
    if (this.#closed) return Promise.resolve(CLOSED);
    const deps = this.#deps;
    if (this.#pending.size >= deps.maxOutstanding) {
      deps.counters.drops.inc('busy');
      return Promise.resolve(BUSY);
    }
    // Over the destination's budget for longer than we would wait: refused like a full queue.
    const wait = deps.budget?.reserve(destinationKey(to)) ?? 0;
    if (wait < 0) {
      deps.counters.drops.inc('destination-busy');
      return Promise.resolve(BUSY);
    }
    const tid = this.#nextTid();
    // Two stores into a fresh array: building one from an array literal costs several times more.
    const t = new Uint8Array(2);
    t[0] = tid >> 8;
    t[1] = tid & 0xff;
    const query: OutgoingQuery = {
      y: 'q',
      t,
      q: method,
      a: args.id ? args : { ...args, id: deps.self.askedAs?.idFor(to) ?? deps.self.id },
      v: CLIENT_VERSION,
    };
    if (options.extra) query.extra = options.extra;
    if (deps.readOnly) query.ro = 1;
    const bytes = deps.core.encodeKrpc(query);
    return new Promise<QueryOutcome>((resolve) => {
      const tx: Transaction = {
        tid,
        to,
        query,
        nodeId: options.nodeId,
        sent: false,
        sentAt: 0,
        timeoutMs: options.timeoutMs ?? deps.timeoutMs,
        timer: undefined,
        resolve,
      };
      this.#pending.set(tid, tx);
      const send = (): void => this.#send(tx, bytes);
      const pace = (): void => {
        if (!deps.pacer) send();
        else if (!deps.pacer.schedule(send)) {
          this.#pending.delete(tid);
          deps.counters.drops.inc('send-queue-full');
          resolve(BUSY);
        }
      };
      if (wait === 0) pace();
      else {
        // Waiting for the destination's budget: the timer is the transaction's until it leaves (settle cancels it).
        // A budget holding answers reserved nothing: ask it again then, within its longest wait in all.
        const budget = deps.budget!;
        const giveUpAt = deps.clock.now() + budget.maxWaitMs;
        const waitFor = (ms: number): void => {
          tx.timer = deps.clock.setTimer(() => {
            tx.timer = undefined;
            if (this.#pending.get(tid) !== tx) return;
            if (!budget.holdsAnswers) return pace();
            const again = budget.reserve(destinationKey(to));
            if (again === 0) pace();
            else if (again > 0 && deps.clock.now() + again <= giveUpAt) waitFor(again);
            else {
              this.#pending.delete(tid);
              deps.counters.drops.inc('destination-busy');
              resolve(BUSY);
            }
          }, ms);
        };
        waitFor(wait);
      }
    });
  }

  /** A response from `from`: settles its query (a copy that owns its bytes), or undefined when it answers none (counted). */
  answer(message: KrpcResponse, from: Endpoint): Answered | undefined {
    const tx = this.#match(message.t, from);
    const deps = this.#deps;
    if (!tx) {
      deps.counters.drops.inc('unknown-transaction');
      return undefined;
    }
    // The transport may reuse `data` once we return, and the outcome is read later: keep a copy.
    const response = detachResponse(message);
    deps.counters.responsesIn.inc(tx.query.q);
    this.#settle(tx, { kind: 'response', response, from, rtt: deps.clock.now() - tx.sentAt });
    return { response, query: tx.query };
  }

  /** A KRPC error from `from`: fails its query, if it answers one (counted either way). */
  fail(message: KrpcError, from: Endpoint): void {
    const tx = this.#match(message.t, from);
    if (!tx) {
      this.#deps.counters.drops.inc('unknown-transaction');
      return;
    }
    this.#settle(tx, { kind: 'error', code: message.e.code, message: message.e.message, from });
  }

  /** A datagram from `from` that failed to decode: true when it was a garbled answer to our query (failed now rather than at the timeout). */
  garbled(failure: KrpcDecodeFailure, from: Endpoint, reason: string): boolean {
    const tx = this.#match(failure.t, from);
    if (!tx) return false;
    this.#settle(tx, { kind: 'invalid', reason });
    return true;
  }

  /** Fail every outstanding query with 'closed' and refuse new ones. */
  close(): void {
    this.#closed = true;
    this.#deps.pacer?.close();
    for (const tx of [...this.#pending.values()]) this.#settle(tx, CLOSED);
    this.#timeouts.clear();
  }

  /** Put a query on the wire (now, or when the pacer lets it go) and start its timeout. */
  #send(tx: Transaction, bytes: Uint8Array): void {
    if (this.#pending.get(tx.tid) !== tx || tx.sent) return; // settled while queued (closed)
    const deps = this.#deps;
    tx.sent = true;
    tx.sentAt = deps.clock.now();
    this.#timeouts.add(tx, tx.sentAt, tx.timeoutMs);
    deps.counters.queriesOut.inc(tx.query.q);
    deps.counters.datagramsOut++;
    deps.counters.bytesOut += bytes.length;
    try {
      deps.transport.send(bytes, tx.to);
    } catch (error) {
      // The transport contract says send never throws; a broken one costs this query (it times out), not the pacer's timer.
      deps.onWarning(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #nextTid(): number {
    for (;;) {
      if (this.#tidNext >= this.#tidPool.length) {
        this.#deps.random(new Uint8Array(this.#tidPool.buffer));
        this.#tidNext = 0;
      }
      const tid = this.#tidPool[this.#tidNext++]!;
      // The cap (≤ 65536) keeps a free id, so this ends.
      if (!this.#pending.has(tid)) return tid;
    }
  }

  /** The transaction a message with transaction id `t` from `from` answers, if any. */
  #match(t: Uint8Array | undefined, from: Endpoint): Transaction | undefined {
    if (!t || t.length !== 2) return undefined;
    const tx = this.#pending.get((t[0]! << 8) | t[1]!);
    if (!tx || !tx.sent || tx.to.port !== from.port || tx.to.host !== from.host) return undefined;
    return tx;
  }

  #timeout(tx: Transaction): void {
    if (this.#pending.get(tx.tid) !== tx) return;
    this.#deps.counters.timeouts.inc(tx.query.q);
    this.#settle(tx, TIMEOUT);
    if (tx.nodeId === undefined) return;
    try {
      this.#deps.self.table.failed(tx.nodeId);
    } catch (error) {
      this.#deps.onWarning(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #settle(tx: Transaction, outcome: QueryOutcome): void {
    this.#pending.delete(tx.tid);
    if (tx.timer !== undefined) {
      tx.timer.cancel();
      tx.timer = undefined;
    }
    tx.resolve(outcome);
  }
}

/**
 * A copy of a response that owns its bytes: one copy of the datagram, every
 * byte-string field re-pointed into it (they are all views of the datagram).
 */
export function detachResponse(message: KrpcResponse): KrpcResponse {
  const source = message.datagram;
  const copy = source.slice();
  const move = (view: Uint8Array): Uint8Array => {
    const start = view.byteOffset - source.byteOffset;
    // A view outside the datagram (a core that copied) is copied as is.
    if (view.buffer !== source.buffer || start < 0 || start + view.length > source.length) return view.slice();
    return copy.subarray(start, start + view.length);
  };
  const r: ReceivedValues = {};
  const { id, nodes, nodes6, token, values } = message.r;
  if (id) r.id = move(id);
  if (nodes) r.nodes = move(nodes);
  if (nodes6) r.nodes6 = move(nodes6);
  if (token) r.token = move(token);
  if (values) r.values = new ValuesView(move(values.bytes), values.length);
  const detached: KrpcResponse = {
    y: 'r',
    t: move(message.t),
    r,
    datagram: copy,
    bodyStart: message.bodyStart,
    bodyEnd: message.bodyEnd,
  };
  if (message.v) detached.v = move(message.v);
  if (message.ip) detached.ip = move(message.ip);
  return detached;
}
