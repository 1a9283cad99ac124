/**
 * Stores under real processes: a SQLite writer killed (SIGKILL) in the middle
 * of a batch, then restarted; two writer processes racing into one PostgreSQL
 * database.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/crawl/store/index.ts';
import { startWriter } from './helpers/child.ts';
import { ih, madeUpTorrent } from './helpers/store-writer-shared.ts';
import { dropSchema, postgresUrl, postgresWanted, uniqueSchema } from './helpers/stores.ts';

describe('SQLite: a crawler killed mid-batch', () => {
  it('leaves a sound database of whole batches, and a restart fetches exactly the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'btdht-crash-'));
    const path = join(dir, 'crawl.sqlite');
    const N = 48_000;
    const B = 12_000;
    try {
      const seed = await openSqliteStore({ path });
      await seed.write({ observations: Array.from({ length: N }, (_, n) => ({ infohash: ih(n + 1), source: 'get_peers' as const, at: n })) });
      await seed.close();

      const first = startWriter(['resume', path, String(B), join(dir, 'first.log')]);
      await first.waitFor(/^writing 2$/, 60_000); // batches 0 and 1 are in; batch 2's transaction is starting
      first.process.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      // Readable and sound, straight after the kill (WAL recovery on open).
      const db = new Database(path);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();

      const store = await openSqliteStore({ path });
      const afterCrash = (await store.counts()).torrents;
      expect(afterCrash % B).toBe(0); // whole batches only
      expect(afterCrash).toBeGreaterThanOrEqual(2 * B);
      expect(afterCrash).toBeLessThanOrEqual(3 * B);
      const left = new Set((await store.listUnfetched({ limit: N })).map((r) => r.infohash));
      expect(left.size).toBe(N - afterCrash);
      // The newest are fetched first: the last infohash is in, whole and as written.
      const sample = await store.getTorrent(ih(N));
      expect(sample).toEqual({ ...madeUpTorrent(ih(N), sample?.fetchedAt ?? -1), firstSeen: N - 1, seeders: null, leechers: null, swarmCheckedAt: null });
      await store.close();

      const second = startWriter(['resume', path, String(B), join(dir, 'second.log')]);
      await second.waitFor(/^done$/, 60_000);
      expect((await second.exited).code).toBe(0);
      const refetched = readFileSync(join(dir, 'second.log'), 'utf8').split('\n').filter((l) => l !== '');
      // Exactly what the crash left unfetched, each once; nothing fetched before is fetched again.
      expect(refetched).toHaveLength(N - afterCrash);
      expect(new Set(refetched)).toEqual(left);

      const final = await openSqliteStore({ path });
      expect(await final.counts()).toEqual({ infohashes: N, torrents: N });
      expect(await final.listUnfetched({ limit: 10 })).toEqual([]);
      await final.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (postgresWanted()) {
  describe('PostgreSQL: two writer processes at once', () => {
    it('leave no duplicate row, lose no row and no count', async () => {
      const url = postgresUrl();
      const schema = uniqueSchema('race');
      try {
        // Overlapping ranges, each infohash observed twice per writer, in shuffled batches of 250.
        const a = startWriter(['observe', url, schema, '0', '3000', '2', '250', '1']);
        const b = startWriter(['observe', url, schema, '1500', '4500', '2', '250', '2']);
        await Promise.all([a.waitFor(/^done$/, 120_000), b.waitFor(/^done$/, 120_000)]);
        expect((await a.exited).code).toBe(0);
        expect((await b.exited).code).toBe(0);

        const { default: pg } = await import('pg');
        const client = new pg.Client(url);
        await client.connect();
        try {
          const q = async (sql: string): Promise<Array<Record<string, string>>> => (await client.query(sql.replaceAll('S.', `"${schema}".`))).rows;
          expect(await q('SELECT count(*) AS n, count(DISTINCT infohash) AS d FROM S.infohashes')).toEqual([{ n: '4500', d: '4500' }]);
          expect(await q('SELECT count(*) AS n, count(DISTINCT infohash) AS d FROM S.torrents')).toEqual([{ n: '1500', d: '1500' }]);
          // Seen twice by one writer, four times where both wrote: no update lost.
          expect(await q('SELECT times_seen AS t, count(*) AS n FROM S.infohashes GROUP BY times_seen ORDER BY times_seen')).toEqual([
            { t: '2', n: '3000' },
            { t: '4', n: '1500' },
          ]);
          expect(await q('SELECT count(*) AS n FROM S.infohashes WHERE seen_get_peers * 2 <> times_seen OR seen_announce * 2 <> times_seen')).toEqual([{ n: '0' }]);
          expect(await q(`SELECT count(*) AS n FROM S.infohashes WHERE first_seen <> 1000 + ('x' || right(infohash, 8))::bit(32)::int OR last_seen <> first_seen + 1`)).toEqual([{ n: '0' }]);
          expect(await q('SELECT count(*) AS n FROM S.infohashes WHERE fetched_at IS NOT NULL')).toEqual([{ n: '1500' }]);
        } finally {
          await client.end();
        }
      } finally {
        await dropSchema(schema);
      }
    });
  });
}
