/**
 * The simulator's agenda: a binary min-heap of events ordered by (time, seq).
 * `seq` is a global scheduling counter, so events due at the same virtual time
 * fire in the order they were scheduled — the tie-break that makes runs
 * deterministic.
 *
 * The keys live in two Float64Arrays beside the event array, so sifting reads
 * contiguous memory instead of chasing a million event objects (that cut the
 * cost per event several times at 10^6 datagrams in flight). For the same
 * reason events do not track their slot: a cancelled event stays queued as a
 * tombstone, skipped when it reaches the top, and the heap is compacted when
 * tombstones outnumber live events.
 */
export abstract class ScheduledEvent {
  /** True while queued; false once fired or cancelled. */
  queued = false;

  constructor(
    readonly time: number,
    readonly seq: number,
  ) {}

  abstract fire(): void;
}

const INITIAL_CAPACITY = 1024;
/** Below this many tombstones compaction is not worth a pass. */
const COMPACT_MIN = 1024;

export class EventQueue {
  #times = new Float64Array(INITIAL_CAPACITY);
  #seqs = new Float64Array(INITIAL_CAPACITY);
  #events: Array<ScheduledEvent | undefined> = [];
  #length = 0;
  #tombstones = 0;

  /** Live events queued. */
  get size(): number {
    return this.#length - this.#tombstones;
  }

  /** The next live event, without taking it. */
  peek(): ScheduledEvent | undefined {
    this.#skipTombstones();
    return this.#length > 0 ? this.#events[0] : undefined;
  }

  push(event: ScheduledEvent): void {
    if (this.#length === this.#times.length) this.#grow();
    event.queued = true;
    this.#siftUp(this.#length++, event.time, event.seq, event);
  }

  /** Take the next live event out. */
  pop(): ScheduledEvent | undefined {
    this.#skipTombstones();
    if (this.#length === 0) return undefined;
    const top = this.#removeTop();
    top.queued = false;
    return top;
  }

  /** Cancel a queued event; a no-op for one that already fired or was removed. */
  remove(event: ScheduledEvent): void {
    if (!event.queued) return;
    event.queued = false;
    this.#tombstones++;
    if (this.#tombstones >= COMPACT_MIN && this.#tombstones * 2 > this.#length) this.#compact();
  }

  #skipTombstones(): void {
    while (this.#length > 0 && !(this.#events[0] as ScheduledEvent).queued) {
      this.#removeTop();
      this.#tombstones--;
    }
  }

  #removeTop(): ScheduledEvent {
    const events = this.#events;
    const top = events[0] as ScheduledEvent;
    const last = --this.#length;
    const moved = events[last] as ScheduledEvent;
    events[last] = undefined;
    if (last > 0) this.#siftDown(0, this.#times[last] as number, this.#seqs[last] as number, moved);
    return top;
  }

  /** Place (time, seq, event) at hole `i` or above it. */
  #siftUp(i: number, time: number, seq: number, event: ScheduledEvent): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const events = this.#events;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent] as number;
      if (pt < time || (pt === time && (seqs[parent] as number) < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent] as number;
      events[i] = events[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    events[i] = event;
  }

  /** Place (time, seq, event) at hole `i` or below it. */
  #siftDown(i: number, time: number, seq: number, event: ScheduledEvent): void {
    const times = this.#times;
    const seqs = this.#seqs;
    const events = this.#events;
    const n = this.#length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      let ct = times[child] as number;
      let cs = seqs[child] as number;
      const right = child + 1;
      if (right < n) {
        const rt = times[right] as number;
        const rs = seqs[right] as number;
        if (rt < ct || (rt === ct && rs < cs)) {
          child = right;
          ct = rt;
          cs = rs;
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      times[i] = ct;
      seqs[i] = cs;
      events[i] = events[child];
      i = child;
    }
    times[i] = time;
    seqs[i] = seq;
    events[i] = event;
  }

  #grow(): void {
    const capacity = this.#times.length * 2;
    const times = new Float64Array(capacity);
    const seqs = new Float64Array(capacity);
    times.set(this.#times);
    seqs.set(this.#seqs);
    this.#times = times;
    this.#seqs = seqs;
  }

  /** Drop every tombstone and rebuild the heap bottom-up. */
  #compact(): void {
    const events = this.#events;
    let live = 0;
    for (let i = 0; i < this.#length; i++) {
      const event = events[i] as ScheduledEvent;
      if (!event.queued) continue;
      events[live] = event;
      this.#times[live] = event.time;
      this.#seqs[live] = event.seq;
      live++;
    }
    events.length = live;
    this.#length = live;
    this.#tombstones = 0;
    for (let i = (live >> 1) - 1; i >= 0; i--) {
      this.#siftDown(i, this.#times[i] as number, this.#seqs[i] as number, events[i] as ScheduledEvent);
    }
  }
}
