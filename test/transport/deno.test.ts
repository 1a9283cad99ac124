import { afterEach, describe, expect, it } from 'vitest';
import {
  DenoUdpTransport,
  denoNamespace,
  type DenoDatagramConn,
  type DenoNet,
  type DenoNetAddr,
} from '../../src/transport/deno-udp.ts';
import { createUdpTransport, udpRuntime } from '../../src/transport/detect.ts';
import type { Endpoint } from '../../src/ground/address.ts';

const onDeno = denoNamespace() !== undefined;
const onBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

describe('createUdpTransport', () => {
  it(`picks the ${onDeno ? 'Deno' : 'node:dgram'} adapter on this runtime (${onDeno ? 'Deno' : onBun ? 'Bun' : 'Node'})`, async () => {
    const transport = await createUdpTransport({ host: '127.0.0.1' });
    try {
      expect(udpRuntime()).toBe(onDeno ? 'deno' : onBun ? 'bun' : 'node');
      if (onDeno) {
        expect(transport).toBeInstanceOf(DenoUdpTransport);
      } else {
        const { NodeUdpTransport } = await import('../../src/transport/node-udp.ts');
        expect(transport).toBeInstanceOf(NodeUdpTransport);
      }
      const local = await transport.listen(() => {});
      expect(local).toMatchObject({ host: '127.0.0.1', family: 4 });
      expect(local.port).toBeGreaterThan(0);
    } finally {
      await transport.close();
    }
  });
});

/**
 * A stand-in for Deno's datagram socket, so the adapter's receive loop, close
 * and error paths are exercised on every runtime, not only under Deno.
 */
class FakeConn implements DenoDatagramConn {
  readonly addr: DenoNetAddr;
  readonly sent: Array<{ bytes: number[]; to: DenoNetAddr }> = [];
  readonly buffersSeen = new Set<ArrayBufferLike>();
  sendFails = false;
  #inbox: Array<[Uint8Array, DenoNetAddr] | Error> = [];
  #waiting: { resolve: (v: [Uint8Array, DenoNetAddr]) => void; reject: (e: Error) => void; into?: Uint8Array } | undefined;
  #closed = false;

  constructor(hostname: string, port: number) {
    this.addr = { transport: 'udp', hostname, port: port === 0 ? 40_000 : port };
  }

  /** Queue an incoming datagram (or a receive error). */
  arrive(item: [Uint8Array, DenoNetAddr] | Error): void {
    this.#inbox.push(item);
    this.#pump();
  }

  receive(p?: Uint8Array): Promise<[Uint8Array, DenoNetAddr]> {
    if (this.#closed) return Promise.reject(new Error('BadResource: Socket has been closed'));
    return new Promise((resolve, reject) => {
      this.#waiting = p === undefined ? { resolve, reject } : { resolve, reject, into: p };
      this.#pump();
    });
  }

  send(p: Uint8Array, addr: DenoNetAddr): Promise<number> {
    this.sent.push({ bytes: [...p], to: addr });
    return this.sendFails ? Promise.reject(new Error('os error 101')) : Promise.resolve(p.length);
  }

  close(): void {
    if (this.#closed) throw new Error('BadResource: already closed');
    this.#closed = true;
    this.#waiting?.reject(new Error('Interrupted: operation canceled'));
    this.#waiting = undefined;
  }

  #pump(): void {
    const waiting = this.#waiting;
    const item = this.#inbox.shift();
    if (waiting === undefined || item === undefined) {
      if (item !== undefined) this.#inbox.unshift(item);
      return;
    }
    this.#waiting = undefined;
    if (item instanceof Error) {
      waiting.reject(item);
      return;
    }
    const [data, from] = item;
    const into = waiting.into ?? new Uint8Array(1024);
    into.set(data);
    this.buffersSeen.add(into.buffer);
    waiting.resolve([into.subarray(0, data.length), from]);
  }
}

class FakeDeno implements DenoNet {
  readonly conns: FakeConn[] = [];
  listenDatagram(options: { transport: 'udp'; hostname?: string; port: number }): FakeConn {
    const conn = new FakeConn(options.hostname ?? '0.0.0.0', options.port);
    this.conns.push(conn);
    return conn;
  }
}

const peer: DenoNetAddr = { transport: 'udp', hostname: '127.0.0.9', port: 6881 };

describe('DenoUdpTransport (stand-in socket)', () => {
  it('delivers datagrams from one reused buffer with the right sender', async () => {
    const deno = new FakeDeno();
    const transport = new DenoUdpTransport({ host: '127.0.0.1' }, deno);
    const got: Array<{ bytes: number[]; from: Endpoint }> = [];
    const local = await transport.listen((data, from) => got.push({ bytes: [...data], from }));
    expect(local).toEqual({ host: '127.0.0.1', port: 40_000, family: 4 });
    expect(transport.local).toEqual(local);
    const conn = deno.conns[0] as FakeConn;
    conn.arrive([Uint8Array.of(1, 2), peer]);
    conn.arrive([Uint8Array.of(3), peer]);
    expect(await waitFor(() => got.length === 2, 1000)).toBe(true);
    expect(got).toEqual([
      { bytes: [1, 2], from: { host: '127.0.0.9', port: 6881, family: 4 } },
      { bytes: [3], from: { host: '127.0.0.9', port: 6881, family: 4 } },
    ]);
    expect(conn.buffersSeen.size).toBe(1);
    await transport.close();
  });

  it('ends the receive loop on close, idempotently, and ignores later sends', async () => {
    const deno = new FakeDeno();
    const transport = new DenoUdpTransport({ host: '127.0.0.1' }, deno);
    const errors: Error[] = [];
    transport.onError = (e) => errors.push(e);
    let got = 0;
    await transport.listen(() => got++);
    const conn = deno.conns[0] as FakeConn;
    await transport.close();
    await transport.close();
    conn.arrive([Uint8Array.of(1), peer]);
    transport.send(Uint8Array.of(1), { host: '127.0.0.9', port: 6881, family: 4 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(got).toBe(0);
    expect(conn.sent).toEqual([]);
    expect(errors).toEqual([]);
    await expect(transport.listen(() => {})).rejects.toThrow();
  });

  it('sends to IP literals only, and reports failures through onError', async () => {
    const deno = new FakeDeno();
    const transport = new DenoUdpTransport({ host: '127.0.0.1' }, deno);
    const errors: string[] = [];
    transport.onError = (e) => errors.push(e.message);
    await transport.listen(() => {});
    const conn = deno.conns[0] as FakeConn;
    transport.send(Uint8Array.of(5), { host: '127.0.0.9', port: 6881, family: 4 });
    expect(() => transport.send(Uint8Array.of(6), { host: 'router.example', port: 6881, family: 4 })).not.toThrow();
    transport.send(Uint8Array.of(7), { host: '::1', port: 6881, family: 6 });
    transport.send(Uint8Array.of(8), { host: '127.0.0.9', port: 0, family: 4 });
    conn.sendFails = true;
    transport.send(Uint8Array.of(9), { host: '127.0.0.9', port: 6881, family: 4 });
    expect(await waitFor(() => errors.length === 4, 1000)).toBe(true);
    expect(conn.sent.map((s) => s.bytes)).toEqual([[5], [9]]);
    expect(conn.sent[0]?.to).toEqual(peer);
    expect(errors[0]).toMatch(/not an IP literal/);
    expect(errors[1]).toMatch(/IPv6 address on a udp4 socket/);
    expect(errors[2]).toMatch(/bad port/);
    expect(errors[3]).toMatch(/os error/);
    await transport.close();
  });

  it('survives receive errors and throwing handlers', async () => {
    const deno = new FakeDeno();
    const transport = new DenoUdpTransport({ host: '127.0.0.1' }, deno);
    const errors: string[] = [];
    transport.onError = (e) => errors.push(e.message);
    const got: number[] = [];
    await transport.listen((data) => {
      got.push(data[0] as number);
      if (data[0] === 1) throw new Error('hostile');
    });
    const conn = deno.conns[0] as FakeConn;
    conn.arrive(new Error('ConnectionReset'));
    conn.arrive([Uint8Array.of(1), peer]);
    conn.arrive([Uint8Array.of(2), peer]);
    expect(await waitFor(() => got.length === 2, 1000)).toBe(true);
    expect(got).toEqual([1, 2]);
    expect(errors).toEqual(['ConnectionReset', 'hostile']);
    await transport.close();
  });

  it('refuses to listen without Deno.listenDatagram or on a non-literal host', async () => {
    await expect(new DenoUdpTransport({ host: '127.0.0.1' }, null).listen(() => {})).rejects.toThrow(/--unstable-net/);
    await expect(new DenoUdpTransport({ host: 'localhost' }, new FakeDeno()).listen(() => {})).rejects.toThrow(/literal/);
  });
});

// Registered only under Deno: there is no Deno socket to exercise under Node.
if (onDeno) describe('DenoUdpTransport on loopback (Deno)', () => {
  const open: DenoUdpTransport[] = [];
  const transport = (host: string): DenoUdpTransport => {
    const t = new DenoUdpTransport({ host, port: 0 });
    open.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  it('exchanges datagrams with the right sender endpoint', async () => {
    const a = transport('127.0.0.1');
    const b = transport('127.0.0.2');
    const atA: number[] = [];
    const atB: Endpoint[] = [];
    const localA = await a.listen((data) => atA.push(data[0] as number));
    const localB = await b.listen((data, from) => {
      atB.push(from);
      b.send(Uint8Array.of((data[0] as number) + 1), from);
    });
    expect(localB.host).toBe('127.0.0.2');
    a.send(Uint8Array.of(41), localB);
    expect(await waitFor(() => atA.length === 1, 2000)).toBe(true);
    expect(atA).toEqual([42]);
    expect(atB).toEqual([{ host: '127.0.0.1', port: localA.port, family: 4 }]);
  });

  it('closes idempotently; a send after close does not throw', async () => {
    const a = transport('127.0.0.1');
    const local = await a.listen(() => {});
    await a.close();
    await a.close();
    expect(() => a.send(Uint8Array.of(1), local)).not.toThrow();
  });

  it('receives 1000 datagrams sent in waves of 100', async () => {
    const a = transport('127.0.0.1');
    const b = transport('127.0.0.2');
    const seen = new Set<number>();
    await a.listen(() => {});
    const localB = await b.listen((data) => {
      seen.add(new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0));
    });
    // Deno cannot enlarge SO_RCVBUF: the default (~208 KiB) holds ~660 such
    // datagrams, so a single 1000-datagram burst overflows it. Waves fit.
    for (let sent = 0; sent < 1000; ) {
      const end = sent + 100;
      for (; sent < end; sent++) {
        const packet = new Uint8Array(200);
        new DataView(packet.buffer).setUint32(0, sent);
        a.send(packet, localB);
      }
      await waitFor(() => seen.size >= sent, 1000);
    }
    expect(seen.size).toBeGreaterThanOrEqual(950);
  });

  it('works over IPv6 loopback', async () => {
    const a = transport('::1');
    const b = transport('::1');
    const got: Endpoint[] = [];
    const localA = await a.listen(() => {});
    const localB = await b.listen((_data, from) => got.push(from));
    a.send(Uint8Array.of(6), localB);
    expect(await waitFor(() => got.length === 1, 2000)).toBe(true);
    expect(got[0]).toEqual({ host: '::1', port: localA.port, family: 6 });
  });
});
