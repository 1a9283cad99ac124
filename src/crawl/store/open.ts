/**
 * One string picks the backend, as the CLI's `--db` does: a postgres:// or
 * postgresql:// URL opens PostgreSQL, anything else is a SQLite file path.
 */
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';
import type { CrawlStore } from './types.ts';

/**
 * @example
 * import { isPostgresUrl } from 'btdht/crawl';
 * isPostgresUrl('postgres://localhost/crawl'); // true
 * isPostgresUrl('./crawl.sqlite'); // false
 */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(target);
}

/**
 * @example
 * import { openCrawlStore } from 'btdht/crawl';
 * const store = await openCrawlStore('./crawl.sqlite'); // or 'postgres://user@host/db'
 * await store.counts(); // { infohashes, torrents }
 * await store.close();
 */
export function openCrawlStore(target: string): Promise<CrawlStore> {
  return isPostgresUrl(target) ? openPostgresStore({ url: target }) : openSqliteStore({ path: target });
}
