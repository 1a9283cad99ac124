/**
 * The DHT's numbers, each with where it comes from. Tunables among them have an
 * option in options.ts; the rest are protocol facts.
 */

/**
 * Bucket size and lookup width ("K, currently eight", BEP 5).
 * @example
 * import { DHT, K } from 'btdht';
 * const dht = new DHT({ k: 2 * K }); // bigger buckets than BEP 5's 8
 */
export const K = 8;
/**
 * Requests in flight per lookup (Kademlia's alpha; BEP 5 leaves it open).
 * @example
 * import { ALPHA, DHT } from 'btdht';
 * const dht = new DHT({ alpha: 2 * ALPHA }); // more queries in flight per lookup than the default 3
 */
export const ALPHA = 3;

/** Token secret rotation period (BEP 5: "a secret that changes every five minutes"). */
export const TOKEN_ROTATION_MS = 5 * 60_000;
/** A token is accepted this long at most (BEP 5: "tokens up to ten minutes old are accepted"). */
export const TOKEN_LIFETIME_MS = 2 * TOKEN_ROTATION_MS;
/** Token length on the wire: SHA-1 truncated to 8 bytes ("a short binary string", BEP 5). */
export const TOKEN_LENGTH = 8;

/** Announced peers expire this long after their last announce (BEP 5 leaves it open; 30 min is common practice). */
export const PEER_EXPIRY_MS = 30 * 60_000;
/** A bucket not changed for this long is refreshed (BEP 5: 15 minutes). */
export const BUCKET_REFRESH_MS = 15 * 60_000;
/** A node not heard from for this long is questionable (BEP 5: 15 minutes). */
export const QUESTIONABLE_AFTER_MS = 15 * 60_000;
/** Failures in a row after which a node is bad (BEP 5: "try once more before discarding"). */
export const MAX_FAILURES = 2;

/** How long we wait for a response (BEP 5 has no retry; KRPC leaves the timeout to us). */
export const QUERY_TIMEOUT_MS = 2_000;
/** Outstanding transactions at most; a query beyond it fails at once ('busy'). */
export const MAX_OUTSTANDING = 4_096;
/** Transaction id length: 2 bytes cover 2^16 outstanding queries (BEP 5). */
export const TRANSACTION_ID_LENGTH = 2;

/** Peers kept per infohash, and in total (memory bound against announce floods). */
export const MAX_PEERS_PER_INFOHASH = 2_000;
export const MAX_PEERS_TOTAL = 100_000;
/** Peers in one get_peers answer at most (keeps the datagram under a typical MTU). */
export const MAX_VALUES = 100;
/** Byte budget for `values` in one answer (each entry costs its length + a 2–3 byte prefix). */
export const VALUES_BYTE_BUDGET = 1_000;

/** Candidates a lookup keeps at most; the farthest beyond are dropped. */
export const MAX_CANDIDATES = 256;

/** Queries one lookup sends at most: a Sybil feeding ever-nearer fake ids cannot keep a lookup going. */
export const MAX_LOOKUP_QUERIES = 512;
/** Distinct peers one get_peers lookup collects at most (further new peers are ignored; the lookup goes on). */
export const MAX_PEERS_PER_LOOKUP = 10_000;

/** Routing upkeep tick, and refresh lookups started per tick at most. */
export const MAINTENANCE_INTERVAL_MS = 60_000;
export const MAX_REFRESHES_PER_TICK = 2;
/** Questionable bucket nodes pinged per tick (so nodes that left are found and replaced without waiting for a lookup to trip on them). */
export const MAX_STALE_PINGS_PER_TICK = 8;
/** Pings of unknown nodes that queried us (BEP 5 wants only nodes that answered us in the table). */
export const MAX_PENDING_PINGS = 64;
/** Replacement cache entries per bucket (BEP 5 leaves it open; one bucket's worth). */
export const REPLACEMENT_CACHE_SIZE = K;
/** Bucket count at most: only the bucket holding our id splits, down to the 160th bit. */
export const MAX_BUCKETS = 160;

/** Largest datagram read; bigger ones are dropped unread ('oversize'). BEP 5 messages fit one Ethernet MTU; the slack is for extensions (a BEP 44 put is ~1.3 KB). */
export const MAX_DATAGRAM_BYTES = 2_048;

/** Queries per source IP per second (token bucket, one second of burst) before we drop ('rate'); 0 disables rate limiting and blocking. */
export const MAX_QUERIES_PER_IP_PER_SECOND = 250;
/** A source this many seconds' worth of queries over its budget is ignored ('blocked') for RATE_LIMIT_BLOCK_MS. */
export const RATE_LIMIT_BLOCK_AFTER_SECONDS = 5;
/** How long a flooding source is ignored (libtorrent's dos_blocker uses 5 minutes too). */
export const RATE_LIMIT_BLOCK_MS = 5 * 60_000;
/** Source IPs the rate limiter tracks at most; the least recently active one is forgotten first. */
export const RATE_LIMITER_MAX_IPS = 10_000;

/** Our own queries per second at most (token bucket, one second of burst); 0 disables pacing. */
export const MAX_QUERIES_OUT_PER_SECOND = 500;
/** Our queries waiting for send budget at most; beyond, a query fails at once ('busy'). */
export const MAX_QUEUED_QUERIES = 1_024;

/**
 * Datagrams sent to one node (address and port) per second, queries and answers together, with
 * DESTINATION_BURST of burst: at most 40 in any 10 s, under the 50 that get a sender ignored for
 * 5 minutes by libtorrent's DoS blocker. 0 disables it.
 */
export const MAX_SENDS_PER_NODE_PER_SECOND = 3;
export const DESTINATION_BURST = 10;
/** A query that would wait longer than this for its destination's budget fails at once ('busy'). */
export const DESTINATION_MAX_WAIT_MS = 5_000;
/**
 * Crawler mode: an answer over its destination's budget waits at most this long, else is dropped
 * (libtorrent takes an answer up to 15 s late; its lookup goes on past a 1 s short timeout)…
 */
export const DESTINATION_ANSWER_MAX_WAIT_MS = 8_000;
/** …and our own queries leave this many tokens of the budget to answers. */
export const DESTINATION_ANSWER_RESERVE = 3;
/** Destinations whose send budget is remembered at most (the least recently used forgotten first). */
export const DESTINATION_MAX_TRACKED = 65_536;

/** BEP 42: distinct responders (one per /24, or /64 for IPv6) that must agree on our external IP before we believe it. */
export const BEP42_VOTES = 5;
/** Responders whose `ip` votes we remember at most (the oldest vote is forgotten first). */
export const MAX_IP_VOTERS = 256;
/** A vote counts this long (an address that changed is learned again). */
export const IP_VOTE_TTL_MS = 60 * 60_000;

/**
 * Bootstrap routers, as shipped by mainline clients.
 * @example
 * import { DEFAULT_BOOTSTRAP, DHT } from 'btdht';
 * const dht = new DHT({ bootstrap: [...DEFAULT_BOOTSTRAP, '192.0.2.10:6881'] });
 */
export const DEFAULT_BOOTSTRAP: readonly string[] = [
  'router.bittorrent.com:6881',
  'dht.transmissionbt.com:6881',
  'router.utorrent.com:6881',
  'dht.libtorrent.org:25401',
];
/** DNS lookups during bootstrap give up after this long (a router that does not resolve is skipped). */
export const DNS_TIMEOUT_MS = 5_000;

/** Our client version (`v`): 'BD' + version 0.1 (BEP 20 style: two letters, two version bytes). */
// Annotated: the inferred `Uint8Array<ArrayBuffer>` would make the typings need TypeScript >= 5.7.
export const CLIENT_VERSION: Uint8Array = new Uint8Array([0x42, 0x44, 0x00, 0x01]);

/** Saved-state format version (state.ts). */
export const STATE_VERSION = 1;
/** How often a node with a state file saves it while running (and at stop). */
export const STATE_SAVE_INTERVAL_MS = 5 * 60_000;

/** BEP 32: our find_node / get_peers queries ask for both families while the other family's table holds fewer nodes than this. */
export const WANT_BOTH_BELOW = 32;
