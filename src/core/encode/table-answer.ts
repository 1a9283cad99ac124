/**
 * The answer to a table query (answer-types.ts), written straight from its
 * parts: the bytes encodeKrpc gives for `{ y: 'r', t, ip, v, r: { id, nodes |
 * nodes6, token, values } }`, without that object. Keys in byte order: ip,
 * r (id, nodes / nodes6, token, values), t, v, y. Shared by both backends.
 */
import type { TableAnswerParts } from '../answer-types.ts';
import type { ResultPool } from './pool.ts';
import { ByteWriter, keyBytes } from './writer.ts';

const KEY_IP = keyBytes('ip');
const KEY_R = keyBytes('r');
const KEY_ID = keyBytes('id');
const KEY_NODES = keyBytes('nodes');
const KEY_NODES6 = keyBytes('nodes6');
const KEY_TOKEN = keyBytes('token');
const KEY_VALUES = keyBytes('values');
const KEY_T = keyBytes('t');
const KEY_V = keyBytes('v');
const TAIL_R = Uint8Array.from('1:y1:re', (c) => c.charCodeAt(0));

export class TableAnswerWriter {
  private readonly w: ByteWriter;

  constructor(results: ResultPool) {
    this.w = new ByteWriter(results);
  }

  /** The bytes of the last `write(…, true)` are kept by their reader: the next answers go to fresh memory. */
  abandon(): void {
    this.w.abandon();
  }

  /**
   * `t` is `datagram[tStart, tEnd)`; `nodes` (undefined for ping) goes under
   * `nodes6` when `ipv6`. `scratch`: the answer as a view of the writer's
   * buffer, valid until the next write (otherwise a fresh array).
   */
  write(datagram: Uint8Array, tStart: number, tEnd: number, nodes: Uint8Array | undefined, ipv6: boolean, parts: TableAnswerParts, scratch = false): Uint8Array {
    const w = this.w;
    w.pos = 0;
    try {
      w.byte(0x64);
      if (parts.ip !== undefined) {
        w.raw(KEY_IP);
        w.bytes(parts.ip);
      }
      w.raw(KEY_R);
      w.byte(0x64);
      w.raw(KEY_ID);
      w.bytes(parts.id);
      if (nodes !== undefined) {
        w.raw(ipv6 ? KEY_NODES6 : KEY_NODES);
        w.bytes(nodes);
      }
      if (parts.token !== undefined) {
        w.raw(KEY_TOKEN);
        w.bytes(parts.token);
      }
      const values = parts.values;
      const length = parts.valueLength ?? 0;
      const items = parts.valueItems;
      if (items !== undefined) {
        if (items.length > 0) {
          w.raw(KEY_VALUES);
          w.list(items);
        }
      } else if (values !== undefined && values.length >= length && length > 0 && length < 100) {
        // The stored peers as a list of byte strings, straight from their packed copy.
        w.raw(KEY_VALUES);
        w.packedList(values, length);
      }
      w.byte(0x65);
      w.raw(KEY_T);
      w.range(datagram, tStart, tEnd);
      if (parts.version !== undefined) {
        w.raw(KEY_V);
        w.bytes(parts.version);
      }
      w.raw(TAIL_R);
      return scratch ? w.view() : w.take();
    } finally {
      w.pos = 0;
    }
  }
}
