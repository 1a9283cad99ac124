import { describe, expect, it } from 'vitest';
import { DestinationBudget } from '../../src/dht/destination-budget.ts';
import { ManualClock } from './helpers.ts';

function budget(clock: ManualClock, maxTracked = 100): DestinationBudget {
  return new DestinationBudget({ perSecond: 3, burst: 10, maxTracked, maxWaitMs: 5_000 }, clock);
}

describe('DestinationBudget', () => {
  it('lets a burst through, then spaces queries at the per-second rate', () => {
    const clock = new ManualClock();
    const b = budget(clock);
    for (let i = 0; i < 10; i++) expect(b.reserve('a')).toBe(0);
    // The 11th waits for one token (1/3 s), the 12th for two.
    expect(b.reserve('a')).toBe(334);
    expect(b.reserve('a')).toBe(667);
    expect(b.delayed).toBe(2);
    // Another destination has its own bucket.
    expect(b.reserve('b')).toBe(0);
  });

  it('refuses a query that would wait longer than maxWaitMs, reserving nothing', () => {
    const clock = new ManualClock();
    const b = budget(clock);
    let refusedAt = -1;
    for (let i = 0; i < 40 && refusedAt < 0; i++) if (b.reserve('a') < 0) refusedAt = i;
    // 10 of burst + 15 queued within 5 s at 3 per second.
    expect(refusedAt).toBe(25);
    expect(b.refused).toBe(1);
    expect(b.reserve('a')).toBe(-1);
  });

  it('keeps any 10 s under the 50 datagrams libtorrent bans for, answers included', async () => {
    const clock = new ManualClock();
    const b = budget(clock);
    const sentAt: number[] = [];
    for (let step = 0; step < 300; step++) {
      // Once a second an answer (it always leaves); every 100 ms as many queries as the budget lets out.
      if (step % 10 === 0) {
        b.spend('a');
        sentAt.push(clock.now());
      }
      while (b.reserve('a') === 0) sentAt.push(clock.now());
      await clock.advance(100);
    }
    for (const start of sentAt) {
      const inWindow = sentAt.filter((t) => t >= start && t < start + 10_000).length;
      expect(inWindow).toBeLessThan(50);
    }
  });

  it('refills over time up to the burst, and forgets the least recently used beyond maxTracked', async () => {
    const clock = new ManualClock();
    const b = budget(clock, 2);
    for (let i = 0; i < 10; i++) b.reserve('a');
    await clock.advance(60_000);
    for (let i = 0; i < 10; i++) expect(b.reserve('a')).toBe(0);
    expect(b.reserve('a')).toBeGreaterThan(0);
    b.reserve('b');
    b.reserve('c'); // 'a' forgotten
    expect(b.size).toBe(2);
    expect(b.reserve('a')).toBe(0);
  });
});
