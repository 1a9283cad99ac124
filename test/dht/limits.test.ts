/**
 * The bounded pieces on their own and in a node: the per-IP token bucket with
 * debt and blocking, the send pacer, the external-IP vote, the datagram size
 * cap, and the folding of error codes from the network.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { SourceLimiter } from '../../src/dht/rate-limit.ts';
import { SendPacer } from '../../src/dht/pacing.ts';
import { IpVoter } from '../../src/dht/bep42/ip-voter.ts';
import { encodeCompactAddress } from '../../src/krpc/compact.ts';
import { ManualClock, id, startTestNode, v4, bytes } from './helpers.ts';
import type { TestNode } from './helpers.ts';

describe('SourceLimiter', () => {
  it('allows a burst of one second, then refills at the rate', () => {
    const limiter = new SourceLimiter({ perSecond: 10, blockMs: 60_000, maxTracked: 100 });
    let allowed = 0;
    for (let i = 0; i < 15; i++) if (limiter.take('a', 0)) allowed++;
    expect(allowed).toBe(10);
    // 5 over: debt. Half a second refills 5 tokens, which pays the debt only.
    expect(limiter.take('a', 500)).toBe(false);
    expect(limiter.take('a', 1_700)).toBe(true);
    expect(limiter.take('b', 0)).toBe(true); // per IP
  });

  it('blocks a source five seconds of budget in debt, for blockMs, then forgives it', () => {
    const limiter = new SourceLimiter({ perSecond: 10, blockMs: 60_000, maxTracked: 100 });
    for (let i = 0; i < 10 + 49; i++) limiter.take('f', 0);
    expect(limiter.blocked('f', 0)).toBe(false);
    expect(limiter.take('f', 0)).toBe(false); // debt reaches 50 = 5 s × 10/s
    expect(limiter.blocked('f', 0)).toBe(true);
    expect(limiter.blocks).toBe(1);
    expect(limiter.blockedCount(59_999)).toBe(1);
    expect(limiter.blocked('f', 59_999)).toBe(true);
    expect(limiter.blocked('f', 60_000)).toBe(false);
    expect(limiter.take('f', 60_000)).toBe(true); // a clean slate
  });

  it('remembers at most maxTracked IPs, forgetting the least recently active', () => {
    const limiter = new SourceLimiter({ perSecond: 1, blockMs: 60_000, maxTracked: 3 });
    for (let i = 0; i < 60; i++) limiter.take('flooder', 0); // blocked
    expect(limiter.blocked('flooder', 0)).toBe(true);
    for (let i = 0; i < 100; i++) {
      limiter.take(`fresh-${i}`, 1);
      expect(limiter.blocked('flooder', 2)).toBe(true); // still active: stays remembered
    }
    expect(limiter.size).toBe(3);
  });
});

describe('SendPacer', () => {
  it('sends a second of budget at once, then one per 1/rate, and refuses beyond its queue', async () => {
    const clock = new ManualClock();
    const pacer = new SendPacer(100, 50, clock);
    const sent: number[] = [];
    let refused = 0;
    for (let i = 0; i < 200; i++) if (!pacer.schedule(() => sent.push(clock.now()))) refused++;
    expect(sent).toHaveLength(100);
    expect(pacer.queued).toBe(50);
    expect(refused).toBe(50);
    await clock.advance(100);
    expect(sent).toHaveLength(110);
    await clock.advance(400);
    expect(sent).toHaveLength(150);
    expect(pacer.queued).toBe(0);
    // Evenly spread: no two paced sends at the same instant.
    expect(new Set(sent.slice(100)).size).toBe(50);
    pacer.close();
    expect(pacer.schedule(() => sent.push(0))).toBe(false);
  });
});

describe('IpVoter', () => {
  const at = (host: string): Uint8Array => encodeCompactAddress(host, 6881)!;

  it('adopts an IP once `threshold` distinct /24s agree, and a new one only with more votes', () => {
    const voter = new IpVoter({ threshold: 3, maxVoters: 100, ttlMs: 60_000 });
    expect(voter.vote(at('1.2.3.4'), '9.9.9.1', 0)).toBeUndefined();
    expect(voter.vote(at('1.2.3.4'), '9.9.9.2', 0)).toBeUndefined(); // same /24
    expect(voter.vote(at('1.2.3.4'), '9.9.8.1', 0)).toBeUndefined();
    expect(voter.vote(at('1.2.3.4'), '9.9.7.1', 0)).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(voter.ip).toEqual(Uint8Array.of(1, 2, 3, 4));
    for (const voter4 of ['8.0.1.1', '8.0.2.1', '8.0.3.1']) expect(voter.vote(at('5.6.7.8'), voter4, 0)).toBeUndefined(); // a tie is not enough
    expect(voter.vote(at('5.6.7.8'), '8.0.4.1', 0)).toEqual(Uint8Array.of(5, 6, 7, 8));
  });

  it('forgets votes after their ttl and keeps at most maxVoters', () => {
    const voter = new IpVoter({ threshold: 2, maxVoters: 4, ttlMs: 1_000 });
    voter.vote(at('1.2.3.4'), '9.9.1.1', 0);
    expect(voter.vote(at('1.2.3.4'), '9.9.2.1', 2_000)).toBeUndefined(); // the first vote expired
    for (let i = 0; i < 50; i++) voter.vote(at(`7.7.7.${i}`), `6.6.${i}.1`, 3_000);
    expect(voter.size).toBe(4);
  });
});

describe.each(backends)('limits in a node (%s core)', (backend) => {
  let node: TestNode;
  afterEach(async () => {
    await node.dht.stop();
  });

  it('drops datagrams over maxDatagramBytes unread, and folds unknown error codes into one counter key', async () => {
    node = await startTestNode(await loadCore(backend), { maxDatagramBytes: 600 });
    const big = bytes(`d1:ad2:id20:${'a'.repeat(20)}1:x600:${'x'.repeat(600)}e1:q4:ping1:t2:aa1:y1:qe`);
    expect(node.ask(big, v4('192.0.2.1'))).toEqual([]);
    expect(node.dht.stats().drops['oversize']).toBe(1);
    for (let code = 1000; code < 1100; code++) node.ask({ y: 'e', t: bytes('zz'), e: { code, message: 'x' } }, v4('192.0.2.1'));
    node.ask({ y: 'e', t: bytes('zz'), e: { code: 203, message: 'x' } }, v4('192.0.2.1'));
    const errorsIn = node.dht.stats().errorsIn;
    expect(Object.keys(errorsIn).sort()).toEqual(['(other)', '203', 'total']);
    expect(errorsIn.total).toBe(101);
  });

  it('rate-limits 203s for garbage like queries, and a blocked source is dropped before decoding', async () => {
    node = await startTestNode(await loadCore(backend), { maxQueriesPerIpPerSecond: 5, rateLimitBlockMs: 10_000 });
    const garbage = bytes('d1:a3:abc1:q4:ping1:t2:xy1:y1:qe'); // wrong type: 203 with the transaction id
    let answers = 0;
    for (let i = 0; i < 40; i++) answers += node.ask(garbage, v4('192.0.2.7')).length;
    expect(answers).toBe(5);
    const stats = node.dht.stats();
    // 5 answered; 25 over budget, the 25th (5 s of debt) gets the source blocked; the last 10 are dropped unread.
    expect(stats.drops['rate']).toBe(25);
    expect(stats.drops['blocked']).toBe(10);
    expect(stats.drops['decode:wrong-type']).toBe(30);
    expect(stats.blocks).toBe(1);
    expect(stats.blockedIps).toBe(1);
    // Another source is unaffected; the block ends.
    expect(node.ask({ y: 'q', t: bytes('ok'), q: 'ping', a: { id: id(1) } }, v4('192.0.2.8'))).toHaveLength(1);
    await node.clock.advance(10_000);
    expect(node.ask({ y: 'q', t: bytes('ok'), q: 'ping', a: { id: id(1) } }, v4('192.0.2.7'))).toHaveLength(1);
  });

  it('paces its own queries and fails them at once when the queue is full', async () => {
    node = await startTestNode(await loadCore(backend), { maxQueriesOutPerSecond: 10, maxQueuedQueries: 5 });
    const outcomes = Array.from({ length: 20 }, (_, i) => node.dht.ping(`192.0.2.${i + 1}:6881`).then(() => 'answered', (e: Error & { reason?: string }) => e.reason ?? 'error'));
    expect(node.transport.take()).toHaveLength(10); // one second of burst
    expect(node.dht.stats().tables.sendQueue).toEqual({ size: 5, cap: 5 });
    const results = await Promise.all(outcomes.slice(15));
    expect(results).toEqual(['busy', 'busy', 'busy', 'busy', 'busy']);
    expect(node.dht.stats().drops['send-queue-full']).toBe(5);
    await node.clock.advance(500);
    expect(node.transport.take()).toHaveLength(5);
    await node.clock.advance(5_000);
    expect(await Promise.all(outcomes.slice(0, 15))).toEqual(Array(15).fill('timeout'));
  });
});
