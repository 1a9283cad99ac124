/**
 * How `btdht crawl` shows itself: a progress line on stderr — rewritten in
 * place on a terminal, one line every few seconds into a file or a pipe — and
 * the summary at the end.
 */
import type { CrawlerStats } from '../crawl/crawler-stats.ts';
import type { FetchFailure } from '../crawl/metadata/types.ts';
import type { HarvestSource } from '../crawl/store/types.ts';

/** Where progress goes: stderr, or a test's capture. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface CrawlSummary {
  seconds: number;
  node: { host: string; port: number; ids: number };
  infohashes: {
    /** Distinct infohashes harvested, by the source that first showed each. */
    unique: number;
    uniqueBySource: Record<HarvestSource, number>;
    /** Every sighting, by source. */
    sightings: Record<HarvestSource, number>;
  };
  metadata: {
    enabled: boolean;
    fetched: number;
    failed: number;
    retries: number;
    alreadyFetched: number;
    dropped: number;
    failures: Record<FetchFailure, number>;
    /** Where fetches found peers: get_peers straight to a node whose BEP 51 sample listed the infohash, and lookups (each with the peers they gave). */
    holderAsks: number;
    holderPeers: number;
    lookups: number;
    lookupPeers: number;
  };
  store: {
    kind: 'sqlite' | 'postgres';
    /** The file, or the URL without its password. */
    target: string;
    itemsWritten: number;
    batches: number;
    itemsDropped: number;
    shedBatches: number;
    errors: number;
    /** Rows in the database at the end (every crawl that wrote there, not only this one). */
    rows: { infohashes: number; torrents: number };
  };
  /**
   * Swarm health, when on (metadata on, a period above 0): BEP 33 scrapes done
   * (and failed), swarms recorded in the database, torrents on the schedule.
   */
  swarm?: { checkIntervalMs: number; checks: number; failed: number; recorded: number; tracked: number };
  torrentFiles?: { dir: string; written: number; failed: number };
  /** Caps of the node above a node's defaults in this crawl (also listed at its start). */
  raisedCaps?: Array<{ key: string; nodeDefault: number; value: number }>;
  /** Retention, when a limit was set: torrents removed by this crawl. */
  retention?: { by: 'oldest' | 'least-seeded'; removed: number; errors: number; maxTorrents?: number; maxDbBytes?: number; usedBytes?: number };
}

const SOURCES: readonly HarvestSource[] = ['get_peers', 'announce_peer', 'sample'];
const SHORT: Record<HarvestSource, string> = { get_peers: 'get_peers', announce_peer: 'announce', sample: 'sample' };

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function rate(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** One line: infohashes/s by source, metadata per minute and in all, queue, connections, rows written. */
export function progressLine(stats: CrawlerStats): string {
  const i = stats.infohashes;
  const m = stats.metadata;
  const unique = i.unique.get_peers + i.unique.announce_peer + i.unique.sample;
  const parts = [
    `crawl ${formatDuration(stats.uptimeMs)}`,
    `infohashes/s ${SOURCES.map((s) => `${SHORT[s]} ${rate(i.perSecond[s])}`).join(' ')}`,
    `unique ${unique}`,
  ];
  if (m.enabled) {
    parts.push(`metadata/min ok ${rate(m.perMinute.fetched)} failed ${rate(m.perMinute.failed)}`);
    parts.push(`fetched ${m.fetched} failed ${m.failed}`);
    parts.push(`queue ${m.queued + m.retryWaiting} (${m.inFlight} fetching)`);
    parts.push(`conns ${stats.connections.open}`);
  }
  if (stats.swarm !== undefined) parts.push(`swarms checked ${stats.swarm.checks} recorded ${stats.swarm.recorded}`);
  parts.push(`rows written ${stats.store.itemsWritten}`);
  if (stats.store.errors > 0) parts.push(`store errors ${stats.store.errors}`);
  return parts.join(' | ');
}

/** Repaints the line every `ttyIntervalMs` on a terminal; prints one every `lineIntervalMs` elsewhere. */
export class ProgressReporter {
  readonly #stream: ProgressStream;
  readonly #read: () => CrawlerStats;
  readonly #tty: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  #painted = false;

  constructor(stream: ProgressStream, read: () => CrawlerStats, options: { ttyIntervalMs?: number; lineIntervalMs?: number } = {}) {
    this.#stream = stream;
    this.#read = read;
    this.#tty = stream.isTTY === true;
    const every = this.#tty ? (options.ttyIntervalMs ?? 1_000) : (options.lineIntervalMs ?? 5_000);
    this.#timer = setInterval(() => this.#show(), every);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Print a message on its own line, without breaking the progress line. */
  note(line: string): void {
    this.#clear();
    this.#stream.write(`${line}\n`);
  }

  /** Stop; on a terminal, the last state stays on screen. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty && this.#painted) {
      this.#stream.write(`\r\x1b[K${progressLine(this.#read())}\n`);
      this.#painted = false;
    }
  }

  #show(): void {
    const line = progressLine(this.#read());
    if (this.#tty) {
      this.#stream.write(`\r\x1b[K${line}`);
      this.#painted = true;
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  #clear(): void {
    if (this.#tty && this.#painted) {
      this.#stream.write('\r\x1b[K');
      this.#painted = false;
    }
  }
}

/** The summary, for people. */
export function formatSummary(summary: CrawlSummary): string[] {
  const i = summary.infohashes;
  const m = summary.metadata;
  const st = summary.store;
  const sightings = SOURCES.reduce((n, s) => n + i.sightings[s], 0);
  const lines = [
    `crawl summary: ${summary.seconds.toFixed(1)} s on ${summary.node.host}:${summary.node.port} (${summary.node.ids} id${summary.node.ids === 1 ? '' : 's'})`,
    `  infohashes  ${i.unique} distinct, first seen via ${SOURCES.map((s) => `${s} ${i.uniqueBySource[s]}`).join(', ')}; ` +
      `${sightings} sightings (${SOURCES.map((s) => `${s} ${i.sightings[s]}`).join(', ')})`,
  ];
  if (m.enabled) {
    const reasons = Object.entries(m.failures)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`);
    lines.push(
      `  metadata    ${m.fetched} fetched and verified, ${m.failed} failed, ${m.retries} retries, ${m.alreadyFetched} already in the database` +
        (reasons.length > 0 ? ` (failed attempts: ${reasons.join(', ')})` : '') +
        (m.dropped > 0 ? `, ${m.dropped} left for later (queue full)` : ''),
    );
  } else {
    lines.push('  metadata    off (--no-metadata)');
  }
  lines.push(
    `  database    ${st.kind} ${st.target}: ${st.rows.infohashes} infohashes, ${st.rows.torrents} torrents` +
      ` (${st.itemsWritten} items written in ${st.batches} batch${st.batches === 1 ? '' : 'es'}` +
      (st.itemsDropped + st.shedBatches + st.errors > 0 ? `; ${st.itemsDropped} items lost, ${st.shedBatches} batches shed, ${st.errors} errors` : '') +
      ')',
  );
  const sw = summary.swarm;
  if (sw !== undefined) {
    lines.push(
      `  swarms      ${sw.recorded} seeders/leechers counts recorded from ${sw.checks} BEP 33 scrape${sw.checks === 1 ? '' : 's'}` +
        `${sw.failed > 0 ? ` (${sw.failed} failed)` : ''}; ${sw.tracked} torrent${sw.tracked === 1 ? '' : 's'} scheduled (soon after the fetch, then every ${formatDuration(sw.checkIntervalMs)})`,
    );
  } else if (m.enabled) {
    lines.push('  swarms      not checked (--swarm-check-interval-ms 0)');
  }
  const r = summary.retention;
  if (r !== undefined) {
    const limits = [r.maxTorrents !== undefined ? `at most ${r.maxTorrents} torrents` : '', r.maxDbBytes !== undefined ? `at most ${r.maxDbBytes} bytes (${r.usedBytes ?? '?'} in use)` : ''].filter((x) => x !== '').join(', ');
    lines.push(`  retention   ${r.removed} torrent${r.removed === 1 ? '' : 's'} removed (${r.by} first; ${limits})${r.errors > 0 ? `, ${r.errors} checks failed` : ''}`);
  }
  if (summary.torrentFiles) lines.push(`  .torrent    ${summary.torrentFiles.written} files in ${summary.torrentFiles.dir}${summary.torrentFiles.failed > 0 ? ` (${summary.torrentFiles.failed} failed)` : ''}`);
  return lines;
}
