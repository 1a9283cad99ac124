import { describe, expect, it } from 'vitest';
import { traverse, ANSWERED, FAILED } from '../../src/dht/traversal.ts';
import type { TraversalOptions } from '../../src/dht/traversal.ts';
import type { QueryOutcome } from '../../src/dht/rpc.ts';
import type { KrpcResponse, ReceivedValues } from '../../src/ground/messages.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import { compareDistance } from '../../src/core/routing-types.ts';
import { encodeCompactNodes } from '../../src/krpc/compact.ts';
import { randomId } from '../../src/util/id.ts';
import { seededRandom, randomInt } from '../../src/ground/random.ts';
import { bytesKey } from '../../src/util/bytes.ts';

interface FakeNode {
  id: Uint8Array;
  endpoint: Endpoint;
  knows: FakeNode[];
}

/** A scripted network: each node knows its 20 nearest and 12 random others, and answers with the 8 nearest it knows. */
function network(size: number, seed: number): FakeNode[] {
  const random = seededRandom(seed);
  const nodes: FakeNode[] = [];
  for (let i = 0; i < size; i++) {
    nodes.push({ id: randomId(random), endpoint: { host: `10.1.${i >> 8}.${i & 255}`, port: 6881, family: 4 }, knows: [] });
  }
  for (const node of nodes) {
    const nearest = [...nodes].filter((n) => n !== node).sort((a, b) => compareDistance(node.id, a.id, b.id)).slice(0, 20);
    const others = Array.from({ length: 12 }, () => nodes[randomInt(random, size)]!).filter((n) => n !== node);
    node.knows = [...new Set([...nearest, ...others])];
  }
  return nodes;
}

function trueClosest(nodes: FakeNode[], target: Uint8Array, k: number): string[] {
  return [...nodes].sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, k).map((n) => bytesKey(n.id));
}

function fakeResponse(r: ReceivedValues): KrpcResponse {
  return { y: 'r', t: new Uint8Array(2), r, datagram: new Uint8Array(0), bodyStart: 0, bodyEnd: 0 };
}

interface Harness {
  query: TraversalOptions['query'];
  asked: string[];
  maxInFlight: () => number;
}

function harness(nodes: FakeNode[], options: { dead?: Set<FakeNode>; wrongId?: Set<FakeNode> } = {}): Harness {
  const byHost = new Map(nodes.map((n) => [n.endpoint.host, n]));
  const asked: string[] = [];
  let inFlight = 0;
  let max = 0;
  const query: TraversalOptions['query'] = async (to, _method, args): Promise<QueryOutcome> => {
    inFlight++;
    max = Math.max(max, inFlight);
    asked.push(to.host);
    await new Promise((resolve) => setTimeout(resolve, 0));
    inFlight--;
    const node = byHost.get(to.host);
    if (!node || options.dead?.has(node)) return { kind: 'timeout' };
    const target = args.target ?? args.info_hash!;
    const nearest = [...node.knows].sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, 8);
    const id = options.wrongId?.has(node) ? new Uint8Array(20).fill(0xee) : node.id;
    return {
      kind: 'response',
      response: fakeResponse({ id, nodes: encodeCompactNodes(nearest.map((n) => ({ id: n.id, ...n.endpoint })), 4) }),
      from: to,
      rtt: 1,
    };
  };
  return { query, asked, maxInFlight: () => max };
}

function options(nodes: FakeNode[], h: Harness, target: Uint8Array, seeds: FakeNode[], extra: Partial<TraversalOptions> = {}): TraversalOptions {
  return {
    target,
    self: new Uint8Array(20),
    family: 4,
    k: 8,
    alpha: 3,
    seeds: seeds.map((n) => ({ id: n.id, endpoint: n.endpoint })),
    query: h.query,
    ...extra,
  };
}

describe('traversal', () => {
  const nodes = network(400, 11);
  const random = seededRandom(99);

  it('finds the true k closest from a few far seeds, alpha in flight at most, each node asked once', async () => {
    for (let round = 0; round < 20; round++) {
      const target = randomId(random);
      const h = harness(nodes);
      const seeds = [nodes[randomInt(random, 400)]!, nodes[randomInt(random, 400)]!];
      const result = await traverse(options(nodes, h, target, seeds), { method: 'find_node', args: { target } });
      expect(result.closest.map((c) => bytesKey(c.id!))).toEqual(trueClosest(nodes, target, 8));
      expect(h.maxInFlight()).toBeLessThanOrEqual(3);
      expect(new Set(h.asked).size).toBe(h.asked.length);
      expect(result.queried).toBe(h.asked.length);
      expect(result.queried).toBeLessThan(80);
    }
  });

  it('routes around dead seeds and reports them failed', async () => {
    const target = randomId(random);
    // Stale entries of our own table: dead, and forgotten by everyone else.
    const dead = trueClosest(nodes, target, 3);
    const deadNodes = nodes.filter((n) => dead.includes(bytesKey(n.id)));
    const live = nodes.filter((n) => !dead.includes(bytesKey(n.id))).map((n) => ({ ...n }));
    for (const n of live) n.knows = n.knows.filter((m) => !dead.includes(bytesKey(m.id)));
    const h = harness([...live, ...deadNodes], { dead: new Set(deadNodes) });
    const result = await traverse(options(live, h, target, [...deadNodes, live[0]!]), { method: 'find_node', args: { target } });
    expect(result.closest.map((c) => bytesKey(c.id!))).toEqual(trueClosest(live, target, 8));
    expect(result.failed).toBe(3);
    expect(result.candidates.filter((c) => c.state === FAILED).map((c) => bytesKey(c.id!)).sort()).toEqual([...dead].sort());
  });

  it('treats an answer with another id than expected as a failure', async () => {
    const target = randomId(random);
    const [best] = trueClosest(nodes, target, 1);
    const impostor = new Set(nodes.filter((n) => bytesKey(n.id) === best));
    const h = harness(nodes, { wrongId: impostor });
    const result = await traverse(options(nodes, h, target, nodes.slice(0, 3)), { method: 'find_node', args: { target } });
    expect(result.closest.map((c) => bytesKey(c.id!))).not.toContain(best);
  });

  it('asks seed addresses without ids first and learns their ids', async () => {
    const target = randomId(random);
    const h = harness(nodes);
    const result = await traverse(options(nodes, h, target, [], { addresses: [nodes[5]!.endpoint, nodes[6]!.endpoint] }), {
      method: 'find_node',
      args: { target },
    });
    expect(h.asked.slice(0, 2)).toEqual([nodes[5]!.endpoint.host, nodes[6]!.endpoint.host]);
    expect(result.closest.map((c) => bytesKey(c.id!))).toEqual(trueClosest(nodes, target, 8));
  });

  it('never asks itself or its own address', async () => {
    const self = nodes[0]!;
    const target = self.id;
    const h = harness(nodes);
    await traverse(options(nodes, h, target, nodes.slice(1, 4), { self: self.id, local: self.endpoint }), { method: 'find_node', args: { target } });
    expect(h.asked).not.toContain(self.endpoint.host);
  });

  it('ends with nothing to ask', async () => {
    const h = harness(nodes);
    const result = await traverse(options(nodes, h, randomId(random), []), { method: 'find_node', args: {} });
    expect(result).toMatchObject({ queried: 0, answered: 0, closest: [], aborted: false });
  });

  it('stops when the strategy says so', async () => {
    const target = randomId(random);
    const h = harness(nodes);
    let answers = 0;
    const result = await traverse(options(nodes, h, target, nodes.slice(0, 3)), {
      method: 'find_node',
      args: { target },
      onResponse: () => (++answers === 2 ? 'stop' : undefined),
    });
    expect(result.stopped).toBe(true);
    expect(result.answered).toBe(2);
  });

  it('aborts on signal', async () => {
    const target = randomId(random);
    const h = harness(nodes);
    const controller = new AbortController();
    const pending = traverse(options(nodes, h, target, nodes.slice(0, 3), { signal: controller.signal }), { method: 'find_node', args: { target } });
    controller.abort();
    const result = await pending;
    expect(result.aborted).toBe(true);
    expect(result.queried).toBe(3);
    const already = await traverse(options(nodes, h, target, nodes.slice(0, 3), { signal: AbortSignal.abort() }), { method: 'find_node', args: { target } });
    expect(already).toMatchObject({ aborted: true, queried: 3 - 3 });
  });

  it('keeps the candidate set bounded', async () => {
    const target = randomId(random);
    const h = harness(nodes);
    const result = await traverse(options(nodes, h, target, nodes.slice(0, 40), { maxCandidates: 20 }), { method: 'find_node', args: { target } });
    expect(result.candidates.length).toBeLessThanOrEqual(21);
    expect(result.candidates.filter((c) => c.state === ANSWERED).length).toBeGreaterThanOrEqual(8);
  });

  it('sends at most maxQueries, even to Sybils that always know someone nearer', async () => {
    const target = randomId(random);
    let made = 0;
    const ids = new Map<string, Uint8Array>();
    // Every answer lists 8 new made-up nodes, each nearer the target than all before (XOR distance 2^32 - 1 - n), all answering.
    const sybil: TraversalOptions['query'] = async (to) => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const fakes = Array.from({ length: 8 }, () => {
        const n = ++made;
        const distance = 0xffffffff - n;
        const id = target.slice();
        for (let i = 0; i < 4; i++) id[16 + i] = id[16 + i]! ^ ((distance >>> (24 - 8 * i)) & 0xff);
        const host = `10.9.${(n >> 8) & 255}.${n & 255}`;
        ids.set(host, id);
        return { id, host, port: 6881 };
      });
      const id = ids.get(to.host) ?? new Uint8Array(20).fill(0x77);
      return { kind: 'response', response: fakeResponse({ id, nodes: encodeCompactNodes(fakes, 4) }), from: to, rtt: 1 };
    };
    const h = { query: sybil, asked: [], maxInFlight: () => 0 };
    const result = await traverse(
      { ...options(nodes, h, target, []), addresses: [{ host: '10.9.255.255', port: 6881, family: 4 }], maxQueries: 50 },
      { method: 'find_node', args: { target } },
    );
    expect(result.queried).toBe(50);
  });

  it('an answer it does not accept feeds candidates but neither counts nor ends the lookup', async () => {
    const target = randomId(random);
    const distrusted = new Set(trueClosest(nodes, target, 3));
    const h = harness(nodes);
    const result = await traverse(
      options(nodes, h, target, nodes.slice(0, 3), { accept: (_candidate, response) => !distrusted.has(bytesKey(response.r.id!)) }),
      { method: 'find_node', args: { target } },
    );
    const closest = result.closest.map((c) => bytesKey(c.id!));
    expect(closest).toHaveLength(8);
    for (const key of distrusted) expect(closest).not.toContain(key);
    expect(closest).toEqual(trueClosest(nodes, target, 11).filter((key) => !distrusted.has(key)));
  });
});
