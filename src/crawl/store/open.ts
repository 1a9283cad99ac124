/**
 * One string picks the backend, as the CLI's `--db` does: a postgres:// or
 * postgresql:// URL opens PostgreSQL, anything else is a SQLite file path.
 * Each backend's module is loaded when a store of its kind is opened (the CLI
 * reads isPostgresUrl from here and must not load both).
 */
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
export async function openCrawlStore(target: string): Promise<CrawlStore> {
  if (isPostgresUrl(target)) return (await import('./postgres.ts')).openPostgresStore({ url: target });
  return (await import('./sqlite.ts')).openSqliteStore({ path: target });
}
