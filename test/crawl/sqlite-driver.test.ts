/**
 * The SQLite under the crawl store, on whichever runtime runs the suite (Node:
 * better-sqlite3, or node:sqlite from 22.5; Deno: node:sqlite; Bun:
 * bun:sqlite): the default each runtime picks, and the same behaviour from
 * every driver the runtime has.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase, type SqliteDriverName } from '../../src/crawl/store/sqlite-driver.ts';
import { openSqliteStore } from '../../src/crawl/store/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'btdht-sqlite-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = (): string => join(dir, `db-${files++}.sqlite`);

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' ? 'bun' : typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'deno' : 'node';
const [major = 0, minor = 0] = (process.versions.node ?? '0.0').split('.').map(Number);
const nodeHasSqlite = major > 22 || (major === 22 && minor >= 13); // 22.5-22.12 only behind --experimental-sqlite

function expectedDefault(): SqliteDriverName {
  if (runtime === 'bun') return 'bun:sqlite';
  if (runtime === 'deno' || nodeHasSqlite) return 'node:sqlite';
  return 'better-sqlite3';
}

/** The drivers this runtime can open. */
function available(): SqliteDriverName[] {
  if (runtime === 'bun') return ['bun:sqlite'];
  if (runtime === 'deno') return ['node:sqlite'];
  return nodeHasSqlite ? ['node:sqlite', 'better-sqlite3'] : ['better-sqlite3'];
}

describe(`SQLite driver on ${runtime}`, () => {
  it(`opens ${expectedDefault()} by default, and a crawl store on it`, async () => {
    const db = await openSqliteDatabase(file());
    expect(db.driver).toBe(expectedDefault());
    db.close();
    const store = await openSqliteStore({ path: file() });
    await store.write({ observations: [{ infohash: 'ab'.repeat(20), source: 'get_peers', at: 1000 }] });
    expect(await store.counts()).toEqual({ infohashes: 1, torrents: 0 });
    await store.close();
  });

  it('rejects an unknown driver by name', async () => {
    await expect(openSqliteDatabase(file(), 'sqlite4' as SqliteDriverName)).rejects.toThrow(/unknown SQLite driver "sqlite4"/);
  });

  describe.each(available())('%s', (driver) => {
    const open = async (): Promise<SqliteDatabase> => {
      const db = await openSqliteDatabase(file(), driver);
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('CREATE TABLE t (k TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL)');
      return db;
    };

    it('binds @name parameters from plain keys and positional ones; no row is undefined', async () => {
      const db = await open();
      expect(db.driver).toBe(driver);
      const upsert = db.prepare<[{ k: string; n: number }]>('INSERT INTO t (k, n) VALUES (@k, @n) ON CONFLICT (k) DO UPDATE SET n = n + excluded.n');
      upsert.run({ k: 'a', n: 2 ** 40 });
      expect(upsert.run({ k: 'a', n: 1 }).changes).toBe(1);
      expect(db.prepare('DELETE FROM t WHERE k = ?').run('nothing').changes).toBe(0);
      const get = db.prepare<[string], { k: string; n: number }>('SELECT k, n, typeof(n) AS type FROM t WHERE k = ?');
      expect({ ...get.get('a') }).toEqual({ k: 'a', n: 2 ** 40 + 1, type: 'integer' });
      expect(get.get('missing')).toBeUndefined();
      expect(db.prepare<[number], { k: string }>('SELECT k FROM t LIMIT ?').all(5).map((row) => row.k)).toEqual(['a']);
      db.close();
    });

    it('commits a transaction that returns and rolls back one that throws', async () => {
      const db = await open();
      const insert = db.prepare<[string, number]>('INSERT INTO t (k, n) VALUES (?, ?)');
      const both = db.transaction((k: string) => {
        insert.run(k, 1);
        insert.run(`${k}'`, 2);
        return k;
      });
      expect(both.immediate('x')).toBe('x');
      expect(() => both('x')).toThrow(); // the first insert collides
      const failing = db.transaction(() => {
        insert.run('y', 1);
        throw new Error('no');
      });
      expect(() => failing.immediate()).toThrow('no');
      const count = db.prepare<[], { c: number }>('SELECT count(*) AS c FROM t');
      expect(count.get()?.c).toBe(2);
      // And the connection is usable after both: no transaction left open.
      both.immediate('z');
      expect(count.get()?.c).toBe(4);
      db.close();
    });

    it('opens a file read-only: reads see the rows, writes are refused', async () => {
      const path = file();
      const writer = await openSqliteDatabase(path, driver);
      writer.exec('CREATE TABLE t (k TEXT)');
      writer.prepare('INSERT INTO t VALUES (?)').run('a');
      const reader = await openSqliteDatabase(path, driver, { readonly: true });
      expect(reader.prepare<[], { k: string }>('SELECT k FROM t').all().map((row) => row.k)).toEqual(['a']);
      expect(() => reader.prepare('INSERT INTO t VALUES (?)').run('b')).toThrow(/readonly|read-only/i);
      reader.close();
      writer.close();
    });
  });
});
