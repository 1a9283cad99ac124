import { describe, expect, it } from 'vitest';
import { SwarmHealth, type SwarmScrape } from '../../src/crawl/swarm-health.ts';
import type { SwarmRecord } from '../../src/crawl/store/types.ts';
import { ManualClock } from '../dht/helpers.ts';

const ih = (n: number): string => n.toString(16).padStart(40, '0');

function setup(answers: Map<string, SwarmScrape | 'fail' | 'hang'>, overrides: { concurrency?: number; maxTracked?: number } = {}) {
  const clock = new ManualClock();
  const records: SwarmRecord[] = [];
  const asked: string[] = [];
  const health = new SwarmHealth({
    clock,
    firstDelayMs: 3_000,
    intervalMs: 60_000,
    concurrency: overrides.concurrency ?? 2,
    maxTracked: overrides.maxTracked ?? 100,
    timeoutMs: 5_000,
    record: (r) => records.push(...r),
    scrape: (infohash, signal) => {
      asked.push(infohash);
      const answer = answers.get(infohash);
      if (answer === 'fail') return Promise.reject(new Error('lookup failed'));
      if (answer === 'hang' || answer === undefined) {
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      }
      return Promise.resolve(answer);
    },
  });
  return { clock, records, asked, health };
}

describe('SwarmHealth', () => {
  it('waits while the node is busy, unless a check is overdue by a whole interval', async () => {
    const clock = new ManualClock();
    let idle = false;
    const asked: string[] = [];
    const health = new SwarmHealth({
      clock, firstDelayMs: 0, intervalMs: 10_000, concurrency: 1, maxTracked: 10, timeoutMs: 1_000, idle: () => idle,
      record: () => {}, scrape: (infohash) => (asked.push(infohash), Promise.resolve({ seeds: 1, peers: 0 })),
    });
    health.start();
    health.fetched(ih(1), 0);
    await clock.advance(5_000);
    expect(asked).toEqual([]);
    await clock.advance(6_000);
    expect(asked).toEqual([ih(1)]);
    idle = true;
    health.fetched(ih(2), 0);
    await clock.advance(1_000);
    expect(asked).toEqual([ih(1), ih(2)]);
    health.stop();
  });

  it('scrapes a fetched torrent after the first delay, then every interval, and records seeders and leechers', async () => {
    const { clock, records, asked, health } = setup(new Map([[ih(1), { seeds: 3.4, peers: 7.6 }]]));
    health.start();
    health.fetched(ih(1), 2);
    await clock.advance(2_000);
    expect(asked).toEqual([]);
    await clock.advance(2_000);
    expect(records).toMatchObject([{ infohash: ih(1), seeders: 3, leechers: 8 }]);
    await clock.advance(30_000);
    expect(asked.length).toBe(1);
    await clock.advance(31_000);
    expect(asked.length).toBe(2);
    expect(health.stats()).toMatchObject({ tracked: 1, checks: 2, failed: 0, inFlight: 0 });
    health.stop();
  });

  it('counts the peers met while fetching that the scrape did not count as seeds as leechers, at least', async () => {
    const { clock, records, health } = setup(new Map([[ih(1), { seeds: 1, peers: 0 }], [ih(2), { seeds: 0, peers: 0 }]]));
    health.start();
    health.fetched(ih(1), 5);
    health.fetched(ih(2), 0);
    await clock.advance(4_000);
    expect(records.map((r) => [r.infohash, r.seeders, r.leechers])).toEqual([
      [ih(1), 1, 4],
      [ih(2), 0, 0],
    ]);
    health.stop();
  });

  it('runs at most `concurrency` scrapes at once, times them out, and counts failures without recording', async () => {
    const { clock, records, asked, health } = setup(new Map<string, SwarmScrape | 'fail' | 'hang'>([[ih(1), 'hang'], [ih(2), 'hang'], [ih(3), 'fail']]), { concurrency: 2 });
    health.start();
    for (const n of [1, 2, 3]) health.fetched(ih(n), 0);
    await clock.advance(4_000);
    expect(asked).toEqual([ih(1), ih(2)]);
    expect(health.stats().inFlight).toBe(2);
    await clock.advance(6_000); // both time out; the third goes
    expect(asked).toEqual([ih(1), ih(2), ih(3)]);
    expect(records).toEqual([]);
    expect(health.stats()).toMatchObject({ checks: 0, failed: 3 });
    health.stop();
  });

  it('keeps at most maxTracked torrents, the least recently fetched forgotten, and stop() aborts what runs', async () => {
    const { clock, asked, health } = setup(new Map(), { maxTracked: 2, concurrency: 5 });
    health.start();
    for (const n of [1, 2, 3]) health.fetched(ih(n), 0);
    expect(health.stats().tracked).toBe(2);
    await clock.advance(4_000);
    expect(asked).toEqual([ih(2), ih(3)]);
    health.stop();
    await clock.advance(1);
    expect(health.stats()).toMatchObject({ inFlight: 0, failed: 2 });
    await clock.advance(120_000);
    expect(asked.length).toBe(2);
  });
});
