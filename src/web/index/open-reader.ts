/** One string picks the backend, as `--db` does everywhere: a postgres:// URL, else a SQLite file. */
import { isPostgresUrl } from '../../crawl/store/open.ts';
import { openPostgresReader } from './postgres-reader.ts';
import type { IndexReader } from './reader.ts';
import { openSqliteReader } from './sqlite-reader.ts';

export function openIndexReader(target: string, options: { schema?: string } = {}): Promise<IndexReader> {
  return isPostgresUrl(target) ? openPostgresReader({ url: target, ...(options.schema !== undefined ? { schema: options.schema } : {}) }) : openSqliteReader(target);
}
