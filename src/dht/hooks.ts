/**
 * Hooks in the spirit of the Python btdht's on_<msg>_query / on_<msg>_response:
 * embedders observe or take over the handling of any query, add new query
 * types, see and amend the answer the node is about to send, and watch the
 * responses to their own queries.
 *
 * A query hook runs synchronously on the datagram's bytes: copy what you keep.
 */
import type { BencodeDict } from '../ground/bencode.ts';
import type { KrpcQuery, KrpcResponse, OutgoingQuery, ResponseValues } from '../ground/messages.ts';
import type { Endpoint } from '../ground/address.ts';

/**
 * What a query hook decides:
 * - nothing (`undefined`): it only observed; the default handling goes on;
 * - `{ response, extra? }`: answer with these values instead (`id` defaults to ours);
 * - `{ error: [code, message] }`: answer with a KRPC error;
 * - `{ drop: true }`: no answer at all (and the sender is not considered for the routing table).
 * @example
 * import { DHT, type QueryHookResult } from 'btdht';
 * const dht = new DHT();
 * // A method of our own: answer with our id, refuse a query without a target.
 * dht.onQuery('my_method', (query): QueryHookResult => (query.a.target ? { response: {} } : { error: [203, 'target missing'] }));
 */
export type QueryHookResult =
  | undefined
  | void
  | { response: ResponseValues; extra?: BencodeDict }
  | { error: readonly [number, string] }
  | { drop: true };

/**
 * @example
 * import { DHT, toHex, type QueryHook } from 'btdht';
 * const dht = new DHT();
 * const logGetPeers: QueryHook = (query, from) => {
 *   if (query.a.info_hash) console.log(from.host, 'looks for', toHex(query.a.info_hash));
 * };
 * const unhook = dht.onQuery('get_peers', logGetPeers);
 * await dht.start();
 */
export type QueryHook = (query: KrpcQuery, from: Endpoint) => QueryHookResult;
/**
 * @example
 * import { DHT, type ResponseHook } from 'btdht';
 * const dht = new DHT();
 * const countNodes: ResponseHook = (response, from, query) => {
 *   console.log(query.q, 'answered by', from.host, 'with', (response.r.nodes?.length ?? 0) / 26, 'nodes');
 * };
 * dht.onResponse('find_node', countNodes);
 */
export type ResponseHook = (response: KrpcResponse, from: Endpoint, query: OutgoingQuery) => void;

/**
 * The answer the node is about to send to a query: a response (`r` values and
 * extra keys) or a KRPC error.
 * @example
 * import { type Answer } from 'btdht';
 * const refusal: Answer = { error: [201, 'not now'] };
 * const empty: Answer = { response: {}, extra: { empty: 1 } };
 */
export type Answer = { response: ResponseValues; extra?: BencodeDict | undefined } | { error: readonly [number, string] };

/**
 * Sees the answer to a query of its method once the method's entry (or a
 * query hook) produced it, before it is encoded: return nothing to send it as
 * it is, or a decision to send instead (`{ response, extra? }`, `{ error }`,
 * `{ drop: true }`). Runs synchronously: the answer's bytes are views the
 * node reuses, so copy what you keep.
 * @example
 * import { DHT, type AnswerHook } from 'btdht';
 * const dht = new DHT();
 * // Tell every pinger how many pings we answered.
 * let pings = 0;
 * const count: AnswerHook = (answer) => ('response' in answer ? { response: answer.response, extra: { pings: ++pings } } : undefined);
 * dht.onAnswer('ping', count);
 */
export type AnswerHook = (answer: Answer, query: KrpcQuery, from: Endpoint) => QueryHookResult;

export class Hooks {
  readonly #query = new Map<string, QueryHook[]>();
  readonly #answer = new Map<string, AnswerHook[]>();
  readonly #response = new Map<string, ResponseHook[]>();
  /** Query and answer hooks registered, all methods together: 0 keeps every query on the fast path. */
  wrapHookCount = 0;
  responseHookCount = 0;

  onQuery(method: string, hook: QueryHook): () => void {
    return this.#register('onQuery', this.#query, method, hook, (delta) => (this.wrapHookCount += delta));
  }

  onAnswer(method: string, hook: AnswerHook): () => void {
    return this.#register('onAnswer', this.#answer, method, hook, (delta) => (this.wrapHookCount += delta));
  }

  onResponse(method: string, hook: ResponseHook): () => void {
    return this.#register('onResponse', this.#response, method, hook, (delta) => (this.responseHookCount += delta));
  }

  /** Add `hook` to `map` (checked, counted); the remover takes it out once. */
  #register<T>(what: string, map: Map<string, T[]>, method: string, hook: T, count: (delta: number) => void): () => void {
    if (typeof method !== 'string' || method === '') throw new TypeError(`${what}: method must be a non-empty string`);
    if (typeof hook !== 'function') throw new TypeError(`${what}: hook must be a function`);
    add(map, method, hook);
    count(1);
    let registered = true;
    return () => {
      if (!registered) return;
      registered = false;
      remove(map, method, hook);
      count(-1);
    };
  }

  /** Query hooks of `method`, in registration order (undefined when none). */
  queryHooks(method: string): readonly QueryHook[] | undefined {
    return this.wrapHookCount === 0 ? undefined : this.#query.get(method);
  }

  /** Answer hooks of `method`, in registration order (undefined when none). */
  answerHooks(method: string): readonly AnswerHook[] | undefined {
    return this.wrapHookCount === 0 ? undefined : this.#answer.get(method);
  }

  /** Does any hook, before or after the entry, wrap queries of `method`? (The table answers step aside for those.) */
  wraps(method: string): boolean {
    return this.wrapHookCount > 0 && (this.#query.has(method) || this.#answer.has(method));
  }

  responseHooks(method: string): readonly ResponseHook[] | undefined {
    return this.responseHookCount === 0 ? undefined : this.#response.get(method);
  }

  /**
   * Run the query hooks of `method` in order; the first that returns a decision
   * wins. A hook that throws propagates (the dispatcher answers 202).
   */
  runQueryHooks(hooks: readonly QueryHook[], query: KrpcQuery, from: Endpoint): QueryHookResult {
    for (const hook of hooks) {
      const result = hook(query, from);
      if (result !== undefined && result !== null) return result;
    }
    return undefined;
  }
}

function add<T>(map: Map<string, T[]>, key: string, value: T): void {
  // Copy on write, so a hook may (un)register hooks while they run.
  map.set(key, [...(map.get(key) ?? []), value]);
}

function remove<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (!list) return;
  const index = list.indexOf(value);
  if (index < 0) return;
  const next = list.filter((_, i) => i !== index);
  if (next.length === 0) map.delete(key);
  else map.set(key, next);
}
