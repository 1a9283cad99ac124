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
});
