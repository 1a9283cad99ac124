/**
 * Joining the DHT (BEP 5): resolve the routers, then find the nodes closest
 * to our own id in each family's DHT at once (BEP 32), from the saved nodes
 * and the bootstrap entries. Routers are asked but never enter the table; the
 * addresses stay to seed a traversal whenever a table runs empty. Crawler mode
 * then looks up each extra id so the nodes near it learn it.
 */
import type { Endpoint } from '../../ground/address.ts';
import { resolveRouters, splitBootstrap, systemResolver } from '../bootstrap.ts';
import type { Emitter } from '../emitter.ts';
import type { DHTEvents } from '../events.ts';
import { findNodeLookup } from '../lookups/find-node.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Stack } from '../stack.ts';
import type { SavedNode } from '../state.ts';
import type { Identity } from './identity.ts';
import type { Traversals } from './traversals.ts';

/** Crawler mode: find_node lookups of our extra ids running at once after bootstrap. */
const OWN_ID_LOOKUPS_AT_ONCE = 4;

/** What a join needs from the running node. */
export interface JoinParts {
  stacks: readonly Stack[];
  traversals: Traversals;
  identity: Identity;
  /** Is the node still running (stop() ends the join quietly)? */
  running: () => boolean;
}

export class Bootstrap {
  readonly #options: ResolvedOptions;
  readonly #emitter: Emitter<DHTEvents>;
  readonly #warn: (error: Error) => void;
  /** Resolved bootstrap addresses, reused when a table runs empty. */
  #addresses: Endpoint[] = [];
  #routers = new Set<string>();
  #ready = false;

  constructor(options: ResolvedOptions, emitter: Emitter<DHTEvents>, warn: (error: Error) => void) {
    this.#options = options;
    this.#emitter = emitter;
    this.#warn = warn;
  }

  /** Has the join finished (whether or not anyone answered)? */
  get ready(): boolean {
    return this.#ready;
  }

  /** The bootstrap addresses of `family` (numeric entries and resolved routers). */
  addresses(family: 4 | 6): Endpoint[] {
    return this.#addresses.filter((a) => a.family === family);
  }

  /** Routers answer but never enter the table (BEP 5). */
  isRouter(from: Endpoint): boolean {
    return this.#routers.size > 0 && this.#routers.has(endpointKey(from));
  }

  /** Join from `saved` nodes and the bootstrap entries; emits 'ready' once done. Never throws. */
  async join(parts: JoinParts, saved: readonly SavedNode[]): Promise<void> {
    const o = this.#options;
    const started = o.clock.now();
    o.logger.info?.('bootstrap.start', { routers: o.bootstrap.length, saved: saved.length });
    try {
      // Numeric entries need no DNS: without names the first queries leave before start() resolves.
      const names = splitBootstrap(o.bootstrap, 4).names;
      const routersOf =
        names.length === 0
          ? undefined
          : await Promise.all(parts.stacks.map((stack) => resolveRouters(names, stack.family, o.resolve ?? systemResolver, o.clock, this.#warn)));
      if (!parts.running()) return;
      const perFamily = parts.stacks.map((stack, i) => ({ stack, nodes: splitBootstrap(o.bootstrap, stack.family).nodes, routers: routersOf?.[i] ?? [] }));
      this.#routers = new Set(perFamily.flatMap(({ routers }) => routers.map(endpointKey)));
      this.#addresses = perFamily.flatMap(({ nodes, routers }) => [...nodes, ...routers]);
      // BEP 5: on start, find the nodes closest to our own id — in each family's DHT, at once (BEP 32).
      const results = await Promise.all(
        perFamily.map(async ({ stack, nodes, routers }) => {
          const seeds = saved.filter((node) => node.endpoint.family === stack.family);
          const addresses = [...nodes, ...routers];
          if (seeds.length === 0 && addresses.length === 0) return undefined;
          const target = parts.identity.id;
          return parts.traversals.seeded(stack, target, seeds, addresses, { method: 'find_node', args: { target } });
        }),
      );
      const tried = results.filter((result) => result !== undefined);
      if (tried.length > 0 && tried.every((result) => result.answered === 0 && !result.aborted)) {
        this.#warn(new Error('bootstrap: no node answered; the node is alone for now'));
      }
    } catch (error) {
      this.#warn(new Error(`bootstrap failed: ${error instanceof Error ? error.message : String(error)}`));
    }
    if (!parts.running()) return;
    this.#ready = true;
    let nodes = 0;
    for (const stack of parts.stacks) nodes += stack.self.table.size;
    o.logger.info?.('bootstrap.done', { nodes, ms: o.clock.now() - started });
    this.#emitter.emit('ready', undefined);
    if (parts.identity.multi) void this.#lookupOwnIds(parts);
  }

  /**
   * Crawler mode: after bootstrap, one find_node lookup per extra id, a few at
   * a time, so the nodes near each id learn it (it is in our queries' `id`)
   * and its bucket path fills up. Bucket refreshes keep them filled after.
   */
  async #lookupOwnIds(parts: JoinParts): Promise<void> {
    const ids = parts.identity.ids.slice(1);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length && parts.running()) {
        const id = ids[next++]!;
        await Promise.all(parts.stacks.map((stack) => findNodeLookup(parts.traversals.runOn(stack.family), id).catch(() => undefined)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(OWN_ID_LOOKUPS_AT_ONCE, ids.length) }, worker));
  }
}

function endpointKey(endpoint: Endpoint): string {
  return `${endpoint.host}|${endpoint.port}`;
}
