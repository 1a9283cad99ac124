/** BEP 33 — DHT scrapes: bloom filters of seeds and peers per infohash. */
export { installScrape, seedExtra } from './install.ts';
export type { Scrape, ScrapeHost, ScrapeOptions } from './install.ts';
export { BLOOM_BYTES, bloomEstimate, bloomHas, bloomInsert, bloomUnion, createBloom } from './bloom.ts';
export { ScrapeRecords } from './records.ts';
export type { ScrapeRecordsOptions, SwarmFilters } from './records.ts';
export { ScrapeResponder } from './responder.ts';
export type { GetPeersFlags } from './responder.ts';
export { scrapeLookup } from './lookup.ts';
export type { ScrapeResult } from './lookup.ts';
export { lookupWithExtra } from './traversal.ts';
