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

  describe('holding answers (crawler mode)', () => {
    const held = (clock: ManualClock): DestinationBudget =>
      new DestinationBudget({ perSecond: 3, burst: 10, maxTracked: 100, maxWaitMs: 5_000, answers: { maxWaitMs: 8_000, reserve: 3 } }, clock);

    /** libtorrent's dos_blocker.cpp for one source: the time it bans at, or null. */
    function blockerBansAt(times: readonly number[]): number | null {
      let count = 0;
      let limit = -Infinity;
      let fresh = true;
      for (const t of [...times].sort((a, b) => a - b)) {
        if (fresh) {
          fresh = false;
          count = 1;
          limit = t + 10_000;
        } else if (++count >= 50) {
          if (t < limit) return t;
          count = 0;
          limit = t + 10_000;
        }
      }
      return null;
    }

    it('a client asking 40 times in 5 s while we query it too is answered, late, never past its ban line', async () => {
      const clock = new ManualClock();
      const b = held(clock);
      expect(b.holdsAnswers).toBe(true);
      const sentAt: number[] = [];
      const answered: number[] = [];
      for (let step = 0; step < 50; step++) {
        // 4 of every 5 steps of 100 ms: one of its 40 queries answered; every step one query of ours tried.
        for (let q = 0; q < (step % 5 === 0 ? 0 : 1); q++) {
          const wait = b.admitAnswer('lt');
          if (wait >= 0) {
            sentAt.push(clock.now() + wait);
            answered.push(wait);
          }
        }
        // Ours go when the bucket keeps its reserve (one that must wait asks again later: not replayed here).
        if (b.reserve('lt') === 0) sentAt.push(clock.now());
        await clock.advance(100);
      }
      expect(blockerBansAt(sentAt)).toBeNull();
      // Every answer left within 8 s; some waited (the bucket ran dry), none was dropped.
      expect(answered.length).toBe(40);
      expect(Math.max(...answered)).toBeLessThanOrEqual(8_000);
      expect(b.answersDelayed).toBeGreaterThan(0);
      expect(b.answersDropped).toBe(0);
      // Our queries gave way to its answers.
      expect(b.delayed).toBeGreaterThan(0);
    });

    it('drops an answer that would wait past answers.maxWaitMs, and a query needs the reserve on top of its token', () => {
      const clock = new ManualClock();
      const b = held(clock);
      for (let i = 0; i < 7; i++) expect(b.admitAnswer('a')).toBe(0);
      // 3 tokens left, all reserved for answers: a query waits for a fourth, reserving nothing.
      expect(b.reserve('a')).toBe(334);
      expect(b.admitAnswer('a')).toBe(0);
      let dropped = -1;
      for (let i = 0; i < 40 && dropped < 0; i++) if (b.admitAnswer('a') < 0) dropped = i;
      expect(dropped).toBeGreaterThan(0);
      expect(b.answersDropped).toBe(1);
      // A plain budget (no `answers`) never holds an answer.
      expect(budget(clock).holdsAnswers).toBe(false);
    });
  });
});
