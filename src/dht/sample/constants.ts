/** BEP 51 numbers, each with where it comes from. */

/** Seconds a crawler should wait before asking us again (BEP 51 `interval`; 6 h is libtorrent's default and common practice). */
export const SAMPLE_INTERVAL_SECONDS = 6 * 60 * 60;
/** Largest interval we believe from others (a node asking for more is still re-asked after this). */
export const MAX_SAMPLE_INTERVAL_SECONDS = 6 * 60 * 60;
/** Datagram payload cap (BEP 32: "must not send UDP datagrams with a payload larger than 1024 octets"): samples are cut to fit. */
export const SAMPLE_PACKET_BYTES = 1024;
/** Bytes of a sample answer besides `nodes`, the samples, `t` and `ip` (keys, id, interval, num, version, framing), rounded up. */
export const SAMPLE_ANSWER_OVERHEAD = 140;
/** sample_infohashes answers per second, node-wide; beyond, dropped (BEP 51 wants crawlers to pace themselves). */
export const SAMPLE_ANSWERS_PER_SECOND = 50;
/** Queries a walk keeps in flight (its own share of the node's send budget). */
export const WALK_CONCURRENCY = 16;
/** Nodes a walk remembers having asked (for their interval), infohashes it remembers having yielded, nodes waiting to be asked. */
export const WALK_MAX_ASKED = 200_000;
export const WALK_MAX_SEEN = 1_000_000;
export const WALK_MAX_FRONTIER = 200_000;
/** Infohashes found but not yet consumed, above which a walk stops sending until the consumer catches up. */
export const WALK_HIGH_WATER = 10_000;
