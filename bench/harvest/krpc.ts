/**
 * Bytes for the loopback load generator: get_peers and announce_peer queries
 * spliced from templates (no encoder of ours in the loop, so the generator
 * costs the same whatever the node does), and the token of a get_peers answer.
 */
import bencode from 'bencode';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A query template: its bytes and where the 2-byte transaction id and the 20-byte infohash go. */
export interface QueryTemplate {
  bytes: Buffer;
  tidAt: number;
  infohashAt: number;
}

/** `d1:ad2:id20:<id>9:info_hash20:<ih>e1:q9:get_peers1:t2:<tid>1:y1:qe` */
export function getPeersTemplate(id: Uint8Array): QueryTemplate {
  if (id.length !== 20) throw new RangeError('node id must be 20 bytes');
  const head = Buffer.concat([enc('d1:ad2:id20:'), id, enc('9:info_hash20:')]);
  const mid = enc('e1:q9:get_peers1:t2:');
  const bytes = Buffer.concat([head, Buffer.alloc(20), mid, Buffer.alloc(2), enc('1:y1:qe')]);
  return { bytes, tidAt: head.length + 20 + mid.length, infohashAt: head.length };
}

/**
 * `d1:ad2:id20:<id>9:info_hash20:<ih>4:porti<port>e5:token<n>:<token>e1:q13:announce_peer1:t2:<tid>1:y1:qe`
 * (keys in bencode's sorted order; no implied_port, so `port` counts).
 */
export function announceTemplate(id: Uint8Array, token: Uint8Array, port: number): QueryTemplate {
  if (id.length !== 20) throw new RangeError('node id must be 20 bytes');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad port ${port}`);
  const head = Buffer.concat([enc('d1:ad2:id20:'), id, enc('9:info_hash20:')]);
  const mid = Buffer.concat([enc(`4:porti${port}e5:token${token.length}:`), token, enc('e1:q13:announce_peer1:t2:')]);
  const bytes = Buffer.concat([head, Buffer.alloc(20), mid, Buffer.alloc(2), enc('1:y1:qe')]);
  return { bytes, tidAt: head.length + 20 + mid.length, infohashAt: head.length };
}

/** A fresh copy of `template` with this transaction id and infohash (the socket may read it after send). */
export function fill(template: QueryTemplate, tid: number, infohash: Uint8Array, infohashOffset = 0): Buffer {
  const out = Buffer.allocUnsafe(template.bytes.length);
  template.bytes.copy(out);
  out[template.tidAt] = (tid >> 8) & 0xff;
  out[template.tidAt + 1] = tid & 0xff;
  out.set(infohash.subarray(infohashOffset, infohashOffset + 20), template.infohashAt);
  return out;
}

/** The `token` of a KRPC response (`r.token`), or undefined if the datagram has none. */
export function tokenOf(datagram: Uint8Array): Uint8Array | undefined {
  try {
    const message: unknown = bencode.decode(datagram);
    if (typeof message !== 'object' || message === null) return undefined;
    const r = (message as { r?: unknown }).r;
    if (typeof r !== 'object' || r === null) return undefined;
    const token = (r as { token?: unknown }).token;
    return token instanceof Uint8Array ? Uint8Array.from(token) : undefined;
  } catch {
    return undefined;
  }
}
