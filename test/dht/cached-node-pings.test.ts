/**
 * A node whose bucket is full lands in the replacement cache when it answers
 * our ping. Each query it sends afterwards should not cost another ping: we
 * just learned it is alive, and the answer could only refresh the cache.
 * (Found by bench/node.ts: under load from one such client the server pinged
 * it once per round trip.)
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import { flush, id, startTestNode, v4 } from './helpers.ts';

describe.each(backends)('queries from a node in the replacement cache (%s core)', (backend) => {
  it('do not trigger a ping per query', async () => {
    // k = 1: one node fills a bucket. Our id is 0xaa…; 0x11… and 0x12… share the far bucket.
    const node = await startTestNode(await loadCore(backend), { k: 1 });
    const { core, transport } = node;
    const first = v4('10.0.0.2');
    const second = v4('10.0.0.3');
    const pingFrom = (from: typeof first, sender: Uint8Array, t: number): void => {
      transport.deliver(core.encodeKrpc({ y: 'q', t: new Uint8Array([0, t]), q: 'ping', a: { id: sender } }), from);
    };
    /** Answer our pending ping to `to` (if any) as `sender`; returns how many pings we had sent it. */
    const answerPings = async (to: typeof first, sender: Uint8Array): Promise<number> => {
      let pings = 0;
      await flush(); // our ping goes out after our answer
      for (const sent of transport.take()) {
        const message = core.decodeKrpc(sent.data);
        if (sent.to.host !== to.host || message.y !== 'q' || message.q !== 'ping') continue;
        pings++;
        transport.deliver(core.encodeKrpc({ y: 'r', t: message.t.slice(), r: { id: sender } }), to);
      }
      await flush();
      return pings;
    };

    pingFrom(first, id(0x11), 1);
    expect(await answerPings(first, id(0x11))).toBe(1);
    expect(node.dht.stats().nodes).toBe(1);

    pingFrom(second, id(0x12), 2);
    expect(await answerPings(second, id(0x12))).toBe(1); // verified once: now in the cache
    expect(node.dht.stats().nodes).toBe(1);

    for (let t = 3; t < 8; t++) pingFrom(second, id(0x12), t);
    // It answered a moment ago: asking again learns nothing.
    expect(await answerPings(second, id(0x12))).toBe(0);
    await node.dht.stop();
  });

  it("a cached asker's query probes its bucket's stalest node, and after that node answers, the next one (the asker's id kept across other queries)", async () => {
    // k = 2: 0x11… and 0x13… fill the far bucket; 0x12… answers later and waits in the cache.
    const node = await startTestNode(await loadCore(backend), { k: 2 });
    const { core, transport, clock } = node;
    const [a, b, c, d] = ['10.1.0.2', '10.2.0.3', '10.3.0.4', '10.4.0.5'].map((host) => v4(host));
    const ping = (from: Endpoint, sender: Uint8Array, t: number): void => {
      transport.deliver(core.encodeKrpc({ y: 'q', t: new Uint8Array([1, t]), q: 'ping', a: { id: sender } }), from);
    };
    /** Who answers our queries (the self lookup's too: no node fails while the clock moves on). */
    const answering = new Map<string, Uint8Array>();
    /** Answer what we sent; returns how many pings went to `to`. `sender`: `to` answers from now on, as this id. */
    const pingsTo = async (to: Endpoint, sender: Uint8Array | undefined): Promise<number> => {
      let pings = 0;
      if (sender) answering.set(to.host, sender);
      await flush();
      for (const sent of transport.take()) {
        const message = core.decodeKrpc(sent.data);
        if (message.y !== 'q') continue;
        if (sent.to.host === to.host && message.q === 'ping') pings++;
        const id = answering.get(sent.to.host);
        if (id) transport.deliver(core.encodeKrpc({ y: 'r', t: message.t.slice(), r: { id } }), sent.to);
      }
      await flush();
      return pings;
    };
    ping(a!, id(0x11), 1);
    expect(await pingsTo(a!, id(0x11))).toBe(1);
    await clock.advance(1_000);
    ping(b!, id(0x13), 2);
    expect(await pingsTo(b!, id(0x13))).toBe(1);
    expect(node.dht.stats().nodes).toBe(2);
    await clock.advance(10 * 60_000);
    ping(c!, id(0x12), 3);
    expect(await pingsTo(c!, id(0x12))).toBe(1); // answered: cached, remembered
    expect(node.dht.stats().nodes).toBe(2);
    // 0x11… and 0x13… turn questionable; 0x12…'s answer is 5.5 minutes old.
    await clock.advance(5.5 * 60_000);
    ping(c!, id(0x12), 4); // probes 0x11…, the stalest
    ping(d!, id(0xf0), 5); // another asker, in another bucket, before the probe's answer
    expect(await pingsTo(a!, id(0x11))).toBe(1);
    // 0x11… answered: 0x12…'s bucket is checked again, and its next questionable node probed.
    expect(await pingsTo(b!, undefined)).toBe(1);
    await node.dht.stop();
  });
});
