/** The crawler's small parts on their own: the bounded fetch queue, peer ordering, backoff, rates, the settled set, option checks. */
import { describe, expect, it } from 'vitest';
import { FetchQueue, noteTried, untriedFirst, type QueuedInfohash } from '../../src/crawl/fetch-queue.ts';
import { isRetryable, retryDelay } from '../../src/crawl/retry-policy.ts';
import { RateWindow } from '../../src/crawl/rate-window.ts';
import { RecentSet } from '../../src/crawl/recent-set.ts';
import { resolveCrawlerOptions } from '../../src/crawl/crawler-options.ts';
import type { CrawlStore } from '../../src/crawl/store/types.ts';

const ih = (n: number): string => n.toString(16).padStart(40, '0');
const entry = (n: number, peers = 0): QueuedInfohash => ({
  infohash: ih(n),
  attempt: 1,
  peers: Array.from({ length: peers }, (_, i) => ({ host: '127.0.0.9', port: 1000 + i })),
  tried: [],
});

describe('FetchQueue', () => {
  it('holds each infohash once, known-peer entries first, and refuses past its cap', () => {
    const queue = new FetchQueue(3, () => {});
    expect(queue.offer(entry(1))).toBe('queued');
    expect(queue.offer(entry(2, 1))).toBe('queued');
    expect(queue.offer(entry(1, 2))).toBe('duplicate');
    expect(queue.offer(entry(3))).toBe('queued');
    expect(queue.offer(entry(4))).toBe('full');
    expect(queue.waiting).toBe(3);
    expect(queue.take()!.infohash).toBe(ih(2)); // it has a known peer: no lookup needed
    expect(queue.take()!.infohash).toBe(ih(1));
    expect(queue.active).toBe(2);
    expect(queue.offer(entry(2))).toBe('duplicate'); // being fetched is held too
    expect(queue.offer(entry(4))).toBe('queued'); // active entries do not count toward the cap
    queue.done(ih(2));
    expect(queue.has(ih(2))).toBe(false);
    expect(queue.activeEntry(ih(1))?.attempt).toBe(1);
  });

  it('brings a deferred entry back after its delay, for a fresh lookup, and clear() cancels what waits', async () => {
    let ready = 0;
    const queue = new FetchQueue(10, () => ready++);
    queue.offer(entry(1, 3));
    queue.offer(entry(2));
    const first = queue.take()!;
    noteTried(first, first.peers);
    queue.defer(first.infohash, 30, 2);
    expect(queue.deferred).toBe(1);
    expect(queue.has(ih(1))).toBe(true);
    expect(queue.offer(entry(1))).toBe('duplicate');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(ready).toBe(1);
    expect(queue.deferred).toBe(0);
    expect(queue.take()!.infohash).toBe(ih(2)); // the retry went behind, in the lookup lane
    const retry = queue.take()!;
    expect(retry).toEqual({ infohash: ih(1), attempt: 2, peers: [], tried: ['127.0.0.9|1000', '127.0.0.9|1001', '127.0.0.9|1002'] });
    queue.defer(retry.infohash, 10_000, 3);
    queue.offer(entry(5));
    queue.clear();
    expect([queue.waiting, queue.deferred, queue.has(ih(1)), queue.has(ih(5))]).toEqual([0, 0, false, false]);
  });
  it('takes speculative entries (get_peers only) last, after their grace, and holds at most a quarter of the cap', async () => {
    let ready = 0;
    const queue = new FetchQueue(8, () => ready++);
    const speculative = (n: number): QueuedInfohash => ({ ...entry(n), speculative: true });
    expect(queue.offer(speculative(1), 30)).toBe('queued');
    expect(queue.offer(speculative(2))).toBe('queued');
    expect(queue.offer(speculative(3))).toBe('full'); // 2 = 8 / 4
    expect(queue.speculative).toBe(2);
    queue.offer(entry(4));
    queue.offer(entry(5, 1));
    expect([queue.take()!.infohash, queue.take()!.infohash, queue.take()!.infohash]).toEqual([ih(5), ih(4), ih(2)]);
    expect(queue.take()).toBeUndefined(); // ih(1) still in its grace
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(ready).toBe(1);
    expect(queue.take()!.infohash).toBe(ih(1));
    expect(queue.speculative).toBe(0);
  });

  it('wakes a held entry into the first lane when an announce brings a peer: waiting, in its grace, or deferred', () => {
    const queue = new FetchQueue(20, () => {});
    const peer = { host: '127.0.0.7', port: 7 };
    queue.offer({ ...entry(1), speculative: true }, 60_000);
    queue.offer(entry(2));
    queue.offer(entry(3, 1));
    queue.offer(entry(4));
    const active = queue.take()!; // ih(3)
    queue.defer(queue.take()!.infohash, 60_000, 2); // ih(2)
    expect(queue.wake(ih(1), [peer])).toBe(true);
    expect(queue.wake(ih(2), [peer])).toBe(true);
    expect(queue.wake(active.infohash, [peer])).toBe(false); // being fetched
    expect(queue.wake(ih(9), [peer])).toBe(false); // not held
    expect([queue.deferred, queue.speculative]).toEqual([0, 0]);
    const first = queue.take()!;
    expect(first).toMatchObject({ infohash: ih(1), speculative: false, peers: [peer] });
    expect(queue.take()).toMatchObject({ infohash: ih(2), attempt: 2, peers: [peer] });
    expect(queue.take()!.infohash).toBe(ih(4));
  });
});

describe('peer order for a retry', () => {
  it('puts peers not tried yet first, keeps order within each group, drops duplicates', () => {
    const p = (port: number): { host: string; port: number } => ({ host: '127.0.0.1', port });
    expect(untriedFirst([p(1), p(2), p(3), p(2), p(4)], ['127.0.0.1|2', '127.0.0.1|1'])).toEqual([p(3), p(4), p(1), p(2)]);
    const e = entry(1);
    noteTried(e, Array.from({ length: 70 }, (_, i) => p(i)));
    noteTried(e, [p(10)]);
    expect(e.tried).toHaveLength(64);
    expect(e.tried.at(-1)).toBe('127.0.0.1|10'); // tried again: now the newest
    expect(e.tried).not.toContain('127.0.0.1|0'); // the oldest forgotten
  });
});

describe('retry policy', () => {
  it('doubles the wait per attempt within ±20%, up to the cap, and never retries what more peers cannot fix', () => {
    const policy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 5000 };
    expect(retryDelay(policy, 1, () => 0)).toBe(800);
    expect(retryDelay(policy, 1, () => 1)).toBe(1200);
    expect(retryDelay(policy, 2, () => 0.5)).toBe(2000);
    expect(retryDelay(policy, 3, () => 0.5)).toBe(4000);
    expect(retryDelay(policy, 9, () => 0.5)).toBe(5000);
    expect(isRetryable('peers-failed')).toBe(true);
    expect(isRetryable('no-peers')).toBe(true);
    expect(isRetryable('timeout')).toBe(true);
    expect(isRetryable('invalid-info')).toBe(false);
    expect(isRetryable('aborted')).toBe(false);
  });
});

describe('RateWindow and RecentSet', () => {
  it('reports the increase per unit over the span, 0 without history', () => {
    const rates = new RateWindow<'a' | 'b'>(5);
    expect(rates.rate(1000, { a: 5, b: 0 }, 10_000, 1000)).toEqual({ a: 0, b: 0 });
    for (let t = 0; t <= 10; t++) rates.sample(t * 1000, { a: t * 10, b: t });
    // Only 5 samples kept (t = 6..10): the base is t = 6.
    expect(rates.rate(10_000, { a: 100, b: 10 }, 60_000, 1000)).toEqual({ a: 10, b: 1 });
    expect(rates.rate(10_000, { a: 100, b: 10 }, 2_000, 60_000)).toEqual({ a: 600, b: 60 });
  });

  it('forgets the oldest past its cap', () => {
    const set = new RecentSet(3);
    for (const key of ['a', 'b', 'c', 'a', 'd']) set.add(key);
    expect([set.has('a'), set.has('b'), set.has('c'), set.has('d'), set.size]).toEqual([true, false, true, true, 3]);
  });
});

describe('Crawler options', () => {
  const store = { write: async () => {}, isFetched: async () => false } as unknown as CrawlStore;
  it('fills in defaults and names a bad option', () => {
    expect(resolveCrawlerOptions({ store }).concurrency).toBe(64);
    expect(() => resolveCrawlerOptions({ store, concurrency: 0 })).toThrow(/concurrency/);
    expect(() => resolveCrawlerOptions({ store, queueCap: 1.5 })).toThrow(/queueCap/);
    expect(() => resolveCrawlerOptions({ store, retryDelayMs: -1 })).toThrow(/retryDelayMs/);
    expect(() => resolveCrawlerOptions({ store, metadata: false, torrentsDir: '/tmp/x' })).toThrow(/torrentsDir/);
    expect(() => resolveCrawlerOptions({} as never)).toThrow(/store/);
  });
});
