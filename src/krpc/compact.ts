/**
 * Compact formats of BEP 5 (IPv4) and BEP 32 (IPv6):
 *
 * - compact peer info: IP + port, 6 or 18 bytes, network byte order;
 * - compact node info: 20-byte id + compact peer info, 26 or 38 bytes.
 *
 * Pure data, no I/O. Decoders skip what they cannot read and never throw.
 */
import type { AddressFamily, Endpoint } from '../ground/address.ts';
import { readIPv4, readIPv6, writeIPv4, writeIPv6 } from '../ground/address.ts';

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
export function decodeCompactPeers(values: Iterable<Uint8Array>): Peer[] {
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
