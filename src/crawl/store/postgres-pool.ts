/** A pg pool as the crawl store and the index use it: loaded on first use, BIGINTs as numbers, idle errors absorbed. */
import type { Pool } from 'pg';
import { importOptional } from '../../util/optional-dependency.ts';

const INT8_OID = 20;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Throws TypeError unless `schema` is a plain lower-case PostgreSQL name (it is quoted into SQL). */
export function checkSchemaName(schema: string): void {
  if (!IDENTIFIER.test(schema)) throw new TypeError(`not a plain schema name: ${JSON.stringify(schema)}`);
}

export async function createPostgresPool(url: string, size: number): Promise<Pool> {
  const pg = await importOptional('A PostgreSQL crawl store', 'pg', () => import('pg'));
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    // BIGINT columns (times in ms, counters) as numbers: all stay below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that errors (server restart) must not take the process down.
  pool.on('error', () => {});
  return pool;
}
