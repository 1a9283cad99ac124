/**
 * Child of bench/raised-caps.ts (run with --expose-gc): a crawl as
 * `btdht crawl` runs it — a node of 16 ids with a Crawler over SQLite,
 * harvest only, standalone on 127.0.0.1 — at the caps given as JSON in argv[2].
 * It answers the parent's messages with its RSS (after full collections,
 * as the OS sees it) and the sizes of its tables:
 *   'rss'         → now;
 *   'outstanding' → after pinging silent loopback addresses as fast as the
 *                   send queue takes them, until the outstanding table is
 *                   full (or 90 s passed);
 *   'stop'        → stops and exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { Crawler } from '../../src/crawl/crawler.ts';
import { openSqliteStore } from '../../src/crawl/store/sqlite.ts';

export interface ChildReport {
  rss: number;
  tables: Record<string, { size: number; cap: number }>;
  refused: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const settledRss = (): number => {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage.rss();
};

// V8's nursery as btdht crawl leaves it (only btdht node keeps it small).
const caps = JSON.parse(process.argv[2] ?? '{}') as DHTOptions;
const dir = mkdtempSync(join(tmpdir(), 'btdht-raised-caps-'));
const store = await openSqliteStore({ path: join(dir, 'crawl.sqlite') });
// A long query timeout holds every unanswered ping, so the outstanding table reaches its cap.
const dht = new DHT({ ...caps, host: '127.0.0.1', port: 0, bootstrap: [], ids: 16, timeoutMs: 120_000, ipv6: false });
await dht.start();
const crawler = new Crawler(dht, { store, metadata: false });
await crawler.start();
let refused = 0;

function report(): ChildReport {
  const rss = settledRss();
  const tables = Object.fromEntries(Object.entries(dht.stats().tables).map(([name, t]) => [name, { size: t.size, cap: t.cap }]));
  return { rss, tables, refused };
}

process.on('message', (message: string) => {
  void (async () => {
    if (message === 'rss') process.send!(report());
    else if (message === 'outstanding') {
      // Queries beyond the send queue are refused at once: pings go in as the queue has room, until the outstanding table is full.
      let n = 0;
      const deadline = Date.now() + 90_000;
      for (;;) {
        const t = dht.stats().tables;
        if (t.outstanding.size >= t.outstanding.cap || Date.now() > deadline) break;
        const room = Math.min(t.sendQueue.cap - t.sendQueue.size, t.outstanding.cap - t.outstanding.size, 1_000);
        for (let i = 0; i < room; i++, n++) {
          const k = n + 1;
          dht.ping({ host: `127.99.${(k >> 8) & 0xff}.${k & 0xff}`, port: 9 }).catch(() => refused++);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      process.send!(report());
    } else if (message === 'stop') {
      await crawler.stop();
      await dht.stop().catch(() => undefined);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  })();
});
process.send!({ port: dht.address().port, ...report() });
