/**
 * Compact formats of BEP 5 (IPv4) and BEP 32 (IPv6):
 *
 * - compact peer info: IP + port, 6 or 18 bytes, network byte order;
 * - compact node info: 20-byte id + compact peer info, 26 or 38 bytes.
 *
 * Pure data, no I/O. Decoders skip what they cannot read and never throw.
 */
import type { AddressFamily, Endpoint } from '../transport/types.ts';

/** Bytes of a node id / infohash. */
export const ID_LENGTH = 20;
/** Compact peer info length per family. */
export const COMPACT_PEER_LENGTH = { 4: 6, 6: 18 } as const;
/** Compact node info length per family. */
export const COMPACT_NODE_LENGTH = { 4: 26, 6: 38 } as const;

/** A peer (a BitTorrent client's TCP/uTP contact), as found in `values`. */
export interface Peer {
  host: string;
  port: number;
}

/** One entry of a compact node info list. */
export interface CompactNode {
  id: Uint8Array;
  host: string;
  port: number;
  family: AddressFamily;
  /** Compact address (IP + port), as the routing table keeps it. */
  address: Uint8Array;
}

/** Write the 4 bytes of a dotted-quad IPv4 literal at `out[offset]`. False if `host` is not one. */
export function writeIPv4(host: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let digits = 0;
  let index = 0;
  for (let i = 0; i <= host.length; i++) {
    const code = i < host.length ? host.charCodeAt(i) : 46; // a final '.'
    if (code >= 48 && code <= 57) {
      part = part * 10 + (code - 48);
      if (++digits > 3 || part > 255) return false;
    } else if (code === 46) {
      if (digits === 0 || index > 3) return false;
      out[offset + index++] = part;
      part = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return index === 4;
}

/** Write the 16 bytes of an IPv6 literal (brackets and zone id allowed) at `out[offset]`. */
export function writeIPv6(host: string, out: Uint8Array, offset: number): boolean {
  let text = host;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups: number[] = [];
  const parseHalf = (half: string, last: boolean): number[] | undefined => {
    if (half === '') return [];
    const parts = half.split(':');
    const words: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (last && i === parts.length - 1 && part.includes('.')) {
        const v4 = new Uint8Array(4);
        if (!writeIPv4(part, v4, 0)) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      words.push(parseInt(part, 16));
    }
    return words;
  };
  const head = parseHalf(halves[0]!, halves.length === 1);
  if (!head) return false;
  if (halves.length === 2) {
    const tail = parseHalf(halves[1]!, true);
    if (!tail || head.length + tail.length > 7) return false;
    groups.push(...head);
    for (let i = head.length + tail.length; i < 8; i++) groups.push(0);
    groups.push(...tail);
  } else {
    if (head.length !== 8) return false;
    groups.push(...head);
  }
  for (let i = 0; i < 8; i++) {
    out[offset + 2 * i] = groups[i]! >> 8;
    out[offset + 2 * i + 1] = groups[i]! & 0xff;
  }
  return true;
}

/** The family of a numeric IP literal, or undefined if `host` is not one (a name). */
export function ipFamily(host: string): AddressFamily | undefined {
  const scratch = new Uint8Array(16);
  if (writeIPv4(host, scratch, 0)) return 4;
  if (host.includes(':') && writeIPv6(host, scratch, 0)) return 6;
  return undefined;
}

/** Dotted quad of 4 bytes at `bytes[offset]`. */
export function readIPv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text of 16 bytes at `bytes[offset]` (lower case, longest zero run as '::'). */
export function readIPv6(bytes: Uint8Array, offset: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1; // a single zero word is not compressed
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => words.slice(from, to).map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/**
 * Compact peer info (IP + port) of an endpoint: 6 bytes for IPv4, 18 for IPv6.
 * Undefined if `host` is not a numeric IP or `port` not in 0..65535.
 */
export function encodeCompactAddress(host: string, port: number): Uint8Array | undefined {
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  let out = new Uint8Array(6);
  if (writeIPv4(host, out, 0)) {
    out[4] = port >> 8;
    out[5] = port & 0xff;
    return out;
  }
  out = new Uint8Array(18);
  if (!writeIPv6(host, out, 0)) return undefined;
  out[16] = port >> 8;
  out[17] = port & 0xff;
  return out;
}

/** Endpoint of compact peer info (6 or 18 bytes at `offset`); undefined for other lengths. */
export function decodeCompactAddress(bytes: Uint8Array, offset = 0, length = bytes.length - offset): Endpoint | undefined {
  if (length === 6 && offset + 6 <= bytes.length) {
    return { host: readIPv4(bytes, offset), port: (bytes[offset + 4]! << 8) | bytes[offset + 5]!, family: 4 };
  }
  if (length === 18 && offset + 18 <= bytes.length) {
    return { host: readIPv6(bytes, offset), port: (bytes[offset + 16]! << 8) | bytes[offset + 17]!, family: 6 };
  }
  return undefined;
}

/** Peers of a get_peers `values` list; entries of the wrong size or with port 0 are skipped. */
export function decodeCompactPeers(values: readonly Uint8Array[]): Peer[] {
  const peers: Peer[] = [];
  for (const value of values) {
    const endpoint = decodeCompactAddress(value);
    if (endpoint && endpoint.port !== 0) peers.push({ host: endpoint.host, port: endpoint.port });
  }
  return peers;
}

/** Compact peer info of a peer; throws TypeError if the host is not a numeric IP or the port is bad. */
export function encodeCompactPeer(peer: Peer): Uint8Array {
  const bytes = encodeCompactAddress(peer.host, peer.port);
  if (!bytes) throw new TypeError(`not an IP literal and port: ${JSON.stringify(peer)}`);
  return bytes;
}

/**
 * Nodes of a compact node info string for `family` (26-byte entries for IPv4,
 * 38 for IPv6). A trailing partial entry is ignored; ids and addresses are copies.
 */
export function decodeCompactNodes(bytes: Uint8Array, family: AddressFamily): CompactNode[] {
  const entry = COMPACT_NODE_LENGTH[family];
  const nodes: CompactNode[] = [];
  for (let offset = 0; offset + entry <= bytes.length; offset += entry) {
    const address = bytes.slice(offset + ID_LENGTH, offset + entry);
    const endpoint = decodeCompactAddress(address, 0, entry - ID_LENGTH)!;
    nodes.push({
      id: bytes.slice(offset, offset + ID_LENGTH),
      host: endpoint.host,
      port: endpoint.port,
      family,
      address,
    });
  }
  return nodes;
}

/** Compact node info of nodes of one family; throws TypeError on a bad id or address. */
export function encodeCompactNodes(nodes: readonly { id: Uint8Array; host: string; port: number }[], family: AddressFamily): Uint8Array {
  const entry = COMPACT_NODE_LENGTH[family];
  const out = new Uint8Array(nodes.length * entry);
  nodes.forEach((node, i) => {
    if (node.id.length !== ID_LENGTH) throw new TypeError(`node id must be ${ID_LENGTH} bytes, got ${node.id.length}`);
    const address = encodeCompactAddress(node.host, node.port);
    if (!address || address.length !== entry - ID_LENGTH) {
      throw new TypeError(`not an IPv${family} endpoint: ${node.host}:${node.port}`);
    }
    out.set(node.id, i * entry);
    out.set(address, i * entry + ID_LENGTH);
  });
  return out;
}
