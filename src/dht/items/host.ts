/**
 * What the BEP 33/44/51 extensions need from a node: its public surface only
 * (hooks, single queries, the lookup engine, its table and address). `DHT`
 * satisfies it as is; tests may pass anything shaped alike.
 */
import type { BencodeDict } from '../../ground/bencode.ts';
import { compareDistance } from '../../core/routing-types.ts';
import type { KrpcResponse, QueryArgs } from '../../ground/messages.ts';
import { encodeCompactNodes } from '../../krpc/compact.ts';
import { ipFamily } from '../../ground/address.ts';
import type { AddressFamily, Endpoint } from '../../ground/address.ts';
import type { QueryHook } from '../hooks.ts';
import type { AnswerEntry } from '../methods.ts';
import type { Shape } from '../query-shapes.ts';
import type { NodeInfo } from '../routing.ts';
import type { QueryOutcome } from '../transactions.ts';
import type { TraversalResult, TraversalStrategy } from '../traversal.ts';
import { KrpcRemoteError, QueryFailedError } from '../errors.ts';

export interface ExtensionHost {
  readonly id: Uint8Array;
  onQuery(method: string, hook: QueryHook): () => void;
  /**
   * The node's own dispatch table (only the host a node gives its own
   * extensions): `entry` answers its method like a built-in handler, with the
   * same shape check and under the embedder's hooks. Without it (an extension
   * installed on a node by hand) the extensions answer as query hooks.
   */
  answer?(method: string, entry: AnswerEntry): () => void;
  query(endpoint: Endpoint, method: string, args?: QueryArgs, extra?: BencodeDict): Promise<KrpcResponse>;
  lookup(target: Uint8Array, strategy: TraversalStrategy, options?: { signal?: AbortSignal }): Promise<TraversalResult>;
  nodes(): NodeInfo[];
  address(): Endpoint;
}

/** Answer `method` with `answer`: an entry of the node's dispatch table where the host offers one, else a query hook. */
export function answerMethod(host: ExtensionHost, method: string, shape: Shape, answer: QueryHook): () => void {
  return host.answer ? host.answer(method, { shape, answer, dropReason: 'budget' }) : host.onQuery(method, answer);
}

/** Compact node info of the nodes nearest `target` in our table, for the asker's family (`nodes` or `nodes6`). */
export type ClosestNodes = (target: Uint8Array, family: AddressFamily) => Uint8Array;

/**
 * The nearest nodes from the host's public `nodes()` (a copy of the whole
 * table per call: fine for extension queries; the node can pass its table's
 * own `closest` instead).
 */
export function closestFromHost(host: ExtensionHost, k: number): ClosestNodes {
  return (target, family) => {
    const nodes = host.nodes().filter((node) => ipFamily(node.host) === family);
    nodes.sort((a, b) => compareDistance(target, a.id, b.id));
    return encodeCompactNodes(nodes.slice(0, k), family);
  };
}

/** `{ nodes }` or `{ nodes6 }` for an answer to `from`. */
export function nodesField(closest: ClosestNodes, target: Uint8Array, from: Endpoint): { nodes?: Uint8Array; nodes6?: Uint8Array } {
  const nodes = closest(target, from.family);
  return from.family === 4 ? { nodes } : { nodes6: nodes };
}

/** A host query as the traversal engine's outcome (never rejects). */
export async function queryOutcome(host: Pick<ExtensionHost, 'query'>, to: Endpoint, method: string, args: QueryArgs, extra?: BencodeDict): Promise<QueryOutcome> {
  try {
    const response = await host.query(to, method, args, extra);
    return { kind: 'response', response, from: to, rtt: 0 };
  } catch (error) {
    if (error instanceof KrpcRemoteError) return { kind: 'error', code: error.code, message: error.remoteMessage, from: to };
    if (error instanceof QueryFailedError) return error.reason === 'invalid' ? { kind: 'invalid', reason: error.message } : { kind: error.reason };
    // Arguments the encoder refused: a fault of this query only.
    if (error instanceof TypeError || error instanceof RangeError) return { kind: 'invalid', reason: error.message };
    // The node is not running (stopped meanwhile).
    return { kind: 'closed' };
  }
}
