/**
 * The sending half of answering: a KRPC response or error to a query, encoded
 * by the core and sent by the transport, counted, and charged to the
 * requester's destination budget. Every response carries the requester's
 * address as `ip` (BEP 42, bep42/ip-field.ts). Scratch messages are reused for
 * every answer: encodeKrpc is synchronous, so nothing holds on to them. When
 * the budget holds answers (crawler mode), an answer over it waits for its
 * token (a copy, on a timer; MAX_HELD_ANSWERS at most) or is dropped.
 */
import type { Core } from '../core/types.ts';
import type { Clock, TimerHandle } from '../ground/clock.ts';
import type { BencodeDict } from '../ground/bencode.ts';
import type { Endpoint } from '../ground/address.ts';
import type { OutgoingError, OutgoingResponse, ResponseValues } from '../ground/messages.ts';
import type { Transport } from '../transport/types.ts';
import { IpField } from './bep42/ip-field.ts';
import { CLIENT_VERSION } from './constants.ts';
import type { DestinationBudget } from './destination-budget.ts';
import { destinationKey } from './destination-budget.ts';
import type { NodeCounters } from './stats.ts';

export interface ReplyDeps {
  core: Core;
  transport: Transport;
  counters: NodeCounters;
  /** What each destination receives from us (destination-budget.ts); none: unlimited. */
  budget?: DestinationBudget | undefined;
  /** Times held answers (needed when the budget holds answers). */
  clock?: Clock;
}

/** Answers waiting for their destination's budget at most, all destinations together. */
export const MAX_HELD_ANSWERS = 4_096;

export class Replies {
  readonly #deps: ReplyDeps;
  readonly #response: OutgoingResponse = { y: 'r', t: new Uint8Array(0), r: {}, v: CLIENT_VERSION };
  readonly #error: OutgoingError = { y: 'e', t: new Uint8Array(0), e: { code: 0, message: '' }, v: CLIENT_VERSION };
  readonly #ipField = new IpField();
  readonly #held = new Set<TimerHandle>();
  #closed = false;
  /** The destination key of the last answer's endpoint: a busy asker gets many answers in a row (no string built per answer). */
  #keyHost = '';
  #keyPort = -1;
  #key = '';

  constructor(deps: ReplyDeps) {
    this.#deps = deps;
  }

  /** Answer a query with `r` (+ `extra` keys), telling the requester its address (`ip`, BEP 42). */
  respond(t: Uint8Array, r: ResponseValues, to: Endpoint, extra?: BencodeDict): void {
    const message = this.#response;
    message.t = t;
    message.r = r;
    message.extra = extra;
    message.ip = this.#ipField.of(to);
    this.sendAnswer(this.#deps.core.encodeKrpc(message), to);
  }

  /** Send an encoded answer to a query from `to`; `now`: the caller's clock reading, if it has one (the budget's). */
  sendAnswer(bytes: Uint8Array, to: Endpoint, now?: number): void {
    const budget = this.#deps.budget;
    if (budget === undefined) this.#send(bytes, to, false);
    else if (!budget.holdsAnswers) {
      budget.spend(this.#keyOf(to), now);
      this.#send(bytes, to, false);
    } else this.#admit(budget, bytes, to, now, false);
  }

  /** The transport sends from scratch memory (Transport.sendScratch): answers need not be fresh arrays. */
  get sendsScratch(): boolean {
    return this.#deps.transport.sendScratch !== undefined;
  }

  /**
   * `sendAnswer` for bytes in the caller's scratch memory (only when
   * `sendsScratch`): false when the transport kept them, and the caller must
   * not write there again. An answer held for its budget is a copy.
   */
  sendScratchAnswer(bytes: Uint8Array, to: Endpoint, now?: number): boolean {
    const budget = this.#deps.budget;
    if (budget !== undefined) {
      if (budget.holdsAnswers) return this.#admit(budget, bytes, to, now, true);
      budget.spend(this.#keyOf(to), now);
    }
    return this.#send(bytes, to, true);
  }

  /** Answers waiting for their budget now. */
  get held(): number {
    return this.#held.size;
  }

  /** Drop the answers still held (the socket is closing). */
  close(): void {
    this.#closed = true;
    for (const timer of this.#held) timer.cancel();
    this.#held.clear();
  }

  /** Send now, hold a copy for later, or drop; false only when a scratch send kept `bytes`. */
  #admit(budget: DestinationBudget, bytes: Uint8Array, to: Endpoint, now: number | undefined, scratch: boolean): boolean {
    const deps = this.#deps;
    const wait = this.#closed ? -1 : budget.admitAnswer(this.#keyOf(to), now);
    if (wait === 0) return this.#send(bytes, to, scratch);
    if (wait < 0 || this.#held.size >= MAX_HELD_ANSWERS || deps.clock === undefined) {
      deps.counters.drops.inc('answer-over-budget');
      return true;
    }
    // `bytes` may be the encoder's scratch: keep a copy.
    const copy = bytes.slice();
    const timer = deps.clock.setTimer(() => {
      this.#held.delete(timer);
      this.#send(copy, to, false);
    }, wait);
    this.#held.add(timer);
    return true;
  }

  /** `scratch`: through Transport.sendScratch (false: it kept `bytes`). */
  #send(bytes: Uint8Array, to: Endpoint, scratch: boolean): boolean {
    const deps = this.#deps;
    deps.counters.datagramsOut++;
    deps.counters.bytesOut += bytes.length;
    if (scratch) return deps.transport.sendScratch!(bytes, to);
    deps.transport.send(bytes, to);
    return true;
  }

  #keyOf(to: Endpoint): string {
    if (to.port !== this.#keyPort || to.host !== this.#keyHost) {
      this.#keyHost = to.host;
      this.#keyPort = to.port;
      this.#key = destinationKey(to);
    }
    return this.#key;
  }

  /** The compact address of `to` (BEP 42 `ip`). A scratch view: encode it before the next call. */
  compactOf(to: Endpoint): Uint8Array | undefined {
    return this.#ipField.of(to);
  }

  /** Answer a query with a KRPC error (BEP 5: 201 generic, 202 server, 203 protocol, 204 method unknown). */
  error(t: Uint8Array, code: number, text: string, to: Endpoint): void {
    const deps = this.#deps;
    const message = this.#error;
    message.t = t;
    message.e.code = code;
    message.e.message = text;
    deps.counters.errorsOut.inc(code);
    this.sendAnswer(deps.core.encodeKrpc(message), to);
  }
}
