/**
 * `btdht crawl` as real processes against a loopback swarm run by the test
 * (DHT nodes, and the demo's seeders, which count what they were asked for):
 *  - SQLite: a crawler killed with SIGKILL mid-crawl leaves a sound, readable
 *    database; a restart on it fetches exactly what is missing — nothing
 *    stored is asked of a seeder again — and SIGINT stops it writing the
 *    last batch.
 *  - PostgreSQL: two crawler processes write into one database at once; no
 *    row is duplicated, none is lost, no sighting is lost.
 * These test processes and stores, not the core: they run on the first
 * backend of BTDHT_BACKENDS only.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { startCrawlSwarm, type CrawlSwarm } from '../../src/crawl/demo/swarm.ts';
import type { CrawlSummary } from '../../src/cli/crawl-progress.ts';
import { startCli, waitUntil, type CliChild } from './helpers/cli-child.ts';
import { dropSchema, postgresUrl, postgresWanted, uniqueSchema } from './helpers/stores.ts';

const backend = backends[0] ?? 'wasm';
const NODES = 30;
const TORRENTS = 24;

function crawlArgs(db: string, swarm: CrawlSwarm, host: string, extra: string[] = []): string[] {
  return ['crawl', '--db', db, '--bootstrap', swarm.bootstrap.join(','), '--host', host, '--port', '0', '--backend', backend, '--duration', '120', '--json', ...extra];
}

/** Torrents in a SQLite file right now (0 while it does not exist yet). */
function storedTorrents(path: string): Map<string, { name: string; size: number }> {
  const out = new Map<string, { name: string; size: number }>();
  if (!existsSync(path)) return out;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'torrents'").get() !== undefined;
    if (hasTable) for (const row of db.prepare('SELECT infohash, name, size FROM torrents').all() as Array<{ infohash: string; name: string; size: number }>) out.set(row.infohash, row);
  } finally {
    db.close();
  }
  return out;
}

function lastJson(child: CliChild): CrawlSummary {
  const line = child.stdout().trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (line === undefined) throw new Error(`no summary; stderr: ${child.stderr()}`);
  return JSON.parse(line) as CrawlSummary;
}

function served(swarm: CrawlSwarm): Set<string> {
  return new Set(swarm.seeders.flatMap((s) => s.served()));
}

function handshaked(swarm: CrawlSwarm): Set<string> {
  return new Set(swarm.seeders.flatMap((s) => s.requested()));
}

describe(`btdht crawl processes on a loopback swarm (${NODES} nodes, ${TORRENTS} torrents, ${backend} core)`, () => {
  let swarm: CrawlSwarm;
  const children: CliChild[] = [];

  beforeAll(async () => {
    // Slow seeders (300 ms before each answer) and 2 fetches at a time: a crawl long enough to kill in the middle.
    swarm = await startCrawlSwarm({ nodes: NODES, torrents: TORRENTS, core: await loadCore(backend), seederDelayMs: 300 });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await swarm?.stop();
  });

  it('SQLite: killed mid-crawl, the database is sound; a restart fetches only what is missing, and SIGINT writes the last batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'btdht-crawl-kill-'));
    const path = join(dir, 'crawl.sqlite');
    const made = new Map(swarm.torrents.map((t) => [t.infohash, t]));
    try {
      const first = startCli(crawlArgs(path, swarm, '127.0.0.240', ['--concurrency', '2']));
      children.push(first);
      await waitUntil(() => storedTorrents(path).size >= 6, 60_000, `6 torrents in the database; stderr: ${first.stderr()}`);
      first.process.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      // Sound and readable straight after the kill, holding whole, correct rows.
      const db = new Database(path);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
      const atKill = storedTorrents(path);
      expect(atKill.size).toBeGreaterThanOrEqual(6);
      expect(atKill.size).toBeLessThan(TORRENTS);
      for (const [infohash, row] of atKill) expect(row).toEqual({ infohash, name: made.get(infohash)!.name, size: made.get(infohash)!.size });

      for (const seeder of swarm.seeders) seeder.resetCounts();
      const missing = [...made.keys()].filter((infohash) => !atKill.has(infohash));
      const second = startCli(crawlArgs(path, swarm, '127.0.0.241', ['--concurrency', '2']));
      children.push(second);
      // Once every missing torrent's metadata was asked for, its fetch ends within milliseconds; the batch is still pending.
      await waitUntil(() => missing.every((infohash) => served(swarm).has(infohash)), 60_000, `the missing torrents to be fetched; stderr: ${second.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
      second.process.kill('SIGINT');
      const exit = await second.exited;
      expect(exit, second.stderr()).toEqual({ code: 0, signal: null });

      // Nothing stored before the kill was asked of a seeder again (not even a handshake); everything missing was.
      expect([...handshaked(swarm)].filter((infohash) => atKill.has(infohash))).toEqual([]);
      expect(served(swarm)).toEqual(new Set(missing));
      const summary = lastJson(second);
      expect(summary.metadata.fetched).toBe(missing.length);
      expect(summary.store.rows).toEqual({ infohashes: TORRENTS, torrents: TORRENTS });
      expect(summary.store.itemsDropped + summary.store.errors).toBe(0);
      const final = storedTorrents(path);
      expect(final.size).toBe(TORRENTS);
      for (const [infohash, row] of final) expect(row).toEqual({ infohash, name: made.get(infohash)!.name, size: made.get(infohash)!.size });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  if (postgresWanted()) {
    it('PostgreSQL: two crawler processes at once leave no duplicate row and lose no row or sighting', async () => {
      const url = postgresUrl();
      const schema = uniqueSchema('crawl');
      for (const seeder of swarm.seeders) seeder.resetCounts();
      try {
        const a = startCli(crawlArgs(url, swarm, '127.0.0.242', ['--db-schema', schema]));
        const b = startCli(crawlArgs(url, swarm, '127.0.0.243', ['--db-schema', schema]));
        children.push(a, b);
        const { default: pg } = await import('pg');
        const client = new pg.Client(url);
        await client.connect();
        try {
          const q = async (sql: string): Promise<Array<Record<string, string>>> => (await client.query(sql.replaceAll('S.', `"${schema}".`))).rows;
          const torrentCount = async (): Promise<number> => {
            try {
              return Number((await q('SELECT count(*) AS n FROM S.torrents'))[0]!['n']);
            } catch {
              return 0; // the tables are not created yet
            }
          };
          await waitUntil(async () => (await torrentCount()) >= TORRENTS, 60_000, `${TORRENTS} torrents in PostgreSQL; stderr A: ${a.stderr()} B: ${b.stderr()}`);
          a.process.kill('SIGINT');
          b.process.kill('SIGINT');
          expect(await a.exited, a.stderr()).toEqual({ code: 0, signal: null });
          expect(await b.exited, b.stderr()).toEqual({ code: 0, signal: null });
          const sa = lastJson(a);
          const sb = lastJson(b);

          // One row per infohash in each table, each of the made torrents, whole.
          expect(await q('SELECT count(*) AS n, count(DISTINCT infohash) AS d FROM S.torrents')).toEqual([{ n: String(TORRENTS), d: String(TORRENTS) }]);
          expect(await q('SELECT count(*) AS n, count(DISTINCT infohash) AS d FROM S.infohashes')).toEqual([{ n: String(TORRENTS), d: String(TORRENTS) }]);
          const rows = await q('SELECT t.infohash, t.name, t.size, i.fetched_at IS NOT NULL AS marked FROM S.torrents t JOIN S.infohashes i USING (infohash)');
          const made = new Map(swarm.torrents.map((t) => [t.infohash, t]));
          expect(rows).toHaveLength(TORRENTS);
          for (const row of rows) {
            expect(made.get(row['infohash']!)).toBeDefined();
            expect(row['name']).toBe(made.get(row['infohash']!)!.name);
            expect(Number(row['size'])).toBe(made.get(row['infohash']!)!.size);
            expect(row['marked']).toBe(true);
          }
          // Every sighting either process made is counted: no upsert lost another's update.
          const sightings = (s: CrawlSummary): number => s.infohashes.sightings.get_peers + s.infohashes.sightings.announce_peer + s.infohashes.sightings.sample;
          expect(Number((await q('SELECT sum(times_seen) AS n FROM S.infohashes'))[0]!['n'])).toBe(sightings(sa) + sightings(sb));
          expect(sa.store.itemsDropped + sa.store.errors + sb.store.itemsDropped + sb.store.errors).toBe(0);
          // Both crawled: each fetched some, together at least all (a race may fetch one twice, never store it twice).
          expect(sa.metadata.fetched + sb.metadata.fetched).toBeGreaterThanOrEqual(TORRENTS);
          expect(served(swarm)).toEqual(new Set(made.keys()));
        } finally {
          await client.end();
        }
      } finally {
        await dropSchema(schema);
      }
    }, 120_000);
  }
});
