/**
 * Crawler mode holds its answers to a destination's send budget
 * (destination-budget.ts, replies.ts): an operator sees them in stats() —
 * answers held now (a table with its cap) and what the budget delayed or
 * dropped since start — not only as the drop 'answer-over-budget'.
 */
import bencode from 'bencode';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.ts';
import { DHT } from '../../src/dht/dht.ts';
import { MAX_HELD_ANSWERS } from '../../src/dht/replies.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import { backends } from '../helpers/backends.ts';

const ping = (t: number): Uint8Array =>
  bencode.encode({ t: new Uint8Array([t >> 8, t & 255]), y: 'q', q: 'ping', a: { id: new Uint8Array(20).fill(7) } });

describe.each(backends)('held answers in stats() (%s core)', (backend) => {
  let node: DHT | undefined;
  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  it('counts answers held for a flooding asker, sends them at the budget rate, drops past the longest wait', async () => {
    const net = new SimulatedNetwork({ seed: 3, latencyMs: [1, 1] });
    node = new DHT({
      core: await loadCore(backend),
      transport: net.createTransport('127.50.0.1'),
      clock: net.clock,
      random: seededRandom(9),
      ids: 4,
      bootstrap: [],
      maxQueriesPerIpPerSecond: 0,
    });
    await node.start();
    const asker = net.createTransport('127.50.0.2');
    const answers: number[] = [];
    // Answers only: the node may also ping the unknown asker.
    const isAnswer = (data: Uint8Array): boolean => new TextDecoder().decode((bencode.decode(data) as { y: Uint8Array }).y) === 'r';
    await asker.listen((data) => {
      if (isAnswer(data)) answers.push(net.clock.now());
    });
    const before = node.stats();
    expect(before.tables.heldAnswers).toEqual({ size: 0, cap: MAX_HELD_ANSWERS });
    expect(before.destinationBudget).toEqual({ queriesDelayed: 0, queriesRefused: 0, answersDelayed: 0, answersDropped: 0 });

    const sent = 60;
    const start = net.clock.now();
    for (let i = 0; i < sent; i++) asker.send(ping(i), node.address());
    await net.run({ until: start + 50 });
    // The burst leaves at once; the rest wait for tokens, or are dropped at once
    // when their turn would come past the longest wait (8 s at 3 a second).
    const now = node.stats();
    const held = now.tables.heldAnswers.size;
    expect(answers.length).toBeGreaterThan(0);
    expect(held).toBeGreaterThan(0);
    expect(now.destinationBudget.answersDropped).toBeGreaterThan(0);
    expect(answers.length + held + now.destinationBudget.answersDropped).toBe(sent);
    expect(now.destinationBudget.answersDelayed).toBe(held);

    await net.run({ until: start + 20_000 });
    const after = node.stats();
    expect(after.tables.heldAnswers.size).toBe(0);
    // Every held answer went out in the end.
    expect(answers.length).toBe(sent - now.destinationBudget.answersDropped);
    expect(after.drops['answer-over-budget']).toBe(after.destinationBudget.answersDropped);
    expect(answers.length + after.destinationBudget.answersDropped).toBe(sent);
    // The held ones leave at the budget's rate (3 a second): no second has more than 3 of them.
    const late = answers.filter((at) => at > start + 50);
    expect(late.length).toBe(held);
    for (const at of late) expect(late.filter((other) => other >= at && other < at + 1_000).length).toBeLessThanOrEqual(3);
    // Nothing left later than the longest wait after it was asked.
    expect(Math.max(...answers) - start).toBeLessThanOrEqual(8_100);
  });

  it('reports no cap for held answers on a plain node (answers always leave)', async () => {
    const net = new SimulatedNetwork({ seed: 4 });
    node = new DHT({ core: await loadCore(backend), transport: net.createTransport('127.50.0.3'), clock: net.clock, bootstrap: [] });
    await node.start();
    expect(node.stats().tables.heldAnswers).toEqual({ size: 0, cap: 0 });
  });
});
