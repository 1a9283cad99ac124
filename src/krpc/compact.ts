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

/**
 * A peer (a BitTorrent client's TCP/uTP contact), as found in `values`.
 * @example
 * import { DHT, type Peer } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const peers: Peer[] = await dht.getPeers('e3811b9539cacff680e418124272177c47477157', { limit: 20 });
 * for (const { host, port } of peers) console.log(`${host}:${port}`);
 */
export interface Peer {
  host: string;
  port: number;
}

/**
 * One entry of a compact node info list.
 * @example
 * import { decodeCompactNodes, encodeCompactNodes, type CompactNode } from 'btdht';
 * const bytes = encodeCompactNodes([{ id: new Uint8Array(20), host: '192.0.2.1', port: 6881 }], 4); // 26 bytes
 * const nodes: CompactNode[] = decodeCompactNodes(bytes, 4); // [{ id, host: '192.0.2.1', port: 6881, family: 4, address }]
 */
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
 * @example
 * import { encodeCompactAddress } from 'btdht';
 * encodeCompactAddress('192.0.2.7', 6881); // 6 bytes
 * encodeCompactAddress('::1', 6881); // 18 bytes
 * encodeCompactAddress('example.com', 6881); // undefined: not an IP literal
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

/**
 * Endpoint of compact peer info (6 or 18 bytes at `offset`); undefined for other lengths.
 * @example
 * import { decodeCompactAddress } from 'btdht';
 * decodeCompactAddress(new Uint8Array([127, 0, 0, 1, 0x1a, 0xe1])); // { host: '127.0.0.1', port: 6881, family: 4 }
 * decodeCompactAddress(new Uint8Array(5)); // undefined
 */
export function decodeCompactAddress(bytes: Uint8Array, offset = 0, length = bytes.length - offset): Endpoint | undefined {
  if (length === 6 && offset + 6 <= bytes.length) {
    return { host: readIPv4(bytes, offset), port: (bytes[offset + 4]! << 8) | bytes[offset + 5]!, family: 4 };
  }
  if (length === 18 && offset + 18 <= bytes.length) {
    return { host: readIPv6(bytes, offset), port: (bytes[offset + 16]! << 8) | bytes[offset + 17]!, family: 6 };
  }
  return undefined;
}

/**
 * Peers of a get_peers `values` list; entries of the wrong size or with port 0 are skipped.
 * @example
 * import { decodeCompactPeers, encodeCompactPeer } from 'btdht';
 * decodeCompactPeers([encodeCompactPeer({ host: '192.0.2.7', port: 51413 }), new Uint8Array(3)]); // [{ host: '192.0.2.7', port: 51413 }]
 */
export function decodeCompactPeers(values: Iterable<Uint8Array>): Peer[] {
  const peers: Peer[] = [];
  for (const value of values) {
    const endpoint = decodeCompactAddress(value);
    if (endpoint && endpoint.port !== 0) peers.push({ host: endpoint.host, port: endpoint.port });
  }
  return peers;
}

/**
 * Compact peer info of a peer; throws TypeError if the host is not a numeric IP or the port is bad.
 * @example
 * import { encodeCompactPeer } from 'btdht';
 * encodeCompactPeer({ host: '192.0.2.7', port: 51413 }); // Uint8Array [192, 0, 2, 7, 200, 213]
 */
export function encodeCompactPeer(peer: Peer): Uint8Array {
  const bytes = encodeCompactAddress(peer.host, peer.port);
  if (!bytes) throw new TypeError(`not an IP literal and port: ${JSON.stringify(peer)}`);
  return bytes;
}

/**
 * Nodes of a compact node info string for `family` (26-byte entries for IPv4,
 * 38 for IPv6). A trailing partial entry is ignored; ids and addresses are copies.
 * @example
 * import { DHT, decodeCompactNodes } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const response = await dht.query('127.0.0.1:6881', 'find_node', { target: dht.id });
 * const nodes = decodeCompactNodes(response.r.nodes ?? new Uint8Array(0), 4);
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

/**
 * Compact node info of nodes of one family; throws TypeError on a bad id or address.
 * @example
 * import { encodeCompactNodes } from 'btdht';
 * const nodes = encodeCompactNodes([{ id: new Uint8Array(20).fill(1), host: '::1', port: 6881 }], 6); // 38 bytes (BEP 32)
 */
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
