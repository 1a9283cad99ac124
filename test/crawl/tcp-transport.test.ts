/**
 * The TCP part of the transport: the node:net adapter on loopback, the Deno
 * adapter against a stand-in namespace (its loops and error paths run on every
 * runtime), and the runtime pick.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DenoTcpConnector, denoTcpNamespace, type DenoTcpConn, type DenoTcpNet } from '../../src/transport/deno-tcp.ts';
import { createTcpConnector, tcpRuntime } from '../../src/transport/detect-tcp.ts';
import { NodeTcpConnector } from '../../src/transport/node-tcp.ts';
import { TcpError, type TcpStreamHandler } from '../../src/transport/tcp.ts';

interface Recorder extends TcpStreamHandler {
  chunks: Uint8Array[];
  closed: Promise<TcpError | undefined>;
  text(): string;
}

function recorder(): Recorder {
  let done!: (error: TcpError | undefined) => void;
  const closed = new Promise<TcpError | undefined>((resolve) => {
    done = resolve;
  });
  const chunks: Uint8Array[] = [];
  return {
    chunks,
    closed,
    onData: (data) => chunks.push(data),
    onClose: (error) => done(error),
    text: () => Buffer.concat(chunks).toString(),
  };
}

async function listen(handler: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, port: address.port };
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('NodeTcpConnector on loopback', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('connects, carries bytes both ways in order, and reports a clean close', async () => {
    const { server, port } = await listen((socket) => socket.pipe(socket)); // echo
    servers.push(server);
    const rec = recorder();
    const stream = await new NodeTcpConnector().connect({ host: '127.0.0.1', port }, rec);
    expect(stream.remote).toEqual({ host: '127.0.0.1', port });
    for (let i = 0; i < 100; i++) stream.write(new TextEncoder().encode(`${i},`));
    await waitFor(() => rec.text().endsWith('99,'), 5000);
    expect(rec.text()).toBe(Array.from({ length: 100 }, (_, i) => `${i},`).join(''));
    stream.close();
    stream.close(); // idempotent
    expect(await rec.closed).toBeUndefined();
    stream.write(new Uint8Array([1])); // after close: ignored, no throw
  });

  it('reports the peer hanging up', async () => {
    const { server, port } = await listen((socket) => socket.end('bye'));
    servers.push(server);
    const rec = recorder();
    await new NodeTcpConnector().connect({ host: '127.0.0.1', port }, rec);
    await rec.closed;
    expect(rec.text()).toBe('bye');
  });

  it('rejects with a reason: refused, aborted, not an IP literal', async () => {
    const { server, port } = await listen(() => {});
    await new Promise((r) => server.close(r)); // the port is now closed
    const connector = new NodeTcpConnector();
    await expect(connector.connect({ host: '127.0.0.1', port }, recorder())).rejects.toMatchObject({ code: 'refused' });
    const aborted = new AbortController();
    aborted.abort();
    await expect(connector.connect({ host: '127.0.0.1', port }, recorder(), { signal: aborted.signal })).rejects.toMatchObject({ code: 'aborted' });
    for (const bad of [{ host: 'localhost', port: 80 }, { host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 70000 }]) {
      await expect(connector.connect(bad, recorder())).rejects.toMatchObject({ code: 'invalid-address' });
    }
  });

  it('closes the stream when the handler throws, instead of throwing out of the socket', async () => {
    const { server, port } = await listen((socket) => socket.write('boom'));
    servers.push(server);
    let closedWith: TcpError | undefined;
    const closed = new Promise<void>((resolve) => {
      void new NodeTcpConnector().connect(
        { host: '127.0.0.1', port },
        {
          onData: () => {
            throw new Error('handler bug');
          },
          onClose: (error) => {
            closedWith = error;
            resolve();
          },
        },
      );
    });
    await closed;
    expect(closedWith).toBeInstanceOf(TcpError);
    expect(closedWith?.code).toBe('handler');
  });
});

/** A stand-in for a Deno TcpConn: reads are queued by the test, writes may be partial. */
class FakeDenoConn implements DenoTcpConn {
  readonly written: number[] = [];
  closed = false;
  maxWrite = 3;
  #reads: Array<Uint8Array | null | Error> = [];
  #waiting: ((value: Uint8Array | null | Error) => void) | undefined;

  arrive(item: Uint8Array | null | Error): void {
    if (this.#waiting) {
      const w = this.#waiting;
      this.#waiting = undefined;
      w(item);
    } else this.#reads.push(item);
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (this.closed) throw Object.assign(new Error('closed'), { name: 'BadResource' });
    const item = this.#reads.length > 0 ? this.#reads.shift()! : await new Promise<Uint8Array | null | Error>((resolve) => (this.#waiting = resolve));
    if (item instanceof Error) throw item;
    if (item === null) return null;
    p.set(item);
    return item.length;
  }

  async write(p: Uint8Array): Promise<number> {
    const n = Math.min(p.length, this.maxWrite);
    this.written.push(...p.subarray(0, n));
    return n;
  }

  close(): void {
    if (this.closed) throw new Error('already closed');
    this.closed = true;
    this.arrive(Object.assign(new Error('closed'), { name: 'BadResource' }));
  }
}

describe('DenoTcpConnector (stand-in namespace)', () => {
  function fakeDeno(behaviour: 'ok' | 'refuse' | 'hang'): { deno: DenoTcpNet; conns: FakeDenoConn[]; calls: Array<{ hostname: string; port: number }> } {
    const conns: FakeDenoConn[] = [];
    const calls: Array<{ hostname: string; port: number }> = [];
    return {
      conns,
      calls,
      deno: {
        connect(options) {
          calls.push({ hostname: options.hostname, port: options.port });
          if (behaviour === 'refuse') return Promise.reject(Object.assign(new Error('refused'), { name: 'ConnectionRefused' }));
          if (behaviour === 'hang') return new Promise(() => {});
          const conn = new FakeDenoConn();
          conns.push(conn);
          return Promise.resolve(conn);
        },
      },
    };
  }

  it('reads until EOF, writes everything through partial writes, closes once', async () => {
    const { deno, conns, calls } = fakeDeno('ok');
    const rec = recorder();
    const stream = await new DenoTcpConnector(deno).connect({ host: '::1', port: 6881 }, rec);
    expect(calls).toEqual([{ hostname: '::1', port: 6881 }]);
    const conn = conns[0]!;
    stream.write(new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
    stream.write(new Uint8Array([8, 9]));
    await waitFor(() => conn.written.length === 9, 2000);
    expect(conn.written).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(stream.bufferedBytes).toBe(0);
    conn.arrive(new Uint8Array([10, 11]));
    conn.arrive(new Uint8Array([12]));
    conn.arrive(null);
    expect(await rec.closed).toBeUndefined();
    expect(rec.chunks.map((c) => [...c])).toEqual([[10, 11], [12]]);
    expect(conn.closed).toBe(true);
  });

  it('maps errors: refused, reset while reading, timeout, invalid address, no Deno', async () => {
    await expect(new DenoTcpConnector(fakeDeno('refuse').deno).connect({ host: '127.0.0.1', port: 1 }, recorder())).rejects.toMatchObject({ code: 'refused' });
    await expect(new DenoTcpConnector(fakeDeno('hang').deno).connect({ host: '127.0.0.1', port: 1 }, recorder(), { timeoutMs: 30 })).rejects.toMatchObject({ code: 'timeout' });
    await expect(new DenoTcpConnector(fakeDeno('ok').deno).connect({ host: 'example.org', port: 1 }, recorder())).rejects.toMatchObject({ code: 'invalid-address' });
    await expect(new DenoTcpConnector(null).connect({ host: '127.0.0.1', port: 1 }, recorder())).rejects.toBeInstanceOf(TcpError);

    const { deno, conns } = fakeDeno('ok');
    const rec = recorder();
    await new DenoTcpConnector(deno).connect({ host: '127.0.0.1', port: 1 }, rec);
    conns[0]!.arrive(Object.assign(new Error('reset'), { name: 'ConnectionReset' }));
    expect((await rec.closed)?.code).toBe('reset');
  });

  it('contains a throwing handler', async () => {
    const { deno, conns } = fakeDeno('ok');
    let closedWith: TcpError | undefined;
    const closed = new Promise<void>((resolve) => {
      void new DenoTcpConnector(deno).connect({ host: '127.0.0.1', port: 1 }, {
        onData: () => {
          throw new Error('bug');
        },
        onClose: (error) => {
          closedWith = error;
          resolve();
        },
      });
    });
    await waitFor(() => conns.length === 1, 1000);
    conns[0]!.arrive(new Uint8Array([1]));
    await closed;
    expect(closedWith?.code).toBe('handler');
  });
});

describe('createTcpConnector', () => {
  it(`picks the ${denoTcpNamespace() ? 'Deno' : 'Node'} adapter on this runtime`, async () => {
    const connector = await createTcpConnector();
    expect(tcpRuntime()).toBe(denoTcpNamespace() ? 'deno' : 'node');
    expect(connector).toBeInstanceOf(denoTcpNamespace() ? DenoTcpConnector : NodeTcpConnector);
  });
});
