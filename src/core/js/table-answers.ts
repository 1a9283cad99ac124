/**
 * Bytes in, bytes out on the js backend (answer-types.ts): the reference the
 * wasm backend is held to. It decodes the whole message (this backend has no
 * cheaper scan to offer) and applies the same rules to it.
 */
import type { KrpcDecodeFailure, KrpcMessage } from '../../ground/messages.ts';
import { TableMethod, type TableAnswerer, type TableAnswerParts } from '../answer-types.ts';
import type { RoutingTable } from '../routing-types.ts';
import type { TableAnswerWriter } from '../encode/table-answer.ts';
import { decodeKrpcMessage } from './krpc-decode.ts';

const EMPTY: Uint8Array = new Uint8Array(0);
const NOT_SCANNED: KrpcDecodeFailure = { y: 'invalid', code: 'not-a-dict', offset: 0 };

export class JsTableAnswerer implements TableAnswerer {
  readOnly = false;
  private last: KrpcMessage | KrpcDecodeFailure = NOT_SCANNED;
  private method: TableMethod = TableMethod.None;

  constructor(private readonly writer: TableAnswerWriter) {}

  scan(datagram: Uint8Array): TableMethod {
    this.method = TableMethod.None;
    this.readOnly = false;
    const message = (this.last = decodeKrpcMessage(datagram));
    if (message.y !== 'q') return TableMethod.None;
    const a = message.a;
    if (a.id?.length !== 20) return TableMethod.None;
    const keys = countKeys(message.datagram, message.bodyStart);
    let method: TableMethod;
    if (message.q === 'ping') {
      if (keys !== 1) return TableMethod.None;
      method = TableMethod.Ping;
    } else if (message.q === 'find_node') {
      if (keys !== 2 || a.target?.length !== 20) return TableMethod.None;
      method = TableMethod.FindNode;
    } else if (message.q === 'get_peers') {
      if (keys !== 2 || a.info_hash?.length !== 20) return TableMethod.None;
      method = TableMethod.GetPeers;
    } else return TableMethod.None;
    this.readOnly = message.ro === 1;
    this.method = method;
    return method;
  }

  senderId(): Uint8Array {
    return this.last.y === 'q' ? this.last.a.id ?? EMPTY : EMPTY;
  }

  senderIdInto(out: Uint8Array): void {
    out.set(this.senderId());
  }

  targetInto(out: Uint8Array): void {
    const target = this.target();
    if (target.length === 20) out.set(target);
  }

  target(): Uint8Array {
    if (this.last.y !== 'q') return EMPTY;
    if (this.method === TableMethod.FindNode) return this.last.a.target ?? EMPTY;
    if (this.method === TableMethod.GetPeers) return this.last.a.info_hash ?? EMPTY;
    return EMPTY;
  }

  message(): KrpcMessage | KrpcDecodeFailure {
    return this.last;
  }

  answer(table: RoutingTable, k: number, parts: TableAnswerParts): Uint8Array {
    return this.write(table, k, parts, false);
  }

  answerScratch(table: RoutingTable, k: number, parts: TableAnswerParts): Uint8Array {
    return this.write(table, k, parts, true);
  }

  kept(): void {
    this.writer.abandon();
  }

  /** Where closest() writes for an answer (the writer copies it): no pooled result per answer. */
  private nodesOut = new Uint8Array(0);
  /** Views of nodesOut by length, made once (a table answer's length repeats). */
  private nodesViews: Uint8Array[] = [];

  private closest(table: RoutingTable, k: number): Uint8Array {
    const room = Math.max(1, Math.ceil(k)) * (20 + table.addressLength);
    if (this.nodesOut.length < room) {
      this.nodesOut = new Uint8Array(room);
      this.nodesViews = [];
    }
    const n = table.closestInto(this.target(), k, this.nodesOut);
    return (this.nodesViews[n] ??= this.nodesOut.subarray(0, n));
  }

  private write(table: RoutingTable, k: number, parts: TableAnswerParts, scratch: boolean): Uint8Array {
    const query = this.last;
    if (this.method === TableMethod.None || query.y !== 'q') throw new Error('answer: the last scan was not a table query');
    const nodes = this.method === TableMethod.Ping ? undefined : this.closest(table, k);
    const t = query.t;
    const datagram = query.datagram;
    const tStart = t.byteOffset - datagram.byteOffset;
    return this.writer.write(datagram, tStart, tStart + t.length, nodes, table.addressLength === 18, parts, scratch);
  }
}

/** Keys of the (validated) dict at `p`. */
function countKeys(b: Uint8Array, p: number): number {
  let keys = 0;
  p++;
  while (b[p] !== 0x65) {
    p = skip(b, skip(b, p));
    keys++;
  }
  return keys;
}

/** Offset after the (validated) value at `p`. */
function skip(b: Uint8Array, p: number): number {
  const c = b[p]!;
  if (c === 0x69) {
    while (b[p] !== 0x65) p++;
    return p + 1;
  }
  if (c === 0x6c || c === 0x64) {
    p++;
    while (b[p] !== 0x65) p = skip(b, p);
    return p + 1;
  }
  let n = 0;
  while (b[p] !== 0x3a) n = n * 10 + (b[p++]! - 0x30);
  return p + 1 + n;
}
