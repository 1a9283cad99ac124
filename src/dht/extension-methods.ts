/**
 * The node's own BEP 44 / 51 answers (get, put, sample_infohashes) as entries
 * of the dispatch table. The extensions are written as query hooks; the node
 * installs them on a private `Hooks`, and this turns each method's hooks into
 * a built-in handler — so an embedder's `onQuery` hooks still run first (and
 * may take over), and nodes with no embedder hooks keep the hook-free path.
 */
import type { KrpcQuery } from '../ground/messages.ts';
import type { Endpoint } from '../ground/address.ts';
import type { MethodSpec } from './handlers.ts';
import type { Hooks } from './hooks.ts';
import type { Rpc } from './rpc.ts';
import type { NodeSelf } from './self.ts';
import type { NodeCounters } from './stats.ts';

export interface ExtensionMethodDeps {
  /** Where the extensions registered their hooks (read per query: close() removes them). */
  hooks: Hooks;
  rpc: Rpc;
  self: NodeSelf;
  counters: NodeCounters;
  onWarning: (error: Error) => void;
}

/** Only `id` is checked up front: each extension checks its own arguments (203). */
const ID_ONLY = [['id', 20]] as const;

export function extensionMethods(methods: readonly string[], deps: ExtensionMethodDeps): Map<string, MethodSpec> {
  const { rpc, counters } = deps;
  const handle = (query: KrpcQuery, from: Endpoint): void => {
    const hooks = deps.hooks.queryHooks(query.q);
    let result;
    try {
      result = hooks ? deps.hooks.runQueryHooks(hooks, query, from) : undefined;
    } catch (error) {
      deps.onWarning(new Error(`the '${query.q}' handler threw`, { cause: error }));
      rpc.error(query.t, 202, 'server error', from);
      return;
    }
    if (!result) rpc.error(query.t, 204, 'method unknown', from);
    else if ('drop' in result) counters.drops.inc('budget');
    else if ('error' in result) rpc.error(query.t, result.error[0], result.error[1], from);
    else rpc.respond(query.t, result.response.id ? result.response : { ...result.response, id: deps.self.id }, from, result.extra);
  };
  return new Map(methods.map((method) => [method, { shape: ID_ONLY, handle }]));
}
