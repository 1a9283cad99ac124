import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NodeUdpTransport } from '../../src/transport/node-udp.ts';
import type { Endpoint } from '../../src/ground/address.ts';

/** Resolve once `check()` holds, polling on real time, giving up after `ms`. */
async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

const onDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
// Deno and Bun run this adapter over their own dgram: no scratch sends there (node-udp.ts).
const scratchless = onDeno || (globalThis as { Bun?: unknown }).Bun !== undefined;

const open: NodeUdpTransport[] = [];
function transport(host: string): NodeUdpTransport {
  const t = new NodeUdpTransport({ host, port: 0 });
  open.push(t);
  return t;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('NodeUdpTransport on loopback', () => {
  it('exchanges datagrams with the right sender endpoint', async () => {
    const a = transport('127.0.0.1');
    const b = transport('127.0.0.2');
    const atB: Array<{ text: string; from: Endpoint }> = [];
    const atA: string[] = [];
    const localA = await a.listen((data) => atA.push(Buffer.from(data).toString()));
    const localB = await b.listen((data, from) => {
      atB.push({ text: Buffer.from(data).toString(), from });
      b.send(new TextEncoder().encode('pong'), from);
    });
    expect(localA).toEqual({ host: '127.0.0.1', port: localA.port, family: 4 });
    expect(localA.port).toBeGreaterThan(0);
    expect(localB.host).toBe('127.0.0.2');
    expect(a.local).toEqual(localA);

    a.send(new TextEncoder().encode('ping'), localB);
    expect(await waitFor(() => atA.length === 1, 2000)).toBe(true);
    expect(atB).toEqual([{ text: 'ping', from: { host: '127.0.0.1', port: localA.port, family: 4 } }]);
    expect(atA).toEqual(['pong']);
  });

  it('hands the handler a Uint8Array', async () => {
    const a = transport('127.0.0.1');
    const b = transport('127.0.0.1');
    let got: unknown;
    await a.listen(() => {});
    const localB = await b.listen((data) => {
      got = data;
    });
    a.send(new Uint8Array([1, 2, 3]), localB);
    expect(await waitFor(() => got !== undefined, 2000)).toBe(true);
    expect(got).toBeInstanceOf(Uint8Array);
    expect([...(got as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it('closes idempotently and ignores sends after close', async () => {
    const a = transport('127.0.0.1');
    const errors: Error[] = [];
    a.onError = (e) => errors.push(e);
    const local = await a.listen(() => {});
    await a.close();
    await a.close();
    expect(() => a.send(new Uint8Array([1]), local)).not.toThrow();
    expect(errors).toEqual([]);
  });

  it('closes before listen, and refuses a second listen', async () => {
    const never = transport('127.0.0.1');
    await never.close();
    await expect(never.listen(() => {})).rejects.toThrow();
    const twice = transport('127.0.0.1');
    await twice.listen(() => {});
    await expect(twice.listen(() => {})).rejects.toThrow(/once/);
  });

  it('reports bad destinations through onError without throwing or resolving names', async () => {
    const a = transport('127.0.0.1');
    const errors: Error[] = [];
    a.onError = (e) => errors.push(e);
    await a.listen(() => {});
    const data = new Uint8Array([1]);
    expect(() => a.send(data, { host: '127.0.0.1', port: 0, family: 4 })).not.toThrow();
    expect(() => a.send(data, { host: 'localhost', port: 6881, family: 4 })).not.toThrow();
    expect(() => a.send(data, { host: '::1', port: 6881, family: 6 })).not.toThrow();
    expect(await waitFor(() => errors.length === 3, 2000)).toBe(true);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/not an IP literal/);
  });

  it('rejects listen on an address it cannot bind', async () => {
    const a = transport('127.0.0.1');
    const local = await a.listen(() => {});
    await expect(new NodeUdpTransport({ host: '127.0.0.1', port: local.port }).listen(() => {})).rejects.toThrow(/EADDRINUSE/);
    await expect(new NodeUdpTransport({ host: 'not-an-ip' }).listen(() => {})).rejects.toThrow(/not an IP literal/);
  });

  it('routes a throwing handler to onError and keeps receiving', async () => {
    const a = transport('127.0.0.1');
    const b = transport('127.0.0.2');
    const errors: Error[] = [];
    let calls = 0;
    b.onError = (e) => errors.push(e);
    await a.listen(() => {});
    const localB = await b.listen(() => {
      calls++;
      throw new Error('hostile bytes');
    });
    a.send(new Uint8Array([1]), localB);
    a.send(new Uint8Array([2]), localB);
    expect(await waitFor(() => calls === 2, 2000)).toBe(true);
    expect(errors.map((e) => e.message)).toEqual(['hostile bytes', 'hostile bytes']);
  });

  it('receives a bounded burst of 1000 datagrams', async () => {
    const a = transport('127.0.0.1');
    const b = transport('127.0.0.2');
    const seen = new Set<number>();
    await a.listen(() => {});
    const localB = await b.listen((data) => {
      seen.add(new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0));
    });
    // Node gets one burst, which only fits the 4 MiB receive buffer the
    // transport asks for (the default ~208 KiB holds ~660 such datagrams).
    // Deno's node:dgram accepts but does not apply that size: waves of 100.
    const wave = onDeno ? 100 : 1000;
    for (let sent = 0; sent < 1000; ) {
      const end = sent + wave;
      for (; sent < end; sent++) {
        const packet = new Uint8Array(200);
        new DataView(packet.buffer).setUint32(0, sent);
        a.send(packet, localB);
      }
      await waitFor(() => seen.size >= sent, 1000);
    }
    expect(seen.size).toBeGreaterThanOrEqual(950);
    expect([...seen].every((i) => i >= 0 && i < 1000)).toBe(true);
  });

  it('sendScratch (Node only): the datagram is copied out inside the call, so the caller may write its buffer at once', async () => {
    const a = transport('127.0.0.1');
    const b = transport('127.0.0.1');
    if (scratchless) {
      expect(a.sendScratch).toBeUndefined();
      return;
    }
    const got: string[] = [];
    await a.listen(() => {});
    const localB = await b.listen((data) => got.push(Buffer.from(data).toString()));
    const scratch = new Uint8Array(5);
    const free: boolean[] = [];
    for (const word of ['alpha', 'bravo', 'delta']) {
      scratch.set(new TextEncoder().encode(word));
      free.push(a.sendScratch!(scratch, localB));
    }
    scratch.fill(0x58);
    expect(free).toEqual([true, true, true]);
    expect(await waitFor(() => got.length === 3, 2000)).toBe(true);
    expect(got).toEqual(['alpha', 'bravo', 'delta']);
  });

  it('sendScratch says the transport kept the datagram when Node queues the send (node --test-udp-no-try-send)', async () => {
    if (scratchless) return; // the case above checks there is no sendScratch to test
    // Node's own switch for its queued send path: every send waits in libuv's queue, holding the buffer.
    const script = `
      import { NodeUdpTransport } from ${JSON.stringify(new URL('../../src/transport/node-udp.ts', import.meta.url).href)};
      const a = new NodeUdpTransport({ host: '127.0.0.1' });
      const b = new NodeUdpTransport({ host: '127.0.0.1' });
      const got = [];
      await a.listen(() => {});
      const to = await b.listen((data) => got.push(Buffer.from(data).toString()));
      const scratch = new TextEncoder().encode('kept!');
      const free = a.sendScratch(scratch, to);
      const deadline = Date.now() + 5000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      console.log(JSON.stringify({ free, got }));
      await a.close();
      await b.close();
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--test-udp-no-try-send', '--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ free: false, got: ['kept!'] });
  });

  it('works over IPv6 loopback', async () => {
    const a = transport('::1');
    const b = transport('::1');
    const got: Endpoint[] = [];
    const localA = await a.listen(() => {});
    const localB = await b.listen((_data, from) => got.push(from));
    expect(localA.family).toBe(6);
    a.send(new Uint8Array([6]), localB);
    expect(await waitFor(() => got.length === 1, 2000)).toBe(true);
    expect(got[0]).toEqual({ host: '::1', port: localA.port, family: 6 });
  });
});
