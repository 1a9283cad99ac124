/**
 * KRPC messages (BEP 5) as typed data. Pure data: no I/O, no core.
 *
 * The decoder fills the fields named here and checks their bencode types; sizes
 * with meaning in the DHT (20-byte ids, 26-byte node entries) are checked by the
 * node, which answers 203 when they are wrong. Keys it does not know are skipped
 * and stay readable through `body` (the raw bencoded `a` / `r` dictionary).
 */
import type { BencodeDict } from './bencode.ts';
import { viewOf } from './views.ts';

/**
 * Arguments of a query (`a`), the fields of BEP 5 plus BEP 32's `want`.
 * @example
 * import { DHT, fromHex, type QueryArgs } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * // get_peers asking for IPv4 and IPv6 nodes (BEP 32); the node adds our id.
 * const args: QueryArgs = { info_hash: fromHex('e3811b9539cacff680e418124272177c47477157'), want: ['n4', 'n6'] };
 * const response = await dht.query('127.0.0.1:6881', 'get_peers', args);
 */
export interface QueryArgs {
  id?: Uint8Array;
  target?: Uint8Array;
  info_hash?: Uint8Array;
  token?: Uint8Array;
  port?: number;
  implied_port?: number;
  /** BEP 32: 'n4' and/or 'n6' (byte strings decoded as latin1). */
  want?: string[];
}

/**
 * Return values of a response (`r`) as sent.
 * @example
 * import { DHT, type ResponseValues } from 'btdht';
 * const dht = new DHT();
 * // Answer get_peers with no nodes and no peers (the node adds our id).
 * const empty: ResponseValues = { nodes: new Uint8Array(0), token: new Uint8Array(4) };
 * dht.onQuery('get_peers', () => ({ response: empty }));
 */
export interface ResponseValues {
  id?: Uint8Array;
  /** Compact node info, 26 bytes per node (BEP 5). */
  nodes?: Uint8Array;
  /** Compact node info for IPv6, 38 bytes per node (BEP 32). */
  nodes6?: Uint8Array;
  token?: Uint8Array;
  /** Compact peer info, 6 bytes (IPv4) or 18 bytes (IPv6) each. */
  values?: Uint8Array[];
}

/**
 * Return values of a received response: `values` stays one packed view.
 * @example
 * import { DHT, decodeCompactPeers, fromHex, type ReceivedValues } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const response = await dht.query('127.0.0.1:6881', 'get_peers', { info_hash: fromHex('e3811b9539cacff680e418124272177c47477157') });
 * const values: ReceivedValues = response.r;
 * const peers = decodeCompactPeers(values.values ?? []); // [{ host, port }, ...]
 */
export interface ReceivedValues extends Omit<ResponseValues, 'values'> {
  values?: ValuesView;
}

/**
 * The `values` list of a received response as one view of the datagram: the
 * list's items as sent (`6:abcdef6:ghijkl…`, without the `l`/`e`) and their
 * count. A lookup reads each value as a view on demand, so decoding a response
 * with 50 peers makes one object, not 50 arrays.
 *
 * The decoders hand it only items they checked are byte strings; the reader
 * still checks every length against the bytes and stops at the first item that
 * does not fit, so a view built by hand from any bytes is safe to read.
 * @example
 * import { ValuesView, decodeCompactPeers, encodeCompactPeer } from 'btdht';
 * const view = ValuesView.of([encodeCompactPeer({ host: '192.0.2.7', port: 51413 }), encodeCompactPeer({ host: '192.0.2.8', port: 6881 })]);
 * view.length; // 2
 * view.at(1); // the second 6-byte compact peer (a view, no copy)
 * decodeCompactPeers(view); // [{ host: '192.0.2.7', port: 51413 }, { host: '192.0.2.8', port: 6881 }]
 */
export class ValuesView implements Iterable<Uint8Array> {
  /**
   * @param bytes the list's items, each `<length>:<bytes>`
   * @param length how many items `bytes` holds
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly length: number,
  ) {}

  /** A view of values made here (tests, relays): the items encoded into one buffer. */
  static of(values: readonly Uint8Array[]): ValuesView {
    let size = 0;
    for (const value of values) size += String(value.length).length + 1 + value.length;
    const bytes = new Uint8Array(size);
    let p = 0;
    for (const value of values) {
      const prefix = `${value.length}:`;
      for (let i = 0; i < prefix.length; i++) bytes[p++] = prefix.charCodeAt(i);
      bytes.set(value, p);
      p += value.length;
    }
    return new ValuesView(bytes, values.length);
  }

  [Symbol.iterator](): Iterator<Uint8Array> {
    return new ValuesIterator(this.bytes, this.length);
  }

  /** Item `index` (a view, no copy), or undefined past the end. */
  at(index: number): Uint8Array | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const items = new ValuesIterator(this.bytes, index + 1);
    let item: IteratorResult<Uint8Array> = items.next();
    for (let i = 0; i < index && !item.done; i++) item = items.next();
    return item.done ? undefined : item.value;
  }

  /** The items as separate views (what a decoder gave before the packed view). */
  toArray(): Uint8Array[] {
    return Array.from(this);
  }
}

/** Reads `<length>:<bytes>` items; stops at the count or at the first malformed item. */
class ValuesIterator implements Iterator<Uint8Array> {
  #p = 0;
  #left: number;
  constructor(
    private readonly bytes: Uint8Array,
    count: number,
  ) {
    this.#left = count;
  }

  next(): IteratorResult<Uint8Array> {
    const b = this.bytes;
    let p = this.#p;
    if (this.#left <= 0) return { done: true, value: undefined };
    let length = 0;
    let digits = 0;
    while (p < b.length && digits <= 10) {
      const c = b[p]! - 0x30;
      if (c < 0 || c > 9) break;
      length = length * 10 + c;
      digits++;
      p++;
    }
    const start = p + 1;
    if (digits === 0 || digits > 10 || b[p] !== 0x3a || start + length > b.length) {
      this.#left = 0;
      return { done: true, value: undefined };
    }
    this.#p = start + length;
    this.#left--;
    return { done: false, value: viewOf(b, start, length) };
  }
}

interface Envelope {
  /** Transaction id, echoed verbatim whatever its length. */
  t: Uint8Array;
  /** Client version (`v`), if sent. */
  v?: Uint8Array;
  /** The whole datagram this was decoded from (no copy). */
  datagram: Uint8Array;
  /** Byte range of the raw `a` / `r` dictionary in `datagram` (0, 0 for errors). */
  bodyStart: number;
  bodyEnd: number;
}

/**
 * @example
 * import { DHT, type KrpcQuery } from 'btdht';
 * const dht = new DHT();
 * dht.on('query', ({ query, from }: { query: KrpcQuery; from: { host: string } }) => console.log(query.q, 'from', from.host));
 * await dht.start();
 */
export interface KrpcQuery extends Envelope {
  y: 'q';
  /** Method name (latin1). */
  q: string;
  a: QueryArgs;
  /** BEP 43: the querying node is read-only. */
  ro?: number;
}

/**
 * @example
 * import { DHT, decodeCompactNodes, type KrpcResponse } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const response: KrpcResponse = await dht.query('127.0.0.1:6881', 'find_node', { target: dht.id });
 * decodeCompactNodes(response.r.nodes ?? new Uint8Array(0), 4);
 */
export interface KrpcResponse extends Envelope {
  y: 'r';
  r: ReceivedValues;
  /** BEP 42: our address as the responder saw it (compact, 6 or 18 bytes). */
  ip?: Uint8Array;
}

/**
 * @example
 * import { loadCore, type KrpcError } from 'btdht';
 * const core = await loadCore();
 * const datagram = core.encodeKrpc({ y: 'e', t: new Uint8Array([7]), e: { code: 204, message: 'Method Unknown' } });
 * const decoded = core.decodeKrpc(datagram);
 * if (decoded.y === 'e') {
 *   const error: KrpcError = decoded;
 *   console.log(error.e.code, error.e.message); // 204 Method Unknown
 * }
 */
export interface KrpcError extends Envelope {
  y: 'e';
  e: { code: number; message: string };
}

/**
 * @example
 * import { loadCore, type KrpcMessage } from 'btdht';
 * const core = await loadCore();
 * const datagram = core.encodeKrpc({ y: 'q', t: new Uint8Array([1, 2]), q: 'ping', a: { id: new Uint8Array(20) } });
 * const decoded = core.decodeKrpc(datagram);
 * if (decoded.y !== 'invalid') {
 *   const message: KrpcMessage = decoded;
 *   if (message.y === 'q') console.log(message.q); // 'ping'
 * }
 */
export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcError;

/** Why a datagram is not a KRPC message. */
export type KrpcDecodeErrorCode =
  | import('./bencode.ts').DecodeErrorCode
  | 'not-a-dict' // top level is not a dictionary
  | 'missing-field' // t, y, q, a, r or e absent
  | 'wrong-type' // a known field with the wrong bencode type
  | 'unknown-type'; // y is not q, r or e

/** A datagram that failed to decode. `t` is set when a transaction id was recovered (so a 203 can be sent). */
export interface KrpcDecodeFailure {
  y: 'invalid';
  code: KrpcDecodeErrorCode;
  /** Byte offset of the fault. */
  offset: number;
  /** The field at fault, for missing-field / wrong-type. */
  field?: string;
  t?: Uint8Array;
  /** The query method, if one was recovered. */
  q?: string;
}

/** Outgoing messages: no datagram/body, optional extra keys merged (sorted) into a / r. */
export interface OutgoingQuery {
  y: 'q';
  t: Uint8Array;
  q: string;
  a: QueryArgs;
  extra?: BencodeDict;
  v?: Uint8Array;
  ro?: number;
}
export interface OutgoingResponse {
  y: 'r';
  t: Uint8Array;
  r: ResponseValues;
  extra?: BencodeDict;
  v?: Uint8Array;
  ip?: Uint8Array;
}
export interface OutgoingError {
  y: 'e';
  t: Uint8Array;
  e: { code: number; message: string };
  v?: Uint8Array;
}
export type OutgoingMessage = OutgoingQuery | OutgoingResponse | OutgoingError;
