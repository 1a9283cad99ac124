/** The public face's vocabulary: the events a node emits and the shapes its operations answer with. */
import type { KrpcQuery } from '../ground/messages.ts';
import type { Endpoint } from '../ground/address.ts';
import type { Peer } from '../krpc/compact.ts';
import type { NodeInfo } from './routing.ts';
import type { Counts, LookupOutcome } from './stats.ts';

/**
 * Events of a DHT node.
 * @example
 * import { DHT, toHex } from 'btdht';
 * const dht = new DHT();
 * dht.on('peer', ({ infohash, peer }) => console.log(toHex(infohash), `${peer.host}:${peer.port}`));
 * dht.on('warning', (error) => console.warn(error.message));
 * dht.once('ready', () => console.log('bootstrapped'));
 * await dht.start();
 */
export interface DHTEvents {
  /** Bootstrap finished (whether or not anyone answered). */
  ready: undefined;
  /** A peer found by one of our get_peers lookups. */
  peer: { infohash: Uint8Array; peer: Peer };
  /** A node entered the routing table. */
  node: NodeInfo;
  /** A peer announced itself to us (announce_peer accepted). */
  announce: { infohash: Uint8Array; peer: Peer };
  /** Something went wrong that does not stop the node (unreachable router, a throwing hook, ...). */
  warning: Error;
  /** Every well-formed incoming query, before it is answered (bytes valid only during the call). */
  query: { query: KrpcQuery; from: Endpoint };
  /** Enough responders agree on our external IP (BEP 42 `ip` votes); `ip` is 4 or 16 bytes. */
  'external-ip': { host: string; ip: Uint8Array };
  /** Our node id changed to match our external IP (BEP 42); the routing table was rebuilt around it and a self-lookup started. */
  id: { id: Uint8Array; previous: Uint8Array; externalIp: string };
  /** An iterative lookup ended (bootstrap, bucket refresh, get_peers, BEP 44/51/33 ones): for metrics. */
  lookup: LookupEvent;
}

/**
 * One finished lookup: its KRPC method, how long it ran, the queries it sent.
 * @example
 * import { DHT, type LookupEvent } from 'btdht';
 * const dht = new DHT();
 * dht.on('lookup', (lookup: LookupEvent) => {
 *   console.log(lookup.method, lookup.outcome, `${lookup.durationMs} ms`, `${lookup.answered}/${lookup.queried} answered`);
 * });
 * await dht.start();
 */
export interface LookupEvent {
  method: string;
  family: 4 | 6;
  outcome: LookupOutcome;
  durationMs: number;
  /** Queries sent (retries included), answers, failures. */
  queried: number;
  answered: number;
}

/**
 * A table that grows with what the network sends: its size now and its cap.
 * @example
 * import { DHT, type TableSize } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const peers: TableSize = dht.stats().tables.peers;
 * if (peers.size > 0.9 * peers.cap) console.warn(`peer store nearly full: ${peers.size} of ${peers.cap}`);
 */
export interface TableSize {
  size: number;
  cap: number;
}

/**
 * What `stats()` reports.
 * @example
 * import { DHT, type DHTStats } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const stats: DHTStats = dht.stats();
 * console.log(stats.nodes, 'nodes,', stats.queriesIn.total, 'queries in,', stats.drops.total, 'datagrams dropped');
 * for (const family of stats.families) console.log(`IPv${family.family}`, family.address, family.externalIp ?? '(external IP not voted yet)');
 */
export interface DHTStats {
  /** Nodes in the routing tables' buckets (both families on a dual-stack node). */
  nodes: number;
  buckets: number;
  /** Per address family (BEP 32): its socket, routing table, stored peers and external IP once voted. */
  families: {
    family: 4 | 6;
    address: string;
    nodes: number;
    buckets: number;
    peersStored: number;
    externalIp: string | undefined;
    /** BEP 42 votes on our external IP: responder networks voting, votes for the adopted IP, distinct IPs voted for. */
    ipVotes: { voters: number; forExternalIp: number; candidates: number };
  }[];
  /** Incoming queries by method (unknown methods counted as '(other)'). */
  queriesIn: Counts;
  /** Our queries by method. */
  queriesOut: Counts;
  /** Answers to our queries by method. */
  responsesIn: Counts;
  /** KRPC errors received / sent, by code. */
  errorsIn: Counts;
  errorsOut: Counts;
  /** Our queries that got no answer in time, by method. */
  timeouts: Counts;
  /**
   * Datagrams ignored, and our queries refused, by reason:
   * - 'oversize': longer than `maxDatagramBytes`, dropped unread;
   * - 'blocked': from a source IP blocked for flooding;
   * - 'rate': a query (or undecodable datagram we would answer) over its source IP's budget;
   * - 'decode:<code>': not a KRPC message (answered 203 when it had a transaction id);
   * - 'unknown-transaction': a response or error matching none of our queries (or from the wrong address);
   * - 'hook': a query hook said drop;
   * - 'not-ready': arrived while the node was starting;
   * - 'socket-error': an error reported by the transport;
   * - 'internal': a bug of ours caught at the socket handler (also a 'warning');
   * - 'busy' / 'send-queue-full': one of our queries refused (too many outstanding / pacing queue full).
   */
  drops: Counts;
  /** Datagrams received from the transport, and sent; and their payload bytes. */
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Iterative lookups by method: started, ended by outcome, running now. */
  lookups: { started: Counts; ok: Counts; failed: Counts; aborted: Counts; inFlight: number };
  /** Our queries sent or queued, not yet answered. */
  outstanding: number;
  peersStored: number;
  infohashesStored: number;
  /** Every table that grows with network input, with its cap (docs/SECURITY.md). */
  tables: {
    routing: TableSize;
    replacementCache: TableSize;
    outstanding: TableSize;
    sendQueue: TableSize;
    peers: TableSize;
    infohashes: TableSize;
    pendingPings: TableSize;
    /** Nodes that answered but have no bucket place, remembered so their queries do not each cost a ping. */
    recentAnswers: TableSize;
    rateLimitedIps: TableSize;
    /** Remote nodes whose send budget is tracked (what each receives from us, destination-budget.ts). */
    destinations: TableSize;
    ipVoters: TableSize;
    items: TableSize;
    scrapeRecords: TableSize;
    /** Crawler mode: which of our ids each recently queried address knows us by. */
    askedAs: TableSize;
    /** Crawler mode: answers waiting for their destination's send budget. */
    heldAnswers: TableSize;
  };
  /**
   * What the per-destination send budget did since start (destination-budget.ts): queries
   * that waited for it or were refused ('destination-busy'), and in crawler mode answers
   * that waited or were dropped past their longest wait (also drop 'answer-over-budget').
   */
  destinationBudget: { queriesDelayed: number; queriesRefused: number; answersDelayed: number; answersDropped: number };
  /** Source IPs blocked now for flooding, and blocks since start. */
  blockedIps: number;
  blocks: number;
  /** BEP 42: the mode, our external IP once voted, whether our id matches it, id changes, nodes kept out ('enforce') or swapped out ('prefer'). */
  bep42: { mode: string; externalIp: string | undefined; idCompliant: boolean | undefined; idChanges: number; refused: number; replaced: number };
}

/**
 * The answer to `ping()`.
 * @example
 * import { DHT, type PingResult } from 'btdht';
 * const dht = new DHT({ bootstrap: [] });
 * await dht.start();
 * const pong: PingResult = await dht.ping('127.0.0.1:6881');
 * console.log(`${pong.host}:${pong.port} answered in ${pong.rtt} ms`);
 */
export interface PingResult {
  id: Uint8Array;
  host: string;
  port: number;
  /** Round trip in ms. */
  rtt: number;
}

/**
 * @example
 * import { DHT, type GetPeersOptions } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const options: GetPeersOptions = { limit: 50, signal: AbortSignal.timeout(10_000) };
 * const peers = await dht.getPeers('e3811b9539cacff680e418124272177c47477157', options);
 */
export interface GetPeersOptions {
  /** Stop once this many distinct peers were found. */
  limit?: number;
  /** Stop early; getPeers then resolves with the peers found so far. */
  signal?: AbortSignal;
}

/**
 * @example
 * import { DHT, type AnnounceOptionsInput } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * // Peers should connect to our BitTorrent client's port, not the DHT's.
 * const options: AnnounceOptionsInput = { port: 51413, impliedPort: false };
 * const stored = await dht.announcePeer('e3811b9539cacff680e418124272177c47477157', options); // how many nodes took the announce
 */
export interface AnnounceOptionsInput {
  /** The port peers should connect to (default: our DHT port with impliedPort). */
  port?: number;
  /** Ask the storing nodes to take our UDP source port (BEP 5 implied_port); default true when no port is given. */
  impliedPort?: boolean;
}
