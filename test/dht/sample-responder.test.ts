/**
 * Answering sample_infohashes (BEP 51) on a node: samples, num, interval and
 * nodes; a sample that fits 1024 bytes; the same sample within the interval;
 * the node-wide answer budget; reading answers back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { BencodeDict } from '../../src/ground/bencode.ts';
import type { KrpcError, KrpcResponse } from '../../src/ground/messages.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { randomId } from '../../src/util/id.ts';
import { startTestNode, v4, id } from './helpers.ts';
import type { TestNode } from './helpers.ts';
import { InfohashList, installSample, readSampleAnswer } from '../../src/dht/sample/index.ts';
import type { Sample } from '../../src/dht/sample/index.ts';

const alice = v4('192.0.2.1', 4000);

describe.each(backends)('sample_infohashes answers (%s core)', (backend) => {
  let core: Core;
  let node: TestNode;
  let source: InfohashList;
  let sample: Sample;

  beforeEach(async () => {
    core = await loadCore(backend);
    node = await startTestNode(core);
    source = new InfohashList();
    sample = installSample(node.dht, { source, clock: node.clock, random: seededRandom(3), intervalSeconds: 3600, answersPerSecond: 20 });
  });
  afterEach(async () => {
    sample.close();
    await node.dht.stop();
  });

  const ask = (t = new Uint8Array([1, 2]), target: Uint8Array | undefined = id(5)): KrpcResponse | KrpcError => {
    const answers = node.ask({ y: 'q', t, q: 'sample_infohashes', a: { id: id(1), ...(target ? { target } : {}) } }, alice);
    expect(answers).toHaveLength(1);
    return answers[0] as KrpcResponse | KrpcError;
  };
  const body = (answer: KrpcResponse | KrpcError): BencodeDict => {
    expect(answer.y).toBe('r');
    return core.decode(answer.datagram.subarray(answer.bodyStart, answer.bodyEnd)) as BencodeDict;
  };

  it('few infohashes: all of them, with num, interval and nodes; none: an empty samples string', () => {
    const empty = body(ask());
    expect(empty['samples']).toEqual(new Uint8Array(0));
    expect(empty['num']).toBe(0);
    const random = seededRandom(8);
    const held = Array.from({ length: 5 }, () => randomId(random));
    for (const infohash of held) source.add(infohash);
    const answer = ask() as KrpcResponse;
    const r = body(answer);
    expect(r['num']).toBe(5);
    expect(r['interval']).toBe(3600);
    expect(r['nodes']).toBeInstanceOf(Uint8Array);
    const read = readSampleAnswer(answer, 4);
    expect(read.supported).toBe(true);
    expect(read.samples.map((s) => s.join()).sort()).toEqual(held.map((s) => s.join()).sort());
    expect(read.interval).toBe(3600);
  });

  it('many infohashes: a random sample that keeps the datagram within 1024 bytes, even with a long transaction id', () => {
    const random = seededRandom(9);
    for (let i = 0; i < 1000; i++) source.add(randomId(random));
    // Eight nodes in every answer, as a full table gives.
    sample.close();
    sample = installSample(node.dht, { source, clock: node.clock, random: seededRandom(3), closestNodes: () => new Uint8Array(8 * 26).fill(1) });
    for (const t of [new Uint8Array(2), new Uint8Array(40)]) {
      const answer = ask(t) as KrpcResponse;
      expect(answer.datagram.length).toBeLessThanOrEqual(1024);
      const r = body(answer);
      expect(r['num']).toBe(1000);
      const samples = r['samples'] as Uint8Array;
      expect(samples.length % 20).toBe(0);
      expect(samples.length / 20).toBeGreaterThanOrEqual(20);
    }
  });

  it('the same sample until the interval passed, a fresh one after', async () => {
    const random = seededRandom(10);
    for (let i = 0; i < 1000; i++) source.add(randomId(random));
    const first = body(ask())['samples'];
    expect(body(ask())['samples']).toEqual(first);
    await node.clock.advance(3600_000);
    expect(body(ask())['samples']).not.toEqual(first);
  });

  it('a bad target is 203; answers beyond the node-wide budget are dropped', () => {
    expect((ask(undefined, id(5).subarray(0, 10)) as KrpcError).e.code).toBe(203);
    let answered = 0;
    for (let i = 0; i < 40; i++) {
      const out = node.ask({ y: 'q', t: new Uint8Array([i]), q: 'sample_infohashes', a: { id: id(1), target: id(5) } }, alice);
      if (out.length > 0) answered++;
    }
    expect(answered).toBe(20); // 20 a second (the 203 above cost nothing)
    expect(node.dht.stats().drops['hook']).toBe(20);
  });
});
