/**
 * Routing tables of the wasm backend: each table is a region of linear memory
 * (layout in assembly/table-layout.ts); this class validates arguments, writes ids
 * and addresses into the ARGS area, calls one export, and reads records back.
 * `dispose()` returns the region; a table dropped without it is reclaimed by a
 * FinalizationRegistry.
 */
import {
  AddResult,
  type BucketInfo,
  type NodeState,
  type RoutingNode,
  type RoutingTable,
  type RoutingTableOptions,
  checkRegisteredId,
  resolveRoutingTableOptions,
} from '../routing-types.ts';
import type { CoreMemory } from './memory.ts';
import { checkClosestOut, closestWant } from '../closest-room.ts';
import type { ResultPool } from '../encode/pool.ts';

// Mirror of assembly/table-layout.ts (checked against tableBytes at load).
/** The fixed header fields (96 bytes) and the top index (256 i32 references). */
export const HEADER = 96 + 256 * 4;
export const BUCKET_HEAD = 24;
export const RECORD = 64;
export const CELL = 12;
const H_BUCKET_COUNT = 36;
const H_SIZE = 40;
const H_STRIDE = 48;
const H_ROOT = 52;
const H_CELLS = 72;
const B_COUNT = 0;
const B_CACHE_COUNT = 4;
const B_LAST_CHANGED = 8;
const B_DEPTH = 16;
const R_ADDRESS = 20;
const R_RESPONDED = 38;
const R_FAILURES = 40;
const R_LAST_SEEN = 48;
const NEED_GROW = -1;
/** Buckets a new region holds; doubled when a split needs more. */
const INITIAL_CAPACITY = 16;
const ID_LENGTH = 20;
/** Most nodes asked of closest() whose answer always fits OUTPUT (38 B each) and WORK (24 B each). */
const FIXED_K = 1024;

const STATES: readonly NodeState[] = ['good', 'questionable', 'bad'];
const FAILED: readonly ('failed' | 'bad' | 'removed')[] = ['failed', 'bad', 'removed'];

interface Region {
  ptr: number;
  bytes: number;
  capacity: number;
  idCapacity: number;
}

const isId = (id: unknown): id is Uint8Array => id instanceof Uint8Array && id.length === ID_LENGTH;
const sameId = (a: Uint8Array, b: Uint8Array): boolean => {
  for (let i = 0; i < ID_LENGTH; i++) if (a[i] !== b[i]) return false;
  return true;
};

export class WasmRoutingTable implements RoutingTable {
  readonly id: Uint8Array;
  readonly k: number;
  readonly addressLength: 6 | 18;
  private readonly cacheSize: number;
  private readonly registered: Uint8Array[];
  private region: Region | undefined;

  constructor(
    private readonly mem: CoreMemory,
    private readonly registry: FinalizationRegistry<Region>,
    private readonly results: ResultPool,
    options: RoutingTableOptions,
  ) {
    const { id, ids, k, cacheSize, addressLength, maxFailures, questionableAfterMs: questionable } = resolveRoutingTableOptions(options);
    this.id = id;
    this.k = k;
    this.cacheSize = cacheSize;
    this.addressLength = addressLength;
    this.registered = [id];
    if (this.k + this.cacheSize > 1 << 16) throw new RangeError('routing table k + cacheSize must be at most 65536');

    const capacity = INITIAL_CAPACITY;
    const idCapacity = Math.max(1, ids.length + 1);
    const bytes = mem.exports.tableBytes(this.k, this.cacheSize, capacity, idCapacity);
    const region: Region = { ptr: mem.alloc(bytes), bytes, capacity, idCapacity };
    mem.u8.set(this.id, mem.args);
    mem.exports.tableInit(region.ptr, mem.args, this.k, this.cacheSize, addressLength, maxFailures, questionable, capacity, idCapacity);
    this.region = region;
    registry.register(this, region, this);
    for (const other of ids) this.register(other);
  }

  private table(): number {
    const region = this.region;
    if (region === undefined) throw new Error('routing table used after dispose()');
    return region.ptr;
  }

  /** Write a 20-byte id into ARGS (unrolled: twice as fast as a loop or `set` at this size). */
  private putId(id: Uint8Array): number {
    const u8 = this.mem.u8;
    const p = this.mem.args;
    u8[p] = id[0]!; u8[p + 1] = id[1]!; u8[p + 2] = id[2]!; u8[p + 3] = id[3]!; u8[p + 4] = id[4]!;
    u8[p + 5] = id[5]!; u8[p + 6] = id[6]!; u8[p + 7] = id[7]!; u8[p + 8] = id[8]!; u8[p + 9] = id[9]!;
    u8[p + 10] = id[10]!; u8[p + 11] = id[11]!; u8[p + 12] = id[12]!; u8[p + 13] = id[13]!; u8[p + 14] = id[14]!;
    u8[p + 15] = id[15]!; u8[p + 16] = id[16]!; u8[p + 17] = id[17]!; u8[p + 18] = id[18]!; u8[p + 19] = id[19]!;
    return p;
  }

  /** The table's region in linear memory (the answerer reads it in place). */
  get pointer(): number {
    return this.table();
  }

  get ids(): readonly Uint8Array[] {
    return this.registered;
  }

  register(id: Uint8Array): void {
    const table = this.table();
    checkRegisteredId(id);
    const args = this.putId(id);
    const exports = this.mem.exports;
    let result = exports.tableRegister(table, args);
    while (result === NEED_GROW) {
      this.grow(this.region!.capacity, this.region!.idCapacity * 2);
      result = exports.tableRegister(this.region!.ptr, args);
    }
    if (result === 1) this.registered.push(id.slice());
  }

  unregister(id: Uint8Array): boolean {
    const table = this.table();
    if (!isId(id)) return false;
    if (sameId(id, this.id)) throw new RangeError('the primary id of a shared routing table cannot be unregistered');
    if (this.mem.exports.tableUnregister(table, this.putId(id)) === 0) return false;
    this.registered.splice(this.registered.findIndex((other) => sameId(other, id)), 1);
    return true;
  }

  prefixLengthOf(id: Uint8Array): number {
    const table = this.table();
    if (!isId(id)) throw new TypeError('prefixLengthOf: id must be 20 bytes');
    return this.mem.exports.tableDepthOf(table, this.putId(id));
  }

  get size(): number {
    return this.mem.i32[(this.table() + H_SIZE) >>> 2]!;
  }

  get bucketCount(): number {
    return this.mem.i32[(this.table() + H_BUCKET_COUNT) >>> 2]!;
  }

  add(id: Uint8Array, address: Uint8Array, now: number, responded: boolean): AddResult {
    const table = this.table();
    if (!isId(id) || !(address instanceof Uint8Array) || address.length !== this.addressLength) return AddResult.Rejected;
    const args = this.putId(id);
    this.mem.u8.set(address, args + ID_LENGTH);
    const exports = this.mem.exports;
    let result = exports.tableAdd(table, args, now, responded ? 1 : 0);
    while (result === NEED_GROW) {
      this.grow(this.region!.capacity * 2, this.region!.idCapacity);
      result = exports.tableAdd(this.region!.ptr, args, now, responded ? 1 : 0);
    }
    return result as AddResult;
  }

  /** Move the table to a region with room for `capacity` buckets and `idCapacity` ids (ARGS is untouched). */
  private grow(capacity: number, idCapacity: number): void {
    const old = this.region!;
    const bytes = this.mem.exports.tableBytes(this.k, this.cacheSize, capacity, idCapacity);
    const ptr = this.mem.alloc(bytes);
    this.mem.exports.tableMove(old.ptr, ptr, capacity, idCapacity);
    this.mem.free(old.ptr, old.bytes);
    // The registry holds `old` as this table's held value: update it in place.
    old.ptr = ptr;
    old.bytes = bytes;
    old.capacity = capacity;
    old.idCapacity = idCapacity;
  }

  seen(id: Uint8Array, now: number, responded: boolean): boolean {
    const table = this.table();
    if (!isId(id)) return false;
    return this.mem.exports.tableSeen(table, this.putId(id), now, responded ? 1 : 0) !== 0;
  }

  failed(id: Uint8Array): 'failed' | 'bad' | 'removed' | undefined {
    const table = this.table();
    if (!isId(id)) return undefined;
    return FAILED[this.mem.exports.tableFailed(table, this.putId(id))];
  }

  remove(id: Uint8Array): boolean {
    const table = this.table();
    if (!isId(id)) return false;
    return this.mem.exports.tableRemove(table, this.putId(id)) !== 0;
  }

  has(id: Uint8Array): boolean {
    const table = this.table();
    return isId(id) && this.mem.exports.tableFind(table, this.putId(id)) !== 0;
  }

  get(id: Uint8Array): RoutingNode | undefined {
    const table = this.table();
    if (!isId(id)) return undefined;
    const record = this.mem.exports.tableFind(table, this.putId(id)) >>> 0;
    return record === 0 ? undefined : this.node(record);
  }

  state(id: Uint8Array, now: number): NodeState | undefined {
    const table = this.table();
    if (!isId(id)) return undefined;
    return STATES[this.mem.exports.tableState(table, this.putId(id), now)];
  }

  stalest(id: Uint8Array, now: number): RoutingNode | undefined {
    const table = this.table();
    if (!isId(id)) return undefined;
    const record = this.mem.exports.tableStalest(table, this.putId(id), now) >>> 0;
    return record === 0 ? undefined : this.node(record);
  }

  /** Where the last selection wrote its results. */
  private selected = 0;

  /**
   * Run the selection; returns the count, results at `this.selected` (compact
   * node info or record addresses).
   */
  private select(target: Uint8Array, k: number, compact: boolean): number {
    const table = this.table();
    if (!isId(target)) throw new TypeError('closest target must be 20 bytes');
    if (!(k >= 1)) return 0;
    const mem = this.mem;
    const want = Math.min(Math.floor(k), mem.i32[(table + H_SIZE) >>> 2]!);
    const outBytes = want * (compact ? ID_LENGTH + this.addressLength : 4);
    const workBytes = want * 24;
    let out = mem.output;
    let work = mem.work;
    if (outBytes > mem.outputSize || workBytes > mem.workSize) {
      out = mem.scratch(outBytes + workBytes + 16);
      work = out + Math.ceil(outBytes / 16) * 16;
    }
    const args = this.putId(target);
    this.selected = out;
    return mem.exports.tableClosest(table, args, want, out, work, compact ? 1 : 0);
  }

  /**
   * The common case's selection into OUTPUT as compact node info; returns the
   * count. The target goes as words (arguments), not 20 byte stores into ARGS:
   * its first 8 bytes, enough when its bucket is full (k <= 8), else all 20.
   */
  private nearest(table: number, t: Uint8Array, k: number): number {
    const mem = this.mem;
    const w0 = t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24);
    const w1 = t[4]! | (t[5]! << 8) | (t[6]! << 16) | (t[7]! << 24);
    const count = mem.exports.tableNearestWords(table, w0, w1, k, mem.output);
    if (count >= 0) return count;
    return mem.exports.tableClosestWords(
      table,
      w0,
      w1,
      t[8]! | (t[9]! << 8) | (t[10]! << 16) | (t[11]! << 24),
      t[12]! | (t[13]! << 8) | (t[14]! << 16) | (t[15]! << 24),
      t[16]! | (t[17]! << 8) | (t[18]! << 16) | (t[19]! << 24),
      k,
      mem.output,
      mem.work,
    );
  }

  /**
   * The selection as compact node info; returns a view of it in linear memory.
   * The common case in a few steps: a whole number of nodes whose answer fits
   * OUTPUT and WORK, on a live table, for a 20-byte target.
   */
  private selectCompact(target: Uint8Array, k: number): Uint8Array {
    const region = this.region;
    const mem = this.mem;
    if (region !== undefined && (k | 0) === k && k >= 1 && k <= FIXED_K && isId(target)) {
      return mem.outputViews.get(this.nearest(region.ptr, target, k) * (ID_LENGTH + this.addressLength));
    }
    const count = this.select(target, k, true);
    const out = this.selected;
    const n = count * (ID_LENGTH + this.addressLength);
    return out === mem.output ? mem.outputViews.get(n) : mem.u8.subarray(out, out + n);
  }

  closest(target: Uint8Array, k: number): Uint8Array {
    return this.results.take(this.selectCompact(target, k));
  }

  /** `closest` as a view of linear memory, valid until the next call into the core (the answer writer copies it). */
  closestView(target: Uint8Array, k: number): Uint8Array {
    return this.selectCompact(target, k);
  }

  /**
   * `closest` into the caller's buffer: one `set` from a kept view of OUTPUT
   * (one per length, made once), no view or result allocated per call.
   */
  closestInto(target: Uint8Array, k: number, out: Uint8Array): number {
    const region = this.region;
    const mem = this.mem;
    const width = ID_LENGTH + this.addressLength;
    // The common case, as selectCompact's: checks in line, the export straight into OUTPUT.
    if (region !== undefined && (k | 0) === k && k >= 1 && k <= FIXED_K && isId(target) && out instanceof Uint8Array) {
      // Room for k nodes is always enough; else room for the table's size (read only then).
      const room = out.length;
      if (room >= k * width || room >= mem.i32[(region.ptr + H_SIZE) >>> 2]! * width) {
        const n = this.nearest(region.ptr, target, k) * width;
        out.set(mem.outputViews.get(n));
        return n;
      }
    }
    const table = this.table();
    if (!isId(target)) throw new TypeError('closest target must be 20 bytes');
    checkClosestOut(out, closestWant(k, mem.i32[(table + H_SIZE) >>> 2]!), width);
    const answer = this.selectCompact(target, k);
    out.set(answer);
    return answer.length;
  }

  closestNodes(target: Uint8Array, k: number): RoutingNode[] {
    const count = this.select(target, k, false);
    const out = this.selected;
    const nodes: RoutingNode[] = [];
    const i32 = this.mem.i32;
    for (let i = 0; i < count; i++) nodes.push(this.node(i32[(out >>> 2) + i]! >>> 0));
    return nodes;
  }

  /** A copy of the record at `record`. */
  private node(record: number): RoutingNode {
    const mem = this.mem;
    return {
      id: mem.u8.slice(record, record + ID_LENGTH),
      address: mem.u8.slice(record + R_ADDRESS, record + R_ADDRESS + this.addressLength),
      lastSeen: mem.f64[(record + R_LAST_SEEN) >>> 3]!,
      responded: mem.u8[record + R_RESPONDED] !== 0,
      failures: mem.i32[(record + R_FAILURES) >>> 2]!,
    };
  }

  /**
   * Visit the buckets in listing order (the trie's leaves): with one registered
   * id, at each branch the side away from it first (farthest first); with
   * more, the zero side first (key order). `prefix` is the bucket's, zero past
   * its length (a scratch array: copy it to keep it).
   */
  private walk(visit: (bucket: number, prefix: Uint8Array) => void): void {
    const table = this.table();
    const i32 = this.mem.i32;
    const cells = table + i32[(table + H_CELLS) >>> 2]!;
    const stride = i32[(table + H_STRIDE) >>> 2]!;
    const single = this.registered.length === 1 ? this.id : undefined;
    const prefix = new Uint8Array(ID_LENGTH);
    const go = (ref: number): void => {
      if (ref < 0) {
        visit(table + HEADER + ~ref * stride, prefix);
        return;
      }
      const cell = (cells + ref * CELL) >>> 2;
      const bit = i32[cell]!;
      const mask = 0x80 >> (bit & 7);
      const first = single === undefined ? 0 : ((single[bit >> 3]! & mask) === 0 ? 1 : 0);
      for (const side of [first, first ^ 1]) {
        if (side === 1) prefix[bit >> 3]! |= mask;
        go(i32[cell + 1 + side]!);
        prefix[bit >> 3]! &= ~mask;
      }
    };
    go(i32[(table + H_ROOT) >>> 2]!);
  }

  buckets(): BucketInfo[] {
    const mem = this.mem;
    const out: BucketInfo[] = [];
    this.walk((bucket, prefix) =>
      out.push({
        prefixLength: mem.i32[(bucket + B_DEPTH) >>> 2]!,
        prefix: prefix.slice(),
        lastChanged: mem.f64[(bucket + B_LAST_CHANGED) >>> 3]!,
        size: mem.i32[(bucket + B_COUNT) >>> 2]!,
        cacheSize: mem.i32[(bucket + B_CACHE_COUNT) >>> 2]!,
      }),
    );
    return out;
  }

  nodes(): RoutingNode[] {
    const mem = this.mem;
    const out: RoutingNode[] = [];
    this.walk((bucket) => {
      const count = mem.i32[(bucket + B_COUNT) >>> 2]!;
      for (let j = 0; j < count; j++) out.push(this.node(bucket + BUCKET_HEAD + j * RECORD));
    });
    return out;
  }

  dispose(): void {
    const region = this.region;
    if (region === undefined) return;
    this.region = undefined;
    this.registry.unregister(this);
    this.mem.free(region.ptr, region.bytes);
  }
}
