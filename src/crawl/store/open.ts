/**
 * One string picks the backend, as the CLI's `--db` does: a postgres:// or
 * postgresql:// URL opens PostgreSQL, anything else is a SQLite file path.
 */
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';
import type { CrawlStore } from './types.ts';

export function isPostgresUrl(target: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(target);
}

export function openCrawlStore(target: string): Promise<CrawlStore> {
  return isPostgresUrl(target) ? openPostgresStore({ url: target }) : openSqliteStore({ path: target });
}
