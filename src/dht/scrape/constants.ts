/** BEP 33 numbers, each with where it comes from. */

/** "Nodes should try to keep max(seeds, peers) below 6000" per infohash (BEP 33): beyond it we store no new IP and give no token. */
export const MAX_SCRAPE_ENTRIES = 6_000;
/** Seed/peer records kept in total (memory bound against announce floods, like the peer store's cap). */
export const MAX_SCRAPE_RECORDS = 100_000;
/** A record lives as long as an announced peer (30 min after its last announce). */
export const SCRAPE_RECORD_EXPIRY_MS = 30 * 60_000;
/** A filter claiming more than this many entries is not believed (BEP 33: requesters "may perform sanity checks ... if they are not full"). */
export const MAX_BELIEVED_ESTIMATE = 6_500;
/** BEP 33 "Scrape scheduling": a low-priority lookup, 3 requests in flight. */
export const SCRAPE_ALPHA = 3;
