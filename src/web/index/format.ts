/** How the index writes what it shows: escaped text, sizes, times, magnet links. */
import type { TorrentSummary } from './reader.ts';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML and XML, in element content and in quoted attributes alike. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Text safe for XML 1.0: escaped, and stripped of the control characters XML
 * cannot carry at all (a hostile name holding one would otherwise make the
 * whole feed unreadable).
 */
export function xmlText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return esc(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

/** 2026-12-07 11:45 UTC */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A magnet link naming every hash the torrent is known by (BEP 9; BEP 52's
 * btmh with the SHA-256 multihash prefix 1220 for v2), with its name.
 */
export function magnetLink(t: Pick<TorrentSummary, 'infohash' | 'infohashV2' | 'name'>): string {
  const parts: string[] = [];
  const v2Only = t.infohashV2 !== null && t.infohashV2.slice(0, 40) === t.infohash;
  if (!v2Only) parts.push(`xt=urn:btih:${t.infohash}`);
  if (t.infohashV2 !== null) parts.push(`xt=urn:btmh:1220${t.infohashV2}`);
  parts.push(`dn=${encodeURIComponent(t.name)}`);
  return `magnet:?${parts.join('&')}`;
}
