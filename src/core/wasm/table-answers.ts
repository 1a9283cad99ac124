/**
 * Bytes in, bytes out on the wasm backend (answer-types.ts): the KRPC scan of
 * assembly/krpc.ts fills the result slots, the host reads a few of them (no
 * message object), asks the table for its nearest nodes in linear memory and
 * writes the answer around them.
 */
import type { KrpcDecodeFailure, KrpcMessage } from '../../ground/messages.ts';
import { TableMethod, type TableAnswerer, type TableAnswerParts } from '../answer-types.ts';
import type { RoutingTable } from '../routing-types.ts';
import type { TableAnswerWriter } from '../encode/table-answer.ts';
import type { CoreMemory } from './memory.ts';
import { viewOf } from '../../ground/views.ts';
import type { KrpcDecoder } from './krpc-decode.ts';
import { HAS_ID, HAS_INFO_HASH, HAS_RO, HAS_TARGET, SLOT_BODY_KEYS, SLOT_ID, SLOT_INFO_HASH, SLOT_METHOD, SLOT_PRESENT, SLOT_RO, SLOT_T, SLOT_TARGET, SLOT_Y } from './krpc-decode.ts';
import { WasmRoutingTable } from './routing.ts';

const EMPTY: Uint8Array = new Uint8Array(0);

export class WasmTableAnswerer implements TableAnswerer {
  readOnly = false;
  private datagram: Uint8Array = EMPTY;
  private status = 0;
  private method: TableMethod = TableMethod.None;
  private targetSlot = SLOT_TARGET;
  private tStart = 0;
  private tEnd = 0;
  private idStart = 0;
  private targetStart = 0;
  /** The target's view, made once per scan (the node reads it, then answer() again). */
  private targetView: Uint8Array | undefined;
  private readonly targetBytes = new Uint8Array(20);

  constructor(
    private readonly mem: CoreMemory,
    private readonly decoder: KrpcDecoder,
    private readonly writer: TableAnswerWriter,
  ) {}

  scan(datagram: Uint8Array): TableMethod {
    this.method = TableMethod.None;
    this.targetView = undefined;
    this.readOnly = false;
    if (!(datagram instanceof Uint8Array)) {
      this.datagram = EMPTY;
      return TableMethod.None;
    }
    this.datagram = datagram;
    try {
      this.status = this.decoder.scan(datagram);
    } catch {
      // Only when linear memory cannot grow for a giant input: message() says so.
      this.status = -1;
      return TableMethod.None;
    }
    if (this.status !== 0) return TableMethod.None;
    const s = this.mem.i32;
    const at = this.mem.slots >>> 2;
    if (s[at + SLOT_Y] !== 0) return TableMethod.None;
    const method = s[at + SLOT_METHOD]!;
    const present = s[at + SLOT_PRESENT]!;
    const keys = s[at + SLOT_BODY_KEYS]!;
    if (!(present & HAS_ID) || s[at + SLOT_ID + 1]! - s[at + SLOT_ID]! !== 20) return TableMethod.None;
    if (method === TableMethod.Ping) {
      if (keys !== 1) return TableMethod.None;
    } else if (method === TableMethod.FindNode || method === TableMethod.GetPeers) {
      const slot = method === TableMethod.FindNode ? SLOT_TARGET : SLOT_INFO_HASH;
      const bit = method === TableMethod.FindNode ? HAS_TARGET : HAS_INFO_HASH;
      if (keys !== 2 || !(present & bit) || s[at + slot + 1]! - s[at + slot]! !== 20) return TableMethod.None;
      this.targetSlot = slot;
    } else return TableMethod.None;
    this.readOnly = (present & HAS_RO) !== 0 && this.mem.f64[(at + SLOT_RO) >>> 1] === 1;
    // Kept here, not read from the slots later: the caller may use the core (another scan) before answering.
    this.tStart = s[at + SLOT_T]!;
    this.tEnd = s[at + SLOT_T + 1]!;
    this.idStart = s[at + SLOT_ID]!;
    if (method !== TableMethod.Ping) this.targetStart = s[at + this.targetSlot]!;
    this.method = method as TableMethod;
    return this.method;
  }

  senderId(): Uint8Array {
    return this.method === TableMethod.None ? EMPTY : viewOf(this.datagram, this.idStart, 20);
  }

  senderIdInto(out: Uint8Array): void {
    if (this.method !== TableMethod.None) copy20(this.datagram, this.idStart, out);
  }

  targetInto(out: Uint8Array): void {
    if (this.method !== TableMethod.None && this.method !== TableMethod.Ping) copy20(this.datagram, this.targetStart, out);
  }

  target(): Uint8Array {
    if (this.method === TableMethod.None || this.method === TableMethod.Ping) return EMPTY;
    return (this.targetView ??= viewOf(this.datagram, this.targetStart, 20));
  }

  message(): KrpcMessage | KrpcDecodeFailure {
    if (this.status < 0) return { y: 'invalid', code: 'invalid-byte', offset: 0 };
    if (this.datagram === EMPTY) return { y: 'invalid', code: 'not-a-dict', offset: 0 };
    return this.decoder.messageOf(this.datagram, this.status);
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

  private write(table: RoutingTable, k: number, parts: TableAnswerParts, scratch: boolean): Uint8Array {
    if (this.method === TableMethod.None) throw new Error('answer: the last scan was not a table query');
    let nodes: Uint8Array | undefined;
    if (this.method !== TableMethod.Ping) {
      // The table copies the target into linear memory: a scratch copy of it here, not a view per answer.
      const target = this.targetBytes;
      copy20(this.datagram, this.targetStart, target);
      nodes = table instanceof WasmRoutingTable ? table.closestView(target, k) : table.closest(target, k);
    }
    return this.writer.write(this.datagram, this.tStart, this.tEnd, nodes, table.addressLength === 18, parts, scratch);
  }
}

/** 20 bytes of `from` at `at` into `out` (unrolled: cheaper than a view or a loop at this size). */
function copy20(from: Uint8Array, at: number, out: Uint8Array): void {
  out[0] = from[at]!; out[1] = from[at + 1]!; out[2] = from[at + 2]!; out[3] = from[at + 3]!; out[4] = from[at + 4]!;
  out[5] = from[at + 5]!; out[6] = from[at + 6]!; out[7] = from[at + 7]!; out[8] = from[at + 8]!; out[9] = from[at + 9]!;
  out[10] = from[at + 10]!; out[11] = from[at + 11]!; out[12] = from[at + 12]!; out[13] = from[at + 13]!; out[14] = from[at + 14]!;
  out[15] = from[at + 15]!; out[16] = from[at + 16]!; out[17] = from[at + 17]!; out[18] = from[at + 18]!; out[19] = from[at + 19]!;
}
