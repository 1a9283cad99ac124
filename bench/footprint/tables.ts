/** The tables bench/footprint/fill-child.ts fills, and what it prints for each. */
export const TABLES = ['peer', 'infohash', 'scrape-record', 'item-1k', 'item-small', 'item-strings', 'rate-limiter'] as const;
export type TableName = (typeof TABLES)[number];

export interface FillLine {
  table: TableName;
  entries: number;
  /** RSS before and after filling, bytes. */
  before: number;
  after: number;
  /** What the table counts of its own bytes (packed arrays, item bytes), when it does. */
  ownBytes: number | undefined;
  seconds: number;
}

/** The node at every cap at once (one IPv4 family): the peer store flooded with distinct infohashes, the costliest items. */
export const ALL: readonly TableName[] = ['infohash', 'scrape-record', 'item-strings', 'rate-limiter'];
