/** Test doubles for the node: a manual clock, a transport we feed and read, and a wired-up node. */
import type { Clock, TimerHandle } from '../../src/ground/clock.ts';
import type { DatagramHandler, Transport } from '../../src/transport/types.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import type { Core } from '../../src/core/types.ts';
import type { KrpcMessage, KrpcDecodeFailure, OutgoingMessage } from '../../src/ground/messages.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { seededRandom } from '../../src/ground/random.ts';

/** Time moves only by advance(); due timers fire in order. */
export class ManualClock implements Clock {
  #now = 1_000_000;
  #timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];
  #seq = 0;

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, live: true };
    this.#timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }

  get pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }

  /** Move time forward by `ms`, firing due timers (and letting promise chains run after each). */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => t.live);
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers[0];
      if (!next || next.at > end) break;
      next.live = false;
      this.#now = next.at;
      next.fn();
      await flush();
    }
    this.#now = end;
    await flush();
  }
}

/** Let queued promise continuations run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export interface Sent {
  data: Uint8Array;
  to: Endpoint;
}

/** A transport that records what the node sends and lets the test deliver datagrams. */
export class FakeTransport implements Transport {
  readonly sent: Sent[] = [];
  #handler: DatagramHandler | undefined;
  #local: Endpoint;
  closed = false;
  onError?: (error: Error) => void;

  constructor(local: Endpoint = { host: '10.0.0.1', port: 6881, family: 4 }) {
    this.#local = local;
  }

  get local(): Endpoint | undefined {
    return this.#handler ? this.#local : undefined;
  }

  listen(onDatagram: DatagramHandler): Promise<Endpoint> {
    this.#handler = onDatagram;
    return Promise.resolve(this.#local);
  }

  send(data: Uint8Array, to: Endpoint): void {
    this.sent.push({ data: data.slice(), to });
  }

  close(): Promise<void> {
    this.closed = true;
    this.#handler = undefined;
    return Promise.resolve();
  }

  /** Hand a datagram to the node, as if it came from `from`. */
  deliver(data: Uint8Array, from: Endpoint): void {
    if (!this.#handler) throw new Error('not listening');
    this.#handler(data, from);
  }

  /** Take (and clear) what was sent so far. */
  take(): Sent[] {
    return this.sent.splice(0, this.sent.length);
  }
}

export function v4(host: string, port = 6881): Endpoint {
  return { host, port, family: 4 };
}

export interface TestNode {
  dht: DHT;
  transport: FakeTransport;
  clock: ManualClock;
  core: Core;
  /** Deliver `message` from `from` and return the answers (not our own queries, e.g. routing pings) sent back to `from`. */
  ask(message: OutgoingMessage | Uint8Array, from: Endpoint): (KrpcMessage | KrpcDecodeFailure)[];
}

/** A started standalone node on a fake transport and a manual clock. */
export async function startTestNode(core: Core, options: DHTOptions = {}): Promise<TestNode> {
  const clock = new ManualClock();
  const transport = new FakeTransport();
  const dht = new DHT({
    core,
    transport,
    clock,
    random: seededRandom(7),
    bootstrap: [],
    maintenance: false,
    id: 'aa'.repeat(20),
    ...options,
  });
  await dht.start();
  await flush();
  transport.take();
  return {
    dht,
    transport,
    clock,
    core,
    ask(message, from) {
      const bytes = message instanceof Uint8Array ? message : core.encodeKrpc(message);
      transport.deliver(bytes, from);
      return transport
        .take()
        .filter((sent) => sent.to.host === from.host && sent.to.port === from.port)
        .map((sent) => core.decodeKrpc(sent.data))
        .filter((message) => message.y !== 'q');
    },
  };
}

export function id(byte: number): Uint8Array {
  return new Uint8Array(20).fill(byte);
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
