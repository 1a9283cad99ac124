/**
 * Where the wasm backend's byte results live. A fresh Uint8Array longer than
 * 64 bytes gets its own off-heap backing store, which costs ~0.3 µs on V8 —
 * more than a whole closest() or KRPC encode. So results up to 4 KiB are
 * carved from a shared 32 KiB chunk (as Node's Buffer pool does): each result
 * is its own range, but its `.buffer` is the chunk, which stays alive while
 * any result from it does (`slice()` a result you keep for long). Small
 * results (≤ 64 bytes, allocated on the JS heap) and large ones are plain copies.
 */

const CHUNK = 32768;
const POOLED_MAX = 4096;
const ON_HEAP_MAX = 64;

/** Via an ArrayBuffer: measured about twice as fast as `new Uint8Array(size)` at this size. */
const newChunk = (): Uint8Array => new Uint8Array(new ArrayBuffer(CHUNK));

export class ResultPool {
  private chunk = newChunk();
  private buffer = this.chunk.buffer;
  private used = 0;

  /** A copy of `view` (a whole view: see PrefixViews) that aliases nothing else. */
  take(view: Uint8Array): Uint8Array {
    const n = view.length;
    if (n <= ON_HEAP_MAX || n > POOLED_MAX) return view.slice();
    // A chunk whose buffer was transferred elsewhere is detached (length 0): start a new one.
    if (this.used + n > this.chunk.length) {
      this.chunk = newChunk();
      this.buffer = this.chunk.buffer;
      this.used = 0;
    }
    const at = this.used;
    this.chunk.set(view, at);
    this.used = (at + n + 7) & ~7;
    return new Uint8Array(this.buffer, at, n);
  }
}

const CACHED_MAX = 2048;

/**
 * Views `bytes[start .. start + n)` for n up to 2 KiB, made once per length:
 * a copy-out then costs one `set` instead of a `subarray` plus a `set`.
 */
export class PrefixViews {
  // Preallocated, so the elements stay in V8's fast (holey) mode whatever lengths come.
  private views = new Array<Uint8Array | undefined>(CACHED_MAX + 1);

  constructor(
    private bytes: Uint8Array,
    private start: number,
  ) {}

  /** Point at new bytes (memory grew, or a writer replaced its buffer). */
  reset(bytes: Uint8Array, start: number): void {
    this.bytes = bytes;
    this.start = start;
    this.views = new Array<Uint8Array | undefined>(CACHED_MAX + 1);
  }

  get(n: number): Uint8Array {
    if (n > CACHED_MAX) return this.bytes.subarray(this.start, this.start + n);
    let view = this.views[n];
    if (view === undefined) {
      view = this.bytes.subarray(this.start, this.start + n);
      this.views[n] = view;
    }
    return view;
  }
}
