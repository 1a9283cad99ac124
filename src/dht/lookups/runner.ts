/** What a lookup strategy needs from the node: a traversal toward a target, seeded from the routing table. */
import type { TraversalResult, TraversalStrategy } from '../traversal.ts';

export type LookupRunner = (target: Uint8Array, strategy: TraversalStrategy, signal?: AbortSignal) => Promise<TraversalResult>;
