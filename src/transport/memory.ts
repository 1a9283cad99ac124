/**
 * SimulatedNetwork: many nodes in one process, on virtual time.
 *
 * The model
 * - Addresses. Every transport owns a unique (host, port). Hosts are numeric IP
 *   strings, by default 127.a.b.c handed out in order (port 6881); they are
 *   never used on a real socket. Port 0 picks a free port on the given host.
 * - Sending. send() settles the datagram's fate at once, drawing from the
 *   seeded PRNG: lost (probability `loss`), or delivered after a latency drawn
 *   uniformly from `latencyMs`. Per-link overrides (setLink) replace either.
 *   The bytes are copied, so the sender may reuse its buffer; the receiver
 *   must copy what it keeps, as the Transport contract says. An IPv4 sender
 *   cannot reach an IPv6 host (and vice versa), and a bad port is refused:
 *   both go to the sender's onError, as a real socket would report them.
 * - Delivery. The destination is looked up when the datagram arrives: if no
 *   transport is listening there by then (closed, removed, never listened) it
 *   is dropped. Handlers get the sender's endpoint object, frozen and shared.
 * - Time. One event queue — a binary heap ordered by (time, scheduling
 *   sequence) — holds deliveries and the timers of `network.clock`. Virtual
 *   time jumps from event to event; nothing waits on the wall clock.
 * - Promises. run() is async and, after every event, awaits `microtaskTicks`
 *   resolved promises so that short async chains in handlers (await a store,
 *   then reply) finish at the virtual time of the event that started them.
 *   A longer chain goes on during later events, so it sees a later now();
 *   raise `microtaskTicks` if a node's handlers await deeper. Every
 *   `drainEvery` events, and whenever the queue runs dry, it yields one
 *   macrotask, which empties the microtask queue completely.
 * - Determinism. Same seed and same sequence of calls give the same deliveries
 *   at the same virtual times, provided the nodes take time and timers only
 *   from `network.clock` (never Date.now or setTimeout) and randomness that
 *   matters from a seeded source.
 * - Errors. A handler that throws is reported to its transport's onError; with
 *   no onError (and for a throwing timer) the error rejects run(), as an
 *   uncaught exception would end a real process.
 *
 * Memory: a transport is one small object plus a frozen endpoint and a Map
 * entry (~200 bytes listening); a datagram in flight is one event and a view
 * of its bytes, copied into shared 64 KiB slabs.
 */
import { ipFamily } from '../ground/address.ts';
import { ScheduledEvent } from './event-queue.ts';
import { Random } from '../ground/random.ts';
import type { AddressFamily, Endpoint } from '../ground/address.ts';
import type { DatagramHandler, Transport } from './types.ts';
import { VirtualClock } from './virtual-clock.ts';

export type LatencyRange = readonly [min: number, max: number];

export interface SimulatedNetworkOptions {
  /** PRNG seed; default 1. */
  seed?: number;
  /** One-way latency range in ms, drawn uniformly; default [10, 100]. */
  latencyMs?: LatencyRange;
  /** Probability that a datagram is lost, 0..1; default 0. */
  loss?: number;
  /** Resolved promises awaited after each event; default 8. */
  microtaskTicks?: number;
  /** Events between full microtask drains (one macrotask each); default 1024. */
  drainEvery?: number;
  /**
   * Overwrite each datagram once its handler returns, so a node that keeps
   * `data` (or reads it after an await) sees garbage in tests; default false.
   */
  scribble?: boolean;
}

/** Overrides for traffic between two hosts. */
export interface LinkConditions {
  loss?: number;
  latencyMs?: LatencyRange;
  /** Apply to a → b only; by default b → a gets the same conditions. */
  oneWay?: boolean;
}

export interface NetworkStats {
  /** send() calls on open transports: sent = lost + dropped + delivered + still in flight. */
  sent: number;
  delivered: number;
  /** Lost to the loss probability. */
  lost: number;
  /** Refused at send (bad port, wrong family) or with nobody listening on arrival. */
  dropped: number;
  bytesSent: number;
  bytesDelivered: number;
}

export interface RunOptions {
  /** Stop once the next event is later than this virtual time, and move time to it. */
  until?: number;
  /** Stop after this many events. */
  maxEvents?: number;
}

export interface RunUntilOptions {
  /** Give up this much virtual time after the call. */
  timeoutMs: number;
  maxEvents?: number;
}

/** A transport on the simulated network: its address is fixed at creation. */
export interface SimulatedTransport extends Transport {
  readonly address: Endpoint;
}

/** Where to put a new transport: a host string, or host and port. */
export type TransportPlacement = string | { host?: string; port?: number };

const DEFAULT_PORT = 6881;
const SLAB_BYTES = 64 * 1024;
const SCRIBBLE = 0xa5;
const EPHEMERAL_FIRST = 49_152;

class Link {
  constructor(
    readonly loss: number | undefined,
    readonly latencyMs: LatencyRange | undefined,
  ) {}
}

/** The shared state transports and deliveries reach; the public face is SimulatedNetwork. */
class Fabric {
  readonly clock = new VirtualClock();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, dropped: 0, bytesSent: 0, bytesDelivered: 0 };
  /** One transport per host in the common case; a port map when a host has several. */
  readonly hosts = new Map<string, MemoryTransport | Map<number, MemoryTransport>>();
  /** Keyed `${from} ${to}` by host. */
  readonly links = new Map<string, Link>();
  readonly random: Random;
  loss: number;
  latencyMs: LatencyRange;
  scribble = false;
  #slab = new Uint8Array(0);
  #slabUsed = 0;

  constructor(seed: number, loss: number, latencyMs: LatencyRange) {
    this.random = new Random(seed);
    this.loss = loss;
    this.latencyMs = latencyMs;
  }

  lookup(host: string, port: number): MemoryTransport | undefined {
    const entry = this.hosts.get(host);
    if (entry === undefined) return undefined;
    if (entry instanceof MemoryTransport) return entry.address.port === port ? entry : undefined;
    return entry.get(port);
  }

  register(transport: MemoryTransport): void {
    const { host, port } = transport.address;
    const entry = this.hosts.get(host);
    if (entry === undefined) this.hosts.set(host, transport);
    else if (entry instanceof MemoryTransport) {
      this.hosts.set(host, new Map([[entry.address.port, entry], [port, transport]]));
    } else entry.set(port, transport);
  }

  unregister(transport: MemoryTransport): void {
    const { host, port } = transport.address;
    const entry = this.hosts.get(host);
    if (entry === transport) this.hosts.delete(host);
    else if (entry instanceof Map && entry.get(port) === transport) {
      entry.delete(port);
      if (entry.size === 0) this.hosts.delete(host);
    }
  }

  send(sender: MemoryTransport, data: Uint8Array, to: Endpoint): void {
    const stats = this.stats;
    stats.sent++;
    stats.bytesSent += data.byteLength;
    const host = to.host;
    const port = to.port;
    const from = sender.address;
    if (!(Number.isInteger(port) && port > 0 && port <= 65_535)) {
      stats.dropped++;
      sender.report(new Error(`bad port: ${port}`));
      return;
    }
    if (typeof host !== 'string' || (host.includes(':') ? 6 : 4) !== from.family) {
      stats.dropped++;
      sender.report(new Error(`IPv${from.family === 4 ? 6 : 4} address on a udp${from.family} socket: ${String(host)}`));
      return;
    }
    let loss = this.loss;
    let latency = this.latencyMs;
    if (this.links.size > 0) {
      const link = this.links.get(from.host + ' ' + host);
      if (link !== undefined) {
        if (link.loss !== undefined) loss = link.loss;
        if (link.latencyMs !== undefined) latency = link.latencyMs;
      }
    }
    if (loss > 0 && this.random.next() < loss) {
      stats.lost++;
      return;
    }
    const [min, max] = latency;
    const delay = max > min ? min + this.random.next() * (max - min) : min;
    const clock = this.clock;
    clock.schedule(new Delivery(clock.now() + delay, clock.nextSeq(), this, host, port, from, this.copy(data)));
  }

  /**
   * Copy a datagram out of the sender's hands. Small ones are carved from a
   * shared slab: one backing store per 64 KiB instead of one per datagram,
   * which is most of the cost of a send. A handler keeping a view pins its
   * slab — the handler contract already says to copy what is kept.
   */
  copy(data: Uint8Array): Uint8Array {
    const n = data.byteLength;
    if (n > SLAB_BYTES / 8) return new Uint8Array(data);
    let start = this.#slabUsed;
    if (start + n > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      start = 0;
    }
    this.#slab.set(data, start);
    this.#slabUsed = start + n;
    return this.#slab.subarray(start, start + n);
  }

  deliver(event: Delivery): void {
    const target = this.lookup(event.toHost, event.toPort);
    if (target === undefined || !target.receive(event.data, event.from)) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    this.stats.bytesDelivered += event.data.byteLength;
    if (this.scribble) event.data.fill(SCRIBBLE);
  }
}

class Delivery extends ScheduledEvent {
  constructor(
    time: number,
    seq: number,
    readonly fabric: Fabric,
    readonly toHost: string,
    readonly toPort: number,
    readonly from: Endpoint,
    readonly data: Uint8Array,
  ) {
    super(time, seq);
  }

  fire(): void {
    this.fabric.deliver(this);
  }
}

const RESOLVED = Promise.resolve();

class MemoryTransport implements SimulatedTransport {
  onError?: (error: Error) => void;
  #handler: DatagramHandler | undefined = undefined;
  #closed = false;

  constructor(
    readonly fabric: Fabric,
    readonly address: Endpoint,
  ) {}

  get local(): Endpoint | undefined {
    return this.#handler !== undefined ? this.address : undefined;
  }

  listen(onDatagram: DatagramHandler): Promise<Endpoint> {
    if (this.#closed) return Promise.reject(new Error('SimulatedTransport: closed'));
    if (this.#handler !== undefined) return Promise.reject(new Error('SimulatedTransport: listen() may be called once'));
    this.#handler = onDatagram;
    return Promise.resolve(this.address);
  }

  send(data: Uint8Array, to: Endpoint): void {
    if (!this.#closed) this.fabric.send(this, data, to);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#handler = undefined;
      this.fabric.unregister(this);
    }
    return RESOLVED;
  }

  /** Hand a datagram to the handler; false when nobody is listening. */
  receive(data: Uint8Array, from: Endpoint): boolean {
    const handler = this.#handler;
    if (handler === undefined) return false;
    try {
      handler(data, from);
    } catch (error) {
      if (this.onError === undefined) throw error;
      this.onError(error instanceof Error ? error : new Error(String(error)));
    }
    return true;
  }

  report(error: Error): void {
    this.onError?.(error);
  }
}

function checkLoss(loss: number): number {
  if (!(loss >= 0 && loss <= 1)) throw new RangeError(`loss must be within 0..1, got ${loss}`);
  return loss;
}

function checkLatency(range: LatencyRange): LatencyRange {
  const [min, max] = range;
  if (!(min >= 0 && max >= min && Number.isFinite(max))) throw new RangeError(`latencyMs must be [min, max] with 0 <= min <= max, got [${min}, ${max}]`);
  return [min, max];
}

// setImmediate (Node, Deno) costs ~3 µs; setTimeout(0) is the portable fallback.
const nextMacrotask: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

function macrotask(): Promise<void> {
  return new Promise((resolve) => nextMacrotask(resolve));
}

export class SimulatedNetwork {
  readonly #fabric: Fabric;
  readonly #microtaskTicks: number;
  readonly #drainEvery: number;
  #nextHost = 0;
  #nextPort = EPHEMERAL_FIRST;
  #running = false;

  constructor(options: SimulatedNetworkOptions = {}) {
    this.#fabric = new Fabric(
      options.seed ?? 1,
      checkLoss(options.loss ?? 0),
      checkLatency(options.latencyMs ?? [10, 100]),
    );
    this.#fabric.scribble = options.scribble ?? false;
    this.#microtaskTicks = Math.max(0, Math.floor(options.microtaskTicks ?? 8));
    this.#drainEvery = Math.max(1, Math.floor(options.drainEvery ?? 1024));
  }

  /** Virtual time for the nodes of this network: pass it to them instead of realClock. */
  get clock(): VirtualClock {
    return this.#fabric.clock;
  }

  /** Live counters since creation. */
  get stats(): Readonly<NetworkStats> {
    return this.#fabric.stats;
  }

  /** Transports currently holding an address. */
  get size(): number {
    let n = 0;
    for (const entry of this.#fabric.hosts.values()) n += entry instanceof Map ? entry.size : 1;
    return n;
  }

  get loss(): number {
    return this.#fabric.loss;
  }

  set loss(loss: number) {
    this.#fabric.loss = checkLoss(loss);
  }

  get latencyMs(): LatencyRange {
    return this.#fabric.latencyMs;
  }

  set latencyMs(range: LatencyRange) {
    this.#fabric.latencyMs = checkLatency(range);
  }

  /**
   * A transport at a fresh 127.a.b.c:6881, or where asked. Port 0 picks a free
   * port on that host (IPv6 hosts such as '::1' work the same way). Throws if
   * the address is taken or the host is not an IP literal.
   */
  createTransport(at?: TransportPlacement): SimulatedTransport {
    const fabric = this.#fabric;
    const wanted = typeof at === 'string' ? { host: at } : (at ?? {});
    const host = wanted.host ?? this.#freshHost();
    const family = ipFamily(host);
    if (family === undefined) throw new Error(`SimulatedNetwork: not an IP literal: ${JSON.stringify(host)}`);
    let port = wanted.port ?? DEFAULT_PORT;
    if (port === 0) port = this.#freePort(host);
    if (!(Number.isInteger(port) && port > 0 && port <= 65_535)) throw new RangeError(`SimulatedNetwork: bad port ${port}`);
    if (fabric.lookup(host, port) !== undefined) throw new Error(`SimulatedNetwork: ${host}:${port} is taken`);
    const address: Endpoint = Object.freeze({ host, port, family });
    const transport = new MemoryTransport(fabric, address);
    fabric.register(transport);
    return transport;
  }

  /** Take a node off the network: close every transport on `host` (or only host:port). Returns how many. */
  remove(host: string, port?: number): number {
    const entry = this.#fabric.hosts.get(host);
    if (entry === undefined) return 0;
    const doomed = entry instanceof Map ? [...entry.values()] : [entry];
    let n = 0;
    for (const transport of doomed) {
      if (port !== undefined && transport.address.port !== port) continue;
      void transport.close();
      n++;
    }
    return n;
  }

  /** Override loss and/or latency between two hosts (both ways unless oneWay); null restores the defaults. */
  setLink(a: string, b: string, conditions: LinkConditions | null): void {
    const links = this.#fabric.links;
    if (conditions === null) {
      links.delete(a + ' ' + b);
      links.delete(b + ' ' + a);
      return;
    }
    const link = new Link(
      conditions.loss === undefined ? undefined : checkLoss(conditions.loss),
      conditions.latencyMs === undefined ? undefined : checkLatency(conditions.latencyMs),
    );
    links.set(a + ' ' + b, link);
    if (conditions.oneWay !== true) links.set(b + ' ' + a, link);
  }

  /**
   * Process events in order, up to `until` (then time moves to `until`) or
   * `maxEvents`. With neither, runs until nothing is queued — which never
   * happens while nodes keep periodic timers, so bound it. Resolves with the
   * number of events processed.
   */
  async run(options: RunOptions = {}): Promise<number> {
    const until = options.until ?? Infinity;
    const maxEvents = options.maxEvents ?? Infinity;
    this.#enter();
    try {
      const processed = await this.#loop(until, maxEvents, undefined);
      if (processed < maxEvents && until !== Infinity) this.clock.advanceTo(until);
      return processed;
    } finally {
      this.#running = false;
    }
  }

  /**
   * Process events until `predicate()` holds (checked before the first event
   * and after each one settles), `timeoutMs` of virtual time has passed, or
   * `maxEvents` were processed. Resolves with the predicate's final value.
   */
  async runUntil(predicate: () => boolean, options: RunUntilOptions): Promise<boolean> {
    const deadline = this.clock.now() + options.timeoutMs;
    const maxEvents = options.maxEvents ?? Infinity;
    this.#enter();
    try {
      if (predicate()) return true;
      const processed = await this.#loop(deadline, maxEvents, predicate);
      if (predicate()) return true;
      if (processed < maxEvents) this.clock.advanceTo(deadline);
      return false;
    } finally {
      this.#running = false;
    }
  }

  async #loop(limit: number, maxEvents: number, stop: (() => boolean) | undefined): Promise<number> {
    const clock = this.clock;
    const ticks = this.#microtaskTicks;
    const drainEvery = this.#drainEvery;
    let processed = 0;
    while (processed < maxEvents) {
      if (!clock.step(limit)) {
        // Dry: let every pending continuation run; it may schedule more.
        await macrotask();
        if (stop?.() === true) break;
        const next = clock.nextTime();
        if (next === undefined || next > limit) break;
        continue;
      }
      processed++;
      for (let i = 0; i < ticks; i++) await RESOLVED;
      if (processed % drainEvery === 0) await macrotask();
      if (stop?.() === true) break;
    }
    return processed;
  }

  #enter(): void {
    if (this.#running) throw new Error('SimulatedNetwork: run() or runUntil() is already in progress');
    this.#running = true;
  }

  #freshHost(): string {
    for (;;) {
      const i = this.#nextHost++;
      if (i >= 254 * 65_536) throw new Error('SimulatedNetwork: out of automatic addresses');
      // 127.a.b.c with c in 1..254: no network or broadcast-looking addresses.
      const rest = Math.floor(i / 254);
      const host = `127.${rest >>> 8}.${rest & 255}.${(i % 254) + 1}`;
      if (!this.#fabric.hosts.has(host)) return host;
    }
  }

  #freePort(host: string): number {
    for (let tries = 0; tries < 65_535; tries++) {
      const port = this.#nextPort;
      this.#nextPort = port >= 65_535 ? 1024 : port + 1;
      if (this.#fabric.lookup(host, port) === undefined) return port;
    }
    throw new Error(`SimulatedNetwork: no free port on ${host}`);
  }
}
