/**
 * Who the node is: its own ids (one, or many in crawler mode), the routing
 * table built around them in each family, and BEP 42 for our own id — the
 * external-IP votes of responders and the id change a new majority calls for.
 * The one place that decides our id; everything that answers or routes reads
 * it through each stack's NodeSelf.
 */
import type { Core } from '../../core/types.ts';
import type { RoutingTable } from '../../core/routing-types.ts';
import type { Endpoint } from '../../ground/address.ts';
import { decodeCompactAddress } from '../../krpc/compact.ts';
import { bytesEqual } from '../../util/bytes.ts';
import { toHex } from '../../util/hex.ts';
import { randomId } from '../../util/id.ts';
import { MAX_FAILURES, QUESTIONABLE_AFTER_MS } from '../constants.ts';
import type { Emitter } from '../emitter.ts';
import type { DHTEvents } from '../events.ts';
import type { IpVoter } from '../bep42/ip-voter.ts';
import { ownIdFits, ownIdFor } from '../bep42/own-id.ts';
import { AskedAs } from '../multi-id/asked-as.ts';
import { NodeIdSet, idsAtPrefixes, spreadIds } from '../multi-id/id-set.ts';
import type { ResolvedOptions } from '../options.ts';
import type { NodeSelf } from '../self.ts';

/** Crawler mode: addresses whose "which id did we ask as" is remembered, per family. */
export const ASKED_AS_CAP = 65_536;

/** What an id change touches in one family. */
export interface IdentityStack {
  family: 4 | 6;
  self: NodeSelf;
  voter: IpVoter;
  routing: { lookupSelf(): void };
}

export class Identity {
  readonly #options: ResolvedOptions;
  readonly #emitter: Emitter<DHTEvents>;
  #id: Uint8Array;
  /** Crawler mode: every id we answer as, the primary first (undefined for a plain node). */
  #ids: Uint8Array[] | undefined;
  #changes = 0;

  constructor(options: ResolvedOptions, emitter: Emitter<DHTEvents>) {
    this.#options = options;
    this.#emitter = emitter;
    this.#id = options.id ?? randomId(options.random);
  }

  /** The primary id (not a copy: the public face copies it). */
  get id(): Uint8Array {
    return this.#id;
  }

  /** Every id we answer as, the primary first. */
  get ids(): readonly Uint8Array[] {
    return this.#ids ?? [this.#id];
  }

  /** Crawler mode (option `ids`): more than one id. */
  get multi(): boolean {
    return this.#ids !== undefined;
  }

  /** Id changes since start (BEP 42). */
  get changes(): number {
    return this.#changes;
  }

  /** The id saved in the state file, unless the embedder chose one. */
  restore(saved: Uint8Array): void {
    if (!this.#options.id) this.#id = saved;
  }

  /** Settle the crawler-mode ids around the primary (once listening) and build each family's self. */
  open(core: Core, families: readonly (4 | 6)[]): NodeSelf[] {
    const wanted = this.#options.ids;
    if (wanted !== 1) {
      const primary = this.#id;
      const others = typeof wanted === 'number' ? spreadIds(wanted, this.#options.random, primary) : idsAtPrefixes(wanted, this.#options.random);
      this.#ids = [primary, ...others.filter((id) => !bytesEqual(id, primary))];
    }
    return families.map((family) => this.#makeSelf(core, family));
  }

  /** Is our id BEP 42-valid for `ip` (or `ip` exempt)? */
  compliantWith(ip: Uint8Array, core: Core | undefined): boolean {
    return ownIdFits(this.#id, ip, core ? (b) => core.crc32c(b) : undefined);
  }

  /**
   * A matched response told us how its sender sees our address (BEP 42 `ip`):
   * count the vote, act on a new majority. Each family votes apart; only the
   * primary family's IP decides our id (one id for both DHTs, BEP 32).
   */
  onAddressReport(core: Core, stacks: readonly IdentityStack[], family: 4 | 6, compact: Uint8Array, from: Endpoint): void {
    const stack = stacks.find((s) => s.family === family);
    if (!stack || compact.length !== (family === 4 ? 6 : 18)) return;
    const ip = stack.voter.vote(compact, from.host, this.#options.clock.now());
    if (!ip) return;
    const host = decodeCompactAddress(compact)!.host;
    this.#emitter.emit('external-ip', { host, ip: ip.slice() });
    if (stack !== stacks[0]) return;
    const o = this.#options;
    const id = ownIdFor(this.#id, ip, { mode: o.bep42, chosen: o.id !== undefined, crc32c: (bytes) => core.crc32c(bytes), random: o.random });
    if (id) this.#change(core, stacks, id, host);
  }

  /** Take a new id: each family's routing table rebuilt around it from the old one's nodes, then a lookup of the new id. */
  #change(core: Core, stacks: readonly IdentityStack[], id: Uint8Array, externalIp: string): void {
    const previous = this.#id;
    this.#id = id;
    // Crawler mode: the primary is replaced, the other ids stay where they are.
    if (this.#ids) this.#ids = [id, ...this.#ids.slice(1).filter((other) => !bytesEqual(other, id))];
    for (const stack of stacks) {
      const old = stack.self.table;
      const fresh = this.#makeSelf(core, stack.family);
      for (const node of old.nodes()) fresh.table.add(node.id, node.address, node.lastSeen, node.responded);
      stack.self.id = fresh.id;
      stack.self.table = fresh.table;
      if (fresh.ids) stack.self.ids = fresh.ids;
      if (fresh.askedAs) stack.self.askedAs = fresh.askedAs;
      old.dispose();
    }
    this.#changes++;
    this.#options.logger.info?.('id.changed', { id: toHex(id), previous: toHex(previous), externalIp });
    this.#emitter.emit('id', { id: id.slice(), previous: previous.slice(), externalIp });
    for (const stack of stacks) stack.routing.lookupSelf();
  }

  /** Our ids and our table, as answering and routing read them. */
  #makeSelf(core: Core, family: 4 | 6): NodeSelf {
    const self: NodeSelf = { id: this.#id, table: this.#createTable(core, family) };
    if (this.#ids) {
      self.ids = new NodeIdSet(this.#ids);
      self.askedAs = new AskedAs(ASKED_AS_CAP);
      if (this.#options.oneIdPerNode) self.perNode = true;
    }
    return self;
  }

  /** A routing table of the configured backend around our id — and, in crawler mode, around every one of our ids. */
  #createTable(core: Core, family: 4 | 6): RoutingTable {
    return core.createRoutingTable({
      id: this.#id,
      ids: this.#ids?.slice(1),
      k: this.#options.k,
      cacheSize: this.#options.replacementCacheSize,
      addressLength: family === 4 ? 6 : 18,
      questionableAfterMs: QUESTIONABLE_AFTER_MS,
      maxFailures: MAX_FAILURES,
    });
  }
}
