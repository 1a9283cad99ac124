import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { EventQueue, ScheduledEvent } from '../../src/transport/event-queue.ts';
import { SimulatedNetwork, type SimulatedTransport } from '../../src/transport/memory.ts';
import { Random } from '../../src/ground/random.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import { VirtualClock } from '../../src/transport/virtual-clock.ts';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

/**
 * A small gossip among `nodes` transports: each node pings a few others on
 * timers, and answers pings from an async handler. Returns the delivery log.
 */
async function gossip(seed: number, nodes = 40): Promise<string[]> {
  const network = new SimulatedNetwork({ seed, loss: 0.1, latencyMs: [5, 50] });
  const log: string[] = [];
  const transports: SimulatedTransport[] = [];
  for (let i = 0; i < nodes; i++) transports.push(network.createTransport());
  for (const [i, t] of transports.entries()) {
    await t.listen(async (data, from) => {
      log.push(`${network.clock.now().toFixed(6)} ${from.host}>${t.address.host} ${data.join(',')}`);
      if (data[0] === 1) {
        await Promise.resolve();
        t.send(bytes(2, i), from);
      }
    });
    for (let k = 1; k <= 3; k++) {
      const to = transports[(i * 7 + k * 13) % nodes] as SimulatedTransport;
      network.clock.setTimer(() => t.send(bytes(1, i, k), to.address), k * 10 + i);
    }
  }
  await network.run({ until: 1_000 });
  return log;
}

describe('SimulatedNetwork', () => {
  it('is deterministic: same seed, same log; another seed, another log', async () => {
    const first = await gossip(42);
    const again = await gossip(42);
    const other = await gossip(43);
    expect(first.length).toBeGreaterThan(100);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('loses datagrams at the configured rate over 10,000 sends', async () => {
    const network = new SimulatedNetwork({ seed: 7, loss: 0.3, latencyMs: [1, 2] });
    const a = network.createTransport();
    const b = network.createTransport();
    let received = 0;
    await a.listen(() => {});
    await b.listen(() => {
      received++;
    });
    for (let i = 0; i < 10_000; i++) a.send(bytes(i & 255), b.address);
    await network.run({ until: 10 });
    // Binomial sd is ~46 datagrams; ±200 is over 4 sd.
    expect(received).toBeGreaterThan(7_000 - 200);
    expect(received).toBeLessThan(7_000 + 200);
    expect(network.stats).toMatchObject({ sent: 10_000, delivered: received, lost: 10_000 - received, dropped: 0 });
    expect(network.stats.bytesDelivered).toBe(received);
  });

  it('delivers within the latency range, and per-link overrides win', async () => {
    const network = new SimulatedNetwork({ seed: 3, latencyMs: [20, 80] });
    const a = network.createTransport();
    const b = network.createTransport();
    const c = network.createTransport('127.9.9.9');
    const delays: number[] = [];
    const fromC: number[] = [];
    await a.listen(() => {});
    await b.listen((data, from) => {
      const delay = network.clock.now() - (data[0] as number) * 1_000;
      (from.host === c.address.host ? fromC : delays).push(delay);
    });
    await c.listen(() => {});
    for (let i = 0; i < 200; i++) {
      const at = i * 1_000;
      network.clock.setTimer(() => a.send(bytes(i), b.address), at);
    }
    await network.run({ until: 200_000 });
    expect(delays).toHaveLength(200);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...delays)).toBeLessThanOrEqual(80);
    expect(Math.min(...delays)).toBeLessThan(30);
    expect(Math.max(...delays)).toBeGreaterThan(70);

    network.setLink(c.address.host, b.address.host, { latencyMs: [500, 500], oneWay: true });
    const start = Math.ceil(network.clock.now() / 1_000) + 1;
    network.clock.setTimer(() => c.send(bytes(start), b.address), start * 1_000 - network.clock.now());
    await network.run({ until: (start + 1) * 1_000 });
    expect(fromC).toEqual([500]);
  });

  it('cuts a link with loss 1 and restores it with null', async () => {
    const network = new SimulatedNetwork({ seed: 5, latencyMs: [1, 1] });
    const a = network.createTransport();
    const b = network.createTransport();
    const got: number[] = [];
    await a.listen((data) => got.push(data[0] as number));
    await b.listen((data, from) => b.send(data, from));
    network.setLink(a.address.host, b.address.host, { loss: 1 });
    a.send(bytes(1), b.address);
    await network.run({ until: 10 });
    network.setLink(a.address.host, b.address.host, null);
    a.send(bytes(2), b.address);
    await network.run({ until: 20 });
    expect(got).toEqual([2]);
    expect(network.stats.lost).toBe(1);
  });

  it('fires timers in time order, same-time timers in scheduling order, cancelled ones never', async () => {
    const network = new SimulatedNetwork();
    const clock = network.clock;
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimer(at('c'), 30);
    clock.setTimer(at('a'), 10);
    clock.setTimer(at('b1'), 20);
    clock.setTimer(at('b2'), 20);
    const cancelled = clock.setTimer(at('x'), 15);
    clock.setTimer(() => {
      fired.push(`nest@${clock.now()}`);
      clock.setTimer(at('nested'), 5);
      clock.setTimer(at('zero'), 0);
    }, 20);
    clock.setTimer(at('late'), 1_000);
    cancelled.cancel();
    cancelled.cancel();
    expect(await network.run({ until: 100 })).toBe(7);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'nest@20', 'zero@20', 'nested@25', 'c@30']);
    expect(clock.now()).toBe(100);
    expect(clock.pending).toBe(1);
    await network.run({ maxEvents: 1 });
    expect(fired.at(-1)).toBe('late@1000');
  });

  it('lets async handlers finish at the virtual time of their datagram', async () => {
    const network = new SimulatedNetwork({ latencyMs: [10, 10] });
    const a = network.createTransport();
    const b = network.createTransport();
    const sentAt: number[] = [];
    const slowStore = async (): Promise<void> => {
      await Promise.resolve();
      await null;
    };
    await a.listen(() => {});
    await b.listen(async (data, from) => {
      await slowStore();
      await slowStore();
      sentAt.push(network.clock.now());
      b.send(data, from);
    });
    a.send(bytes(1), b.address);
    network.clock.setTimer(() => a.send(bytes(2), b.address), 3);
    await network.run({ until: 100 });
    expect(sentAt).toEqual([10, 13]);
    expect(network.stats.delivered).toBe(4);
  });

  it('runs until a predicate holds, or gives up at the virtual deadline', async () => {
    const network = new SimulatedNetwork({ latencyMs: [40, 40] });
    const a = network.createTransport();
    const b = network.createTransport();
    let got = 0;
    await a.listen(() => {});
    await b.listen(() => {
      got++;
    });
    a.send(bytes(1), b.address);
    expect(await network.runUntil(() => got === 1, { timeoutMs: 1_000 })).toBe(true);
    expect(network.clock.now()).toBe(40);
    expect(await network.runUntil(() => got === 2, { timeoutMs: 500 })).toBe(false);
    expect(network.clock.now()).toBe(540);
  });

  it('refuses a second run while one is in progress', async () => {
    const network = new SimulatedNetwork();
    network.clock.setTimer(() => {}, 5);
    const running = network.run({ until: 10 });
    await expect(network.run({ until: 10 })).rejects.toThrow(/in progress/);
    await running;
  });

  it('drops datagrams to removed or closed nodes, and a newcomer at the address gets later ones', async () => {
    const network = new SimulatedNetwork({ latencyMs: [10, 10] });
    const a = network.createTransport();
    const b = network.createTransport();
    const c = network.createTransport();
    const atB: number[] = [];
    const atC: number[] = [];
    await a.listen(() => {});
    await b.listen((data) => atB.push(data[0] as number));
    await c.listen((data) => atC.push(data[0] as number));
    a.send(bytes(1), b.address);
    a.send(bytes(1), c.address);
    expect(network.remove(b.address.host)).toBe(1);
    await c.close();
    await c.close();
    await network.run({ until: 20 });
    expect(atB).toEqual([]);
    expect(atC).toEqual([]);
    expect(network.stats.dropped).toBe(2);
    expect(network.size).toBe(1);

    const newcomer = network.createTransport(b.address.host);
    const atNewcomer: number[] = [];
    await newcomer.listen((data) => atNewcomer.push(data[0] as number));
    a.send(bytes(2), b.address);
    b.send(bytes(3), a.address); // closed: a no-op
    await network.run({ until: 40 });
    expect(atNewcomer).toEqual([2]);
    expect(atB).toEqual([]);
    expect(network.stats.sent).toBe(3);
    await expect(b.listen(() => {})).rejects.toThrow(/closed/);
  });

  it('copies the bytes at send time', async () => {
    const network = new SimulatedNetwork();
    const a = network.createTransport();
    const b = network.createTransport();
    const got: number[][] = [];
    await a.listen(() => {});
    await b.listen((data) => got.push([...data]));
    const buffer = bytes(1, 2, 3);
    a.send(buffer, b.address);
    buffer.fill(9);
    a.send(buffer.subarray(1), b.address);
    await network.run({ until: 1_000 });
    expect(got).toEqual([
      [1, 2, 3],
      [9, 9],
    ]);
  });

  it('scribbles over delivered bytes when asked, exposing handlers that keep them', async () => {
    for (const scribble of [false, true]) {
      const network = new SimulatedNetwork({ scribble });
      const a = network.createTransport();
      const b = network.createTransport();
      const during: number[] = [];
      const after: number[] = [];
      await a.listen(() => {});
      await b.listen(async (data) => {
        during.push(data[0] as number);
        await null;
        after.push(data[0] as number);
      });
      a.send(bytes(7), b.address);
      await network.run({ until: 1_000 });
      expect(during).toEqual([7]);
      expect(after).toEqual([scribble ? 0xa5 : 7]);
    }
  });

  it('reports bad destinations to the sender and hands out the sender endpoint frozen', async () => {
    const network = new SimulatedNetwork();
    const a = network.createTransport();
    const six = network.createTransport({ host: '::1', port: 0 });
    const errors: string[] = [];
    const from: Endpoint[] = [];
    a.onError = (e) => errors.push(e.message);
    await a.listen(() => {});
    await six.listen((_data, sender) => from.push(sender));
    a.send(bytes(1), { host: a.address.host, port: 0, family: 4 });
    a.send(bytes(1), six.address);
    const otherSix = network.createTransport({ host: '::1', port: 0 });
    await otherSix.listen(() => {});
    otherSix.send(bytes(1), six.address);
    await network.run({ until: 1_000 });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/bad port/);
    expect(errors[1]).toMatch(/IPv6 address on a udp4 socket/);
    expect(six.address).toMatchObject({ host: '::1', family: 6 });
    expect(otherSix.address.port).not.toBe(six.address.port);
    expect(from).toEqual([otherSix.address]);
    expect(Object.isFrozen(from[0])).toBe(true);
    expect(network.stats.dropped).toBe(2);
  });

  it('routes a throwing handler to onError, and without onError rejects run()', async () => {
    const network = new SimulatedNetwork({ latencyMs: [1, 1] });
    const a = network.createTransport();
    const b = network.createTransport();
    const errors: string[] = [];
    await a.listen(() => {});
    await b.listen(() => {
      throw new Error('hostile');
    });
    b.onError = (e) => errors.push(e.message);
    a.send(bytes(1), b.address);
    await network.run({ until: 10 });
    expect(errors).toEqual(['hostile']);
    b.onError = undefined;
    a.send(bytes(1), b.address);
    await expect(network.run({ until: 20 })).rejects.toThrow('hostile');
  });

  it('refuses taken addresses and hosts that are not IP literals', () => {
    const network = new SimulatedNetwork();
    const a = network.createTransport('127.0.0.1');
    expect(() => network.createTransport('127.0.0.1')).toThrow(/taken/);
    expect(() => network.createTransport({ host: '127.0.0.1', port: 6882 })).not.toThrow();
    expect(() => network.createTransport('example.org')).toThrow(/IP literal/);
    // Automatic hosts skip the one taken by hand.
    expect(network.createTransport().address.host).not.toBe(a.address.host);
    expect(() => new SimulatedNetwork({ loss: 2 })).toThrow(RangeError);
    expect(() => new SimulatedNetwork({ latencyMs: [5, 1] })).toThrow(RangeError);
  });

  it('creates 10,000 transports cheaply and delivers around a ring of them', async () => {
    const gc = exposeGc();
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const network = new SimulatedNetwork({ seed: 11, latencyMs: [1, 30] });
    const transports: SimulatedTransport[] = [];
    let received = 0;
    const handler = (): void => {
      received++;
    };
    for (let i = 0; i < 10_000; i++) {
      const t = network.createTransport();
      await t.listen(handler);
      transports.push(t);
    }
    gc?.();
    const perTransport = (process.memoryUsage().heapUsed - before) / 10_000;
    console.log(`simulated transport: ~${Math.round(perTransport)} bytes each (10,000 listening)`);
    expect(perTransport).toBeLessThan(2_048);
    expect(new Set(transports.map((t) => `${t.address.host}:${t.address.port}`)).size).toBe(10_000);
    expect(network.size).toBe(10_000);

    const payload = new Uint8Array(100);
    for (const [i, t] of transports.entries()) {
      t.send(payload, (transports[(i + 1) % transports.length] as SimulatedTransport).address);
    }
    expect(await network.runUntil(() => received === 10_000, { timeoutMs: 1_000 })).toBe(true);
    expect(network.stats.bytesDelivered).toBe(1_000_000);
  });
});

describe('EventQueue', () => {
  class Mark extends ScheduledEvent {
    fire(): void {}
  }

  /** Push `count` random events, cancelling each with probability `cancel`; check the pop order. */
  function check(seed: number, count: number, cancel: number): number {
    const random = new Random(seed);
    const queue = new EventQueue();
    const live = new Set<Mark>();
    const all: Mark[] = [];
    for (let seq = 0; seq < count; seq++) {
      const event = new Mark(random.int(0, 200), seq);
      queue.push(event);
      live.add(event);
      all.push(event);
      if (random.next() < cancel) {
        const victim = all[random.int(0, all.length - 1)] as Mark;
        queue.remove(victim);
        queue.remove(victim);
        live.delete(victim);
      }
      // Interleave some pops so removal meets fired events too.
      if (random.next() < 0.05) {
        const first = [...live].sort((x, y) => x.time - y.time || x.seq - y.seq)[0];
        expect(queue.pop()).toBe(first);
        if (first !== undefined) live.delete(first);
      }
    }
    expect(queue.size).toBe(live.size);
    const expected = [...live].sort((x, y) => x.time - y.time || x.seq - y.seq);
    const popped: ScheduledEvent[] = [];
    for (let e = queue.pop(); e !== undefined; e = queue.pop()) popped.push(e);
    expect(popped).toEqual(expected);
    expect(all.every((e) => !e.queued)).toBe(true);
    return expected.length;
  }

  it('pops in (time, seq) order under random pushes, pops and cancellations', () => {
    expect(check(99, 3_000, 0.3)).toBeGreaterThan(1_000);
  });

  it('stays ordered through compaction when most events are cancelled', () => {
    const random = new Random(7);
    const queue = new EventQueue();
    const events = Array.from({ length: 5_000 }, (_, seq) => new Mark(random.int(0, 1_000), seq));
    for (const event of events) queue.push(event);
    // 4,000 tombstones: compaction kicks in once they outnumber live events.
    for (const [i, event] of events.entries()) if (i % 5 !== 0) queue.remove(event);
    const more = Array.from({ length: 100 }, (_, i) => new Mark(random.int(0, 1_000), 5_000 + i));
    for (const event of more) queue.push(event);
    expect(queue.size).toBe(1_100);
    const expected = [...events.filter((_, i) => i % 5 === 0), ...more].sort((x, y) => x.time - y.time || x.seq - y.seq);
    const popped: ScheduledEvent[] = [];
    for (let e = queue.pop(); e !== undefined; e = queue.pop()) popped.push(e);
    expect(popped).toEqual(expected);
  });
});

describe('VirtualClock', () => {
  it('treats negative and NaN delays as zero and Infinity as never', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(() => fired.push('inf'), Infinity);
    clock.setTimer(() => fired.push('neg'), -5);
    clock.setTimer(() => fired.push('nan'), Number.NaN);
    while (clock.step(Infinity));
    expect(fired).toEqual(['neg', 'nan']);
    expect(clock.now()).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('Random', () => {
  it('repeats per seed, differs across seeds, and stays in range', () => {
    const draw = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 1_000 }, () => r.next());
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });
});

/** The engine's gc(), for steadier memory figures; undefined if it cannot be exposed. */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
