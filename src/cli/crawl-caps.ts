/**
 * The caps `btdht crawl` raises over a node's defaults, and why: a crawler
 * answers as many ids (16 by default) from one socket, so it sits in many
 * times as many routing tables and hears from many times as many addresses,
 * while its own lookups (a get_peers per fetch, 64 at once, BEP 51 walks,
 * BEP 33 scrapes) all draw on one query budget. Each stays a flag and a
 * `--config` key; the crawl lists every cap above the node default when it
 * starts (raisedCaps). RSS at these caps: `npm run bench:raised-caps`
 * (BENCHMARKS.md, "Crawler mode's raised caps").
 */
import { INTEGER_OPTIONS, type DHTOptions, type IntegerOption } from '../dht/options.ts';

export const CRAWL_CAPS = {
  // Sources heard from: with 16 ids, far more than a node's 10,000; a forgotten flooder is unblocked early.
  rateLimitTrackedIps: 100_000,
  // One query budget for every id's lookups: 500/s is ~31/s per id.
  maxQueriesOutPerSecond: 2_000,
  // Room for 2,000/s while many queries of the public DHT wait out their timeout.
  maxOutstanding: 16_384,
  maxQueuedQueries: 4_096,
} as const satisfies Partial<Record<IntegerOption, number>>;

export type CrawlCap = keyof typeof CRAWL_CAPS;

/** Options whose value bounds a table or a rate: listed at the crawl's start when above the node default. */
const CAPS: readonly IntegerOption[] = (Object.keys(INTEGER_OPTIONS) as IntegerOption[]).filter(
  (key) => key.startsWith('max') || key === 'rateLimitTrackedIps' || key === 'replacementCacheSize',
);

export interface RaisedCap {
  key: IntegerOption;
  nodeDefault: number;
  value: number;
}

/** Every cap of `options` above the node default, in table order (0 = unlimited counts as raised for rates). */
export function raisedCaps(options: DHTOptions): RaisedCap[] {
  const raised: RaisedCap[] = [];
  for (const key of CAPS) {
    const value = options[key];
    const nodeDefault = INTEGER_OPTIONS[key].default;
    if (typeof value !== 'number') continue;
    const unlimited = value === 0 && INTEGER_OPTIONS[key].min === 0 && nodeDefault > 0;
    if (value > nodeDefault || unlimited) raised.push({ key, nodeDefault, value });
  }
  return raised;
}
