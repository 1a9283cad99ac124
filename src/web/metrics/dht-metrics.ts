/**
 * The node's Prometheus metrics, read through its public API: one `stats()`
 * and one `nodes()` per update, so a scrape sees one consistent snapshot.
 * What libtorrent counts for its DHT (nodes per family and state, messages
 * and bytes in/out, queries / responses / errors / timeouts per method, drops
 * by reason, invalid messages by kind, rate-limited sources), plus every
 * bounded table beside its cap and the BEP 42 vote.
 */
import type { Histogram } from 'prom-client';
import type { BucketStats, DHTStats, LookupEvent } from '../../dht/dht.ts';
import type { NodeState } from '../../core/routing-types.ts';
import type { Instruments, Levels, Totals } from './instruments.ts';

/** What the metrics read from a node (a `DHT` is one). */
export interface DhtSource {
  readonly ready: boolean;
  stats(): DHTStats;
  buckets(): BucketStats[];
  on(event: 'lookup', listener: (event: LookupEvent) => void): () => void;
}

/** Lookup durations, seconds: a lookup on a live DHT takes from a fraction of a second to tens with timeouts. */
export const LOOKUP_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
/** Queries one lookup sends (its cap, maxLookupQueries, defaults to 512). */
export const LOOKUP_QUERIES_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

const STATES: readonly NodeState[] = ['good', 'questionable', 'bad'];
const DECODE = 'decode:';

export class DhtMetrics {
  readonly #source: DhtSource;
  readonly #ready: Levels;
  readonly #nodes: Levels;
  readonly #buckets: Levels;
  readonly #bucketNodes: Levels;
  readonly #depthCapacity: Levels;
  readonly #tableEntries: Levels;
  readonly #tableCapacity: Levels;
  readonly #datagramsIn: Totals;
  readonly #datagramsOut: Totals;
  readonly #queriesIn: Totals;
  readonly #queriesOut: Totals;
  readonly #responsesIn: Totals;
  readonly #timeouts: Totals;
  readonly #errorsIn: Totals;
  readonly #errorsOut: Totals;
  readonly #dropped: Totals;
  readonly #invalid: Totals;
  readonly #blockedIps: Levels;
  readonly #blocks: Totals;
  readonly #budget: Totals;
  readonly #externalIp: Levels;
  readonly #ipVoters: Levels;
  readonly #ipVotes: Levels;
  readonly #ipCandidates: Levels;
  readonly #idCompliant: Levels;
  readonly #idChanges: Totals;
  readonly #bep42Refused: Totals;
  readonly #bep42Replaced: Totals;
  readonly #bytesIn: Totals;
  readonly #bytesOut: Totals;
  readonly #lookupsStarted: Totals;
  readonly #lookupsFinished: Totals;
  readonly #lookupsInFlight: Levels;
  readonly #lookupSeconds: Histogram;
  readonly #lookupQueries: Histogram;
  readonly #off: () => void;

  constructor(instruments: Instruments, source: DhtSource) {
    this.#source = source;
    const m = instruments;
    this.#ready = m.gauge('btdht_ready', '1 once bootstrap finished');
    this.#nodes = m.gauge('btdht_routing_nodes', 'Nodes in the routing table buckets, by address family and BEP 5 state', ['family', 'state']);
    this.#buckets = m.gauge('btdht_routing_buckets', 'Buckets of the routing table, by address family', ['family']);
    this.#bucketNodes = m.gauge(
      'btdht_routing_bucket_nodes',
      'Nodes in the buckets of each depth (prefix length; 0 = the farthest half of the keyspace), by family and BEP 5 state',
      ['family', 'depth', 'state'],
    );
    this.#depthCapacity = m.gauge('btdht_routing_bucket_capacity', 'Nodes the buckets of each depth hold at most (k per bucket), by family', ['family', 'depth']);
    this.#tableEntries = m.gauge('btdht_table_entries', 'Entries in each table that grows with network input', ['table']);
    this.#tableCapacity = m.gauge('btdht_table_capacity', "Each table's cap (0 = the table is off)", ['table']);
    this.#datagramsIn = m.counter('btdht_datagrams_in_total', 'UDP datagrams received');
    this.#datagramsOut = m.counter('btdht_datagrams_out_total', 'UDP datagrams sent (queries, responses, errors)');
    this.#bytesIn = m.counter('btdht_bytes_in_total', 'UDP payload bytes received');
    this.#bytesOut = m.counter('btdht_bytes_out_total', 'UDP payload bytes sent');
    this.#lookupsStarted = m.counter('btdht_lookups_started_total', 'Iterative lookups started (bootstrap, refresh, get_peers, BEP 44/51/33), by KRPC method', ['method']);
    this.#lookupsFinished = m.counter('btdht_lookups_finished_total', 'Lookups ended, by method and outcome: ok (some node answered), failed (none did), aborted', ['method', 'outcome']);
    this.#lookupsInFlight = m.gauge('btdht_lookups_in_flight', 'Lookups running now');
    this.#lookupSeconds = m.histogram('btdht_lookup_duration_seconds', 'Time from start to end of one lookup, by method', LOOKUP_SECONDS_BUCKETS, ['method']);
    this.#lookupQueries = m.histogram('btdht_lookup_queries', 'Queries sent by one lookup (retries included), by method', LOOKUP_QUERIES_BUCKETS, ['method']);
    this.#queriesIn = m.counter('btdht_queries_in_total', 'Well-formed queries received, by method (unknown methods as "(other)")', ['method']);
    this.#queriesOut = m.counter('btdht_queries_out_total', 'Queries sent, by method', ['method']);
    this.#responsesIn = m.counter('btdht_responses_in_total', 'Responses to our queries, by method', ['method']);
    this.#timeouts = m.counter('btdht_timeouts_total', 'Our queries that got no answer in time, by method', ['method']);
    this.#errorsIn = m.counter('btdht_errors_in_total', 'KRPC errors received, by code', ['code']);
    this.#errorsOut = m.counter('btdht_errors_out_total', 'KRPC errors sent, by code', ['code']);
    this.#dropped = m.counter('btdht_messages_dropped_total', 'Datagrams ignored and our queries refused, by reason (invalid messages counted apart)', ['reason']);
    this.#invalid = m.counter('btdht_invalid_messages_total', 'Datagrams that are not KRPC messages, by decode failure', ['kind']);
    this.#blockedIps = m.gauge('btdht_rate_limit_blocked_ips', 'Source IPs blocked now for going over their query budget');
    this.#blocks = m.counter('btdht_rate_limit_blocks_total', 'Source IPs blocked for flooding, since start');
    this.#budget = m.counter('btdht_destination_budget_total', "Sends the per-destination budget made wait or turned away, by kind (query, answer) and outcome (delayed; refused: a query given up, dropped: an answer past its longest wait)", ['kind', 'outcome']);
    this.#externalIp = m.gauge('btdht_external_ip_info', 'Our external IP as voted by responders (BEP 42), 1 per family once voted', ['family', 'ip']);
    this.#ipVoters = m.gauge('btdht_bep42_ip_voters', 'Responder networks (/24, /64) whose vote on our external IP is held (BEP 42), by family', ['family']);
    this.#ipVotes = m.gauge('btdht_bep42_external_ip_votes', 'Votes held for the adopted external IP (0 before one is adopted), by family', ['family']);
    this.#ipCandidates = m.gauge('btdht_bep42_external_ip_candidates', 'Distinct IPs responders say we have (more than 1: they disagree), by family', ['family']);
    this.#idCompliant = m.gauge('btdht_bep42_id_compliant', '1 when our node id matches our voted external IP (BEP 42), 0 when not; absent before a vote. Label: the bep42 mode', ['mode']);
    this.#idChanges = m.counter('btdht_bep42_id_changes_total', 'Node id changes to match our external IP (BEP 42)');
    this.#bep42Refused = m.counter('btdht_bep42_nodes_refused_total', "Nodes kept out of the routing table: id does not match IP (bep42 'enforce')");
    this.#bep42Replaced = m.counter('btdht_bep42_nodes_replaced_total', "Non-compliant nodes swapped out for compliant ones (bep42 'prefer')");
    this.#off = source.on('lookup', (event) => {
      // Aborted lookups (stop(), a caller's signal) say nothing of the network: not timed.
      if (event.outcome === 'aborted') return;
      this.#lookupSeconds.observe({ method: event.method }, event.durationMs / 1000);
      this.#lookupQueries.observe({ method: event.method }, event.queried);
    });
  }

  /** Stop listening to the node. */
  close(): void {
    this.#off();
  }

  /** Read the node once and set every instrument. */
  update(): DHTStats {
    const stats = this.#source.stats();
    this.#ready.set(this.#source.ready ? 1 : 0);
    this.#routing(stats);
    this.#tables(stats);
    this.#traffic(stats);
    this.#bep42(stats);
    return stats;
  }

  #routing(stats: DHTStats): void {
    this.#buckets.reset();
    for (const family of stats.families) this.#buckets.set(family.buckets, { family: `ipv${family.family}` });
    // By family and depth (buckets of one depth summed: several with several ids of ours).
    const byState = new Map<string, number>();
    for (const f of stats.families) for (const state of STATES) byState.set(`ipv${f.family}|${state}`, 0);
    const byDepth = new Map<string, { family: string; depth: number; good: number; questionable: number; bad: number; capacity: number }>();
    for (const bucket of this.#source.buckets()) {
      const family = `ipv${bucket.family}`;
      const key = `${family}|${bucket.depth}`;
      const entry = byDepth.get(key) ?? { family, depth: bucket.depth, good: 0, questionable: 0, bad: 0, capacity: 0 };
      byDepth.set(key, entry);
      entry.capacity += bucket.capacity;
      for (const state of STATES) {
        entry[state] += bucket[state];
        byState.set(`${family}|${state}`, (byState.get(`${family}|${state}`) ?? 0) + bucket[state]);
      }
    }
    this.#nodes.reset();
    for (const [key, count] of byState) {
      const [family, state] = key.split('|') as [string, string];
      this.#nodes.set(count, { family, state });
    }
    this.#bucketNodes.reset();
    this.#depthCapacity.reset();
    for (const entry of byDepth.values()) {
      for (const state of STATES) this.#bucketNodes.set(entry[state], { family: entry.family, depth: entry.depth, state });
      this.#depthCapacity.set(entry.capacity, { family: entry.family, depth: entry.depth });
    }
  }

  #tables(stats: DHTStats): void {
    for (const [name, { size, cap }] of Object.entries(stats.tables)) {
      const table = snakeCase(name);
      this.#tableEntries.set(size, { table });
      this.#tableCapacity.set(cap, { table });
    }
  }

  #traffic(stats: DHTStats): void {
    this.#datagramsIn.set(stats.datagramsIn);
    this.#datagramsOut.set(stats.datagramsOut);
    this.#bytesIn.set(stats.bytesIn);
    this.#bytesOut.set(stats.bytesOut);
    this.#lookupsStarted.reset();
    this.#lookupsStarted.setBy('method', stats.lookups.started);
    this.#lookupsFinished.reset();
    for (const outcome of ['ok', 'failed', 'aborted'] as const) this.#lookupsFinished.setBy('method', stats.lookups[outcome], { outcome });
    this.#lookupsInFlight.set(stats.lookups.inFlight);
    for (const [totals, counts, label] of [
      [this.#queriesIn, stats.queriesIn, 'method'],
      [this.#queriesOut, stats.queriesOut, 'method'],
      [this.#responsesIn, stats.responsesIn, 'method'],
      [this.#timeouts, stats.timeouts, 'method'],
      [this.#errorsIn, stats.errorsIn, 'code'],
      [this.#errorsOut, stats.errorsOut, 'code'],
    ] as const) {
      totals.reset();
      totals.setBy(label, counts);
    }
    this.#dropped.reset();
    this.#dropped.setBy('reason', stats.drops, {}, (reason) => reason.startsWith(DECODE));
    this.#invalid.reset();
    for (const [reason, count] of Object.entries(stats.drops)) if (reason.startsWith(DECODE)) this.#invalid.add({ kind: reason.slice(DECODE.length) }, count);
    this.#blockedIps.set(stats.blockedIps);
    this.#blocks.set(stats.blocks);
    const budget = stats.destinationBudget;
    this.#budget.reset();
    this.#budget.add({ kind: 'query', outcome: 'delayed' }, budget.queriesDelayed);
    this.#budget.add({ kind: 'query', outcome: 'refused' }, budget.queriesRefused);
    this.#budget.add({ kind: 'answer', outcome: 'delayed' }, budget.answersDelayed);
    this.#budget.add({ kind: 'answer', outcome: 'dropped' }, budget.answersDropped);
  }

  #bep42(stats: DHTStats): void {
    this.#externalIp.reset();
    for (const family of stats.families) {
      const labels = { family: `ipv${family.family}` };
      if (family.externalIp !== undefined) this.#externalIp.set(1, { ...labels, ip: family.externalIp });
      this.#ipVoters.set(family.ipVotes.voters, labels);
      this.#ipVotes.set(family.ipVotes.forExternalIp, labels);
      this.#ipCandidates.set(family.ipVotes.candidates, labels);
    }
    this.#idCompliant.reset();
    if (stats.bep42.idCompliant !== undefined) this.#idCompliant.set(stats.bep42.idCompliant ? 1 : 0, { mode: stats.bep42.mode });
    this.#idChanges.set(stats.bep42.idChanges);
    this.#bep42Refused.set(stats.bep42.refused);
    this.#bep42Replaced.set(stats.bep42.replaced);
  }
}

/** `replacementCache` → `replacement_cache` (Prometheus label values by custom). */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
