/**
 * The crawl-store backends under test. SQLite always; PostgreSQL from
 * BTDHT_TEST_POSTGRES_URL, which must be set (a missing server fails the suite
 * with how to start one) unless BTDHT_NO_POSTGRES=1 leaves PostgreSQL out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore, openSqliteStore, type CrawlStore } from '../../../src/crawl/store/index.ts';

export const POSTGRES_MISSING =
  'BTDHT_TEST_POSTGRES_URL is not set. Start a throwaway server with `eval "$(scripts/postgres.sh start)"` ' +
  '(stop it with `scripts/postgres.sh stop`), or run the tests inside one: `scripts/postgres.sh run -- npx vitest run test/crawl`. ' +
  'Install it first if needed: `scripts/postgres.sh install` (Debian package postgresql). ' +
  'To leave PostgreSQL out on purpose, set BTDHT_NO_POSTGRES=1.';

export function postgresWanted(): boolean {
  return process.env['BTDHT_NO_POSTGRES'] !== '1';
}

/** The server URL, or a thrown error that says how to start one. */
export function postgresUrl(): string {
  const url = process.env['BTDHT_TEST_POSTGRES_URL'];
  if (url === undefined || url === '') throw new Error(POSTGRES_MISSING);
  return url;
}

/** A schema name no other test run uses. */
export function uniqueSchema(tag: string): string {
  return `btdht_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** One store location: open it (again and again: reopening tests persistence), then throw it away. */
export interface StoreSite {
  open(): Promise<CrawlStore>;
  destroy(): Promise<void>;
}

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  site(): StoreSite;
}

const sqlite: StoreBackend = {
  name: 'sqlite',
  site() {
    const dir = mkdtempSync(join(tmpdir(), 'btdht-store-'));
    return {
      open: () => openSqliteStore({ path: join(dir, 'crawl.sqlite') }),
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const postgres: StoreBackend = {
  name: 'postgres',
  site() {
    const schema = uniqueSchema('store');
    return {
      open: () => openPostgresStore({ url: postgresUrl(), schema }),
      destroy: () => dropSchema(schema),
    };
  },
};

export async function dropSchema(schema: string): Promise<void> {
  const url = process.env['BTDHT_TEST_POSTGRES_URL'];
  if (url === undefined || url === '') return;
  const { default: pg } = await import('pg');
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export function storeBackends(): StoreBackend[] {
  return postgresWanted() ? [sqlite, postgres] : [sqlite];
}
