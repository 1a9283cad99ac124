import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/dht/options.ts';
import { DHT } from '../../src/dht/dht.ts';
import { DEFAULT_BOOTSTRAP } from '../../src/dht/constants.ts';

describe('DHT options', () => {
  it('fills in defaults', () => {
    const o = resolveOptions({});
    expect(o.host).toBe('0.0.0.0');
    expect(o.port).toBe(0);
    expect(o.k).toBe(8);
    expect(o.alpha).toBe(3);
    expect(o.backend).toBe('wasm');
    expect(o.bootstrap.map((b) => `${b.host}:${b.port}`)).toEqual([...DEFAULT_BOOTSTRAP]);
    expect(resolveOptions({ bootstrap: [] }).bootstrap).toEqual([]);
  });

  it('has safe defaults for every cap, and 0 switches the rate limits off', () => {
    const o = resolveOptions({});
    expect(o).toMatchObject({
      bep42: 'prefer',
      bep42Votes: 5,
      maxDatagramBytes: 2048,
      replacementCacheSize: 8,
      maxOutstanding: 4096,
      maxQueriesOutPerSecond: 500,
      maxQueuedQueries: 1024,
      maxPeersPerInfohash: 2000,
      maxPeers: 100_000,
      maxQueriesPerIpPerSecond: 250,
      rateLimitBlockMs: 300_000,
      rateLimitTrackedIps: 10_000,
      maxPendingPings: 64,
      maxLookupQueries: 512,
      maxPeersPerLookup: 10_000,
      maxIpVoters: 256,
    });
    expect(resolveOptions({ maxQueriesPerIpPerSecond: 0, maxQueriesOutPerSecond: 0 })).toMatchObject({ maxQueriesPerIpPerSecond: 0, maxQueriesOutPerSecond: 0 });
  });

  it('accepts ids as 20 bytes or 40 hex chars', () => {
    expect(resolveOptions({ id: 'ab'.repeat(20) }).id).toEqual(new Uint8Array(20).fill(0xab));
    expect(resolveOptions({ id: new Uint8Array(20).fill(1) }).id).toEqual(new Uint8Array(20).fill(1));
  });

  it.each([
    [{ port: 70000 }, /port/],
    [{ port: 1.5 }, /port/],
    [{ alpha: 0 }, /alpha/],
    [{ k: 'eight' }, /\bk\b/],
    [{ timeoutMs: -1 }, /timeoutMs/],
    [{ id: 'abc' }, /id/],
    [{ id: new Uint8Array(19) }, /id.*20 bytes/],
    [{ bootstrap: ['nohost'] }, /bootstrap\[0\]/],
    [{ bootstrap: ['a:1', 'b:0'] }, /bootstrap\[1\]/],
    [{ bootstrap: 'router:1' }, /bootstrap/],
    [{ backend: 'gpu' }, /backend/],
    [{ maxPeers: 0 }, /maxPeers/],
    [{ host: '' }, /host/],
    [{ stateFile: '' }, /stateFile/],
    [{ bep42: 'strict' }, /bep42/],
    [{ bep42Votes: 0 }, /bep42Votes/],
    [{ maxDatagramBytes: 100 }, /maxDatagramBytes/],
    [{ maxOutstanding: 70_000 }, /maxOutstanding/],
    [{ maxQueriesPerIpPerSecond: -1 }, /maxQueriesPerIpPerSecond/],
    [{ rateLimitTrackedIps: 0 }, /rateLimitTrackedIps/],
    [{ maxQueriesOutPerSecond: 0.5 }, /maxQueriesOutPerSecond/],
  ])('rejects %j naming the option', (options, message) => {
    expect(() => resolveOptions(options as never)).toThrow(message);
  });

  it('methods name what is wrong with an infohash', async () => {
    const dht = new DHT({ bootstrap: [] });
    await expect(dht.getPeers('xyz')).rejects.toThrow(/infohash must be 40 hex/);
    await expect(dht.getPeers(new Uint8Array(10))).rejects.toThrow(/infohash must be 20 bytes, got 10/);
    await expect(dht.getPeers(42 as never)).rejects.toThrow(TypeError);
    await expect(dht.getPeers('00'.repeat(20))).rejects.toThrow(/start\(\)/);
  });
});
