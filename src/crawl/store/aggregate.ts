/**
 * Fold a batch into one row per infohash before it reaches SQL: an upsert
 * statement may not touch the same key twice, and fewer rows is less work.
 * Rows come out sorted by infohash, so concurrent writers into PostgreSQL lock
 * rows in the same order and cannot deadlock each other.
 */
import type { PeerAddress } from '../metadata/types.ts';
import { MAX_KNOWN_PEERS, type CrawlBatch, type TorrentRecord } from './types.ts';

export interface ObservationRow {
  infohash: string;
  firstSeen: number;
  lastSeen: number;
  timesSeen: number;
  seenGetPeers: number;
  seenAnnounce: number;
  seenSample: number;
  /** JSON array of peer strings, newest first, at most MAX_KNOWN_PEERS. */
  peers: string;
}

export interface FailureRow {
  infohash: string;
  attempts: number;
  lastAttemptAt: number;
  lastFailure: string;
}

export interface AggregatedBatch {
  observations: ObservationRow[];
  torrents: TorrentRecord[];
  failures: FailureRow[];
}

const INFOHASH = /^[0-9a-f]{40}$/;

/** Throws TypeError on an infohash that is not 40 lower-case hex digits: a caller's bug. */
export function checkInfohash(infohash: string): void {
  if (!INFOHASH.test(infohash)) throw new TypeError(`not a lower-case hex infohash: ${JSON.stringify(infohash)}`);
}

export function aggregateBatch(batch: CrawlBatch): AggregatedBatch {
  const rows = new Map<string, ObservationRow & { peerList: string[] }>();
  // Newest observation first, so the kept peers are the most recent ones.
  const observations = [...(batch.observations ?? [])].sort((a, b) => b.at - a.at);
  for (const o of observations) {
    checkInfohash(o.infohash);
    let row = rows.get(o.infohash);
    if (row === undefined) {
      row = { infohash: o.infohash, firstSeen: o.at, lastSeen: o.at, timesSeen: 0, seenGetPeers: 0, seenAnnounce: 0, seenSample: 0, peers: '[]', peerList: [] };
      rows.set(o.infohash, row);
    }
    row.firstSeen = Math.min(row.firstSeen, o.at);
    row.lastSeen = Math.max(row.lastSeen, o.at);
    row.timesSeen++;
    if (o.source === 'get_peers') row.seenGetPeers++;
    else if (o.source === 'announce_peer') row.seenAnnounce++;
    else row.seenSample++;
    if (o.peer !== undefined && row.peerList.length < MAX_KNOWN_PEERS) {
      const text = formatPeer(o.peer);
      if (!row.peerList.includes(text)) row.peerList.push(text);
    }
  }
  const observationRows: ObservationRow[] = [];
  for (const { peerList, ...row } of rows.values()) observationRows.push({ ...row, peers: JSON.stringify(peerList) });
  observationRows.sort(byInfohash);

  const torrents = new Map<string, TorrentRecord>();
  for (const t of batch.torrents ?? []) {
    checkInfohash(t.infohash);
    if (!torrents.has(t.infohash)) torrents.set(t.infohash, t); // the first fetch wins, as in the database
  }

  const failures = new Map<string, FailureRow>();
  for (const f of batch.failures ?? []) {
    checkInfohash(f.infohash);
    const row = failures.get(f.infohash);
    if (row === undefined) failures.set(f.infohash, { infohash: f.infohash, attempts: 1, lastAttemptAt: f.at, lastFailure: f.reason });
    else {
      row.attempts++;
      if (f.at >= row.lastAttemptAt) {
        row.lastAttemptAt = f.at;
        row.lastFailure = f.reason;
      }
    }
  }

  return {
    observations: observationRows,
    torrents: [...torrents.values()].sort(byInfohash),
    failures: [...failures.values()].sort(byInfohash),
  };
}

function byInfohash(a: { infohash: string }, b: { infohash: string }): number {
  return a.infohash < b.infohash ? -1 : a.infohash > b.infohash ? 1 : 0;
}

/** 'host:port', IPv6 hosts bracketed. */
export function formatPeer(peer: PeerAddress): string {
  return peer.host.includes(':') ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`;
}

export function parsePeer(text: string): PeerAddress | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  let host = text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(text.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port <= 65_535 ? { host, port } : undefined;
}

/** Peers from a stored JSON array, skipping anything unreadable. */
export function parsePeerList(json: unknown): PeerAddress[] {
  let list: unknown = json;
  if (typeof json === 'string') {
    try {
      list = JSON.parse(json);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(list)) return [];
  const peers: PeerAddress[] = [];
  for (const item of list) {
    const peer = typeof item === 'string' ? parsePeer(item) : undefined;
    if (peer !== undefined) peers.push(peer);
  }
  return peers;
}
