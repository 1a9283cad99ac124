/**
 * BEP 33 on a node. `installScrape(dht, { core })` gives the client
 * (`scrape(infohash)`) and the answering side. Two modes:
 *
 * - standalone (default; the node's handlers know nothing of BEP 33): an
 *   announce_peer hook reads `seed`, and the node's 'announce' event (fired
 *   synchronously once the announce was accepted, so never for a bad token)
 *   records it; a get_peers hook answers scrape=1 queries for infohashes we
 *   hold records of — values, nodes, BFsd, BFpe — without a token (only the
 *   node's own handler can issue one);
 * - `standalone: false`: no hooks; the node's get_peers / announce_peer
 *   handlers call `responder` (see responder.ts).
 */
import type { Core } from '../../core/types.ts';
import type { Peer } from '../../krpc/compact.ts';
import type { Clock } from '../../ground/clock.ts';
import { realClock } from '../../ground/clock.ts';
import { bytesEqual } from '../../util/bytes.ts';
import { toId } from '../../util/id.ts';
import { K } from '../constants.ts';
import type { ClosestNodes, ExtensionHost } from '../items/host.ts';
import { closestFromHost, nodesField } from '../items/host.ts';
import { SCRAPE_ALPHA } from './constants.ts';
import type { ExtraRunner, ScrapeResult } from './lookup.ts';
import { scrapeLookup } from './lookup.ts';
import type { ScrapeRecordsOptions } from './records.ts';
import { ScrapeRecords } from './records.ts';
import { ScrapeResponder } from './responder.ts';
import { lookupWithExtra } from './traversal.ts';

/** A host that also tells us about accepted announces. */
export interface ScrapeHost extends ExtensionHost {
  on(event: 'announce', listener: (value: { infohash: Uint8Array; peer: Peer }) => void): () => void;
}

export interface ScrapeOptions {
  core: Pick<Core, 'decode' | 'sha1'>;
  clock?: Clock;
  /** Hook the node's get_peers / announce_peer (default true); false when its handlers call `responder`. */
  standalone?: boolean;
  records?: ScrapeRecordsOptions;
  closestNodes?: ClosestNodes;
  k?: number;
  /** Requests in flight for a scrape lookup (default 3, BEP 33's advice for low-priority scrapes). */
  alpha?: number;
}

export interface Scrape {
  readonly records: ScrapeRecords;
  readonly responder: ScrapeResponder;
  /** Estimate seeds and peers of `infohash` from the filters of the nodes nearest it. */
  scrape(infohash: Uint8Array | string, options?: { signal?: AbortSignal }): Promise<ScrapeResult>;
  close(): void;
}

export function installScrape(host: ScrapeHost, options: ScrapeOptions): Scrape {
  const { core } = options;
  const clock = options.clock ?? realClock;
  const k = options.k ?? K;
  const records = new ScrapeRecords({ sha1: (bytes) => core.sha1(bytes), ...options.records });
  const responder = new ScrapeResponder(records, clock, (bytes) => core.decode(bytes));
  const off: (() => void)[] = [];

  if (options.standalone ?? true) {
    const closest = options.closestNodes ?? closestFromHost(host, k);
    // The announce being handled: its hook runs just before the node accepts it and fires 'announce'.
    let pending: { infohash: Uint8Array; host: string; seed: boolean } | undefined;
    off.push(
      host.onQuery('announce_peer', (query, from) => {
        const infohash = query.a.info_hash;
        pending = infohash && infohash.length === 20 ? { infohash: infohash.slice(), host: from.host, seed: responder.isSeed(query) } : undefined;
        return undefined;
      }),
      host.on('announce', ({ infohash, peer }) => {
        const seed = pending !== undefined && pending.host === peer.host && bytesEqual(pending.infohash, infohash) && pending.seed;
        pending = undefined;
        records.record(infohash, peer.host, peer.port, seed, clock.now());
      }),
      host.onQuery('get_peers', (query, from) => {
        const infohash = query.a.info_hash;
        if (!infohash || infohash.length !== 20) return undefined;
        const flags = responder.flags(query);
        if (!flags.scrape) return undefined;
        const extra = responder.extra(infohash);
        if (!extra) return undefined; // nothing recorded: the node's usual answer
        const values = responder.values(infohash, responder.maxScrapeValues(from.family), flags.noseed).filter((value) => value.length === (from.family === 4 ? 6 : 18));
        return { response: { ...(values.length > 0 ? { values } : {}), ...nodesField(closest, infohash, from) }, extra };
      }),
    );
  }

  return {
    records,
    responder,
    scrape(infohash, scrapeOptions = {}) {
      const target = toId(infohash, 'infohash');
      const run: ExtraRunner = (t, strategy, extra, signal) => lookupWithExtra(host, t, strategy, extra, { k, alpha: options.alpha ?? SCRAPE_ALPHA, ...(signal ? { signal } : {}) });
      return scrapeLookup(run, target, { decode: (bytes) => core.decode(bytes), sha1: (bytes) => core.sha1(bytes) }, scrapeOptions.signal);
    },
    close() {
      for (const remove of off) remove();
    },
  };
}

/** The `a` keys of an announce_peer from a seed (BEP 33), for a sender's `extra`. */
export function seedExtra(seed: boolean): { seed: number } | undefined {
  return seed ? { seed: 1 } : undefined;
}

