/**
 * The host's map of the WASM linear memory, and the views over it.
 *
 *   heapBase  ARGS    64 B      ids / addresses / targets for table calls
 *             SLOTS   256 B     KRPC decode results (i32, f64 at even indexes)
 *             INPUT   64 KiB+16 datagrams and decode input (one Uint8Array.set)
 *             TAPE    tape for a full INPUT (16 B per value)
 *             OUTPUT  64 KiB    digests, compact node info, record addresses
 *             WORK    64 KiB    closest() candidates (24 B each)
 *   then      regions: routing tables (one each) and oversized scratch, from a
 *             bump pointer with per-size free lists; memory only grows, by
 *             half its size or more at a time.
 *
 * Only the host grows memory (the WASM code never allocates), so the views
 * are refreshed exactly when `alloc` grows it.
 */
import { MAX_DEPTH, MAX_ITEMS } from '../bencode-types.ts';
import type { CoreExports } from './exports.ts';
import { PrefixViews } from '../encode/pool.ts';

const PAGE = 65536;
export const TAPE_ENTRY = 16;
/**
 * Tape bytes a scan of `length` bytes may write (see assembly/bencode.ts): one
 * entry per two bytes plus the open containers, and never more than MAX_ITEMS
 * values and as many keys.
 */
export function tapeBytes(length: number): number {
  return Math.min((length >>> 1) + MAX_DEPTH + 2, 2 * MAX_ITEMS + MAX_DEPTH + 2) * TAPE_ENTRY;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

export class CoreMemory {
  u8!: Uint8Array;
  i32!: Int32Array;
  f64!: Float64Array;

  readonly args: number;
  readonly slots: number;
  readonly input: number;
  readonly inputSize = PAGE;
  readonly tape: number;
  readonly output: number;
  readonly outputSize = PAGE;
  readonly work: number;
  readonly workSize = PAGE;

  /** Views of the OUTPUT region's first n bytes, for copying results out. */
  readonly outputViews = new PrefixViews(new Uint8Array(0), 0);

  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  /** Grow-only region for inputs / outputs that do not fit the fixed ones. */
  private spare = 0;
  private spareSize = 0;

  constructor(readonly exports: CoreExports) {
    let p = align16(exports.heapBase());
    this.args = p;
    p += 64;
    this.slots = p;
    p += 256;
    this.input = p;
    p += this.inputSize + 16;
    this.tape = p;
    p += align16(tapeBytes(this.inputSize));
    this.output = p;
    p += this.outputSize;
    this.work = p;
    p += this.workSize;
    this.top = p;
    this.ensure(p);
  }

  private refresh(): void {
    const buffer = this.exports.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.outputViews.reset(this.u8, this.output);
  }

  /**
   * Memory reaching `end`. Grows by at least half the current size: a grow may
   * copy the whole memory, so page-by-page growth would make every new
   * routing table cost O(memory).
   */
  private ensure(end: number): void {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (end > have) {
      const pages = have / PAGE;
      memory.grow(Math.max(Math.ceil((end - have) / PAGE), Math.ceil(pages / 2)));
    }
    if (this.u8 === undefined || this.u8.buffer !== memory.buffer) this.refresh();
  }

  /** A 16-aligned region of `bytes` (grows memory if needed: views are refreshed). */
  alloc(bytes: number): number {
    const size = align16(bytes);
    const reuse = this.freeLists.get(size)?.pop();
    if (reuse !== undefined) return reuse;
    const ptr = this.top;
    this.ensure(ptr + size);
    this.top = ptr + size;
    return ptr;
  }

  free(ptr: number, bytes: number): void {
    const size = align16(bytes);
    let list = this.freeLists.get(size);
    if (!list) this.freeLists.set(size, (list = []));
    list.push(ptr);
  }

  /** Where the last `placeForScan` put the tape (read right after it: one scan at a time). */
  scanTape = 0;

  /**
   * Copy `bytes` into linear memory for one bencode / KRPC scan: returns where
   * they start, and sets `scanTape` to where the scan may write its tape (the
   * fixed INPUT and TAPE regions, or one scratch region for a larger input).
   */
  placeForScan(bytes: Uint8Array): number {
    const length = bytes.length;
    let input = this.input;
    this.scanTape = this.tape;
    if (length > this.inputSize) {
      input = this.scratch(length + 32 + tapeBytes(length));
      this.scanTape = input + align16(length + 16);
    }
    this.u8.set(bytes, input);
    return input;
  }

  /** Copy `bytes` into linear memory for one call that reads them (a digest); returns where they start. */
  placeInput(bytes: Uint8Array): number {
    const input = bytes.length <= this.inputSize ? this.input : this.scratch(bytes.length);
    this.u8.set(bytes, input);
    return input;
  }

  /** A scratch region of at least `bytes` for one call, when the fixed ones are too small. */
  scratch(bytes: number): number {
    if (bytes > this.spareSize) {
      if (this.spareSize > 0) this.free(this.spare, this.spareSize);
      let size = PAGE;
      while (size < bytes) size *= 2;
      this.spare = this.alloc(size);
      this.spareSize = size;
    }
    return this.spare;
  }
}
