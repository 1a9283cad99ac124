/**
 * The after side of the embedder's hooks: where an entry's answer goes when
 * answer hooks (hooks.ts `onAnswer`) wrap its method. Each hook, in order,
 * sees the answer as the entry (or a query hook, or the previous answer hook)
 * left it, and may keep it or decide another; what remains is encoded and
 * sent by the replies. With no answer hook on the method the dispatcher hands
 * entries the replies themselves, so this costs nothing then.
 */
import type { Endpoint } from '../ground/address.ts';
import type { BencodeDict } from '../ground/bencode.ts';
import type { KrpcQuery, ResponseValues } from '../ground/messages.ts';
import type { Answer, AnswerHook } from './hooks.ts';
import type { AnswerSink } from './methods.ts';
import type { NodeCounters } from './stats.ts';

export class HookedAnswers implements AnswerSink {
  constructor(
    private readonly replies: AnswerSink,
    private readonly hooks: readonly AnswerHook[],
    private readonly query: KrpcQuery,
    /** Our id, for an amended response without one. */
    private readonly id: Uint8Array,
    private readonly counters: NodeCounters,
    private readonly onWarning: (error: Error) => void,
  ) {}

  respond(t: Uint8Array, r: ResponseValues, to: Endpoint, extra?: BencodeDict): void {
    this.#deliver(t, { response: r, extra }, to);
  }

  error(t: Uint8Array, code: number, text: string, to: Endpoint): void {
    this.#deliver(t, { error: [code, text] }, to);
  }

  #deliver(t: Uint8Array, answer: Answer, to: Endpoint): void {
    const method = this.query.q;
    for (const hook of this.hooks) {
      let result;
      try {
        result = hook(answer, this.query, to);
      } catch (error) {
        this.onWarning(new Error(`answer hook for '${method}' threw`, { cause: error }));
        this.replies.error(t, 202, 'server error', to);
        return;
      }
      if (result === undefined || result === null) continue;
      if ('drop' in result) {
        this.counters.drops.inc('hook');
        return;
      }
      answer = result;
    }
    if ('error' in answer) {
      this.replies.error(t, answer.error[0], answer.error[1], to);
      return;
    }
    const r = answer.response.id ? answer.response : { ...answer.response, id: this.id };
    try {
      this.replies.respond(t, r, to, answer.extra);
    } catch (error) {
      // An amended answer the encoder refuses (bad extra keys): our fault, not the sender's.
      this.onWarning(new Error(`answer hook for '${method}' gave an answer that cannot be encoded`, { cause: error }));
      this.replies.error(t, 202, 'server error', to);
    }
  }
}
