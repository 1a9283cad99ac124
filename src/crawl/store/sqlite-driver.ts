/**
 * The SQLite a crawl store runs on, behind one small interface (the subset of
 * better-sqlite3's API the store uses), so one store implementation serves
 * every runtime:
 *   - Bun: bun:sqlite, built in;
 *   - Node >= 22.5 and Deno: node:sqlite, built in (no native build);
 *   - Node 20: better-sqlite3, an optional peer dependency (npm install better-sqlite3).
 * Each is imported on first open, so library users who never crawl load none.
 */
import { MissingDependencyError, isNotInstalled } from '../../util/optional-dependency.ts';

export type SqliteDriverName = 'node:sqlite' | 'bun:sqlite' | 'better-sqlite3';
export const SQLITE_DRIVERS: readonly SqliteDriverName[] = ['bun:sqlite', 'node:sqlite', 'better-sqlite3'];

/** A prepared statement: positional values, or one object for `@name` parameters. */
export interface SqliteStatement<P extends unknown[] = unknown[], R = unknown> {
  /** `changes`: rows inserted, updated or deleted. */
  run(...params: P): { changes: number };
  /** The first row, or undefined when there is none. */
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

/** A function run inside one transaction: committed when it returns, rolled back when it throws. */
export interface SqliteTransaction<A extends unknown[], T> {
  (...args: A): T;
  /** BEGIN IMMEDIATE: take the write lock up front, so two writers never deadlock upgrading a read. */
  immediate(...args: A): T;
}

export interface SqliteDatabase {
  readonly driver: SqliteDriverName;
  exec(sql: string): void;
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R>;
  transaction<A extends unknown[], T>(fn: (...args: A) => T): SqliteTransaction<A, T>;
  close(): void;
}

/** What we use of node:sqlite's DatabaseSync and bun:sqlite's Database (no typings for either on Node 20). */
interface BuiltinStatement {
  run(...params: unknown[]): { changes: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface BuiltinDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): BuiltinStatement;
  close(): void;
}
type BuiltinConstructor = new (path: string, options?: Record<string, unknown>) => BuiltinDatabase;

function isBun(): boolean {
  return typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';
}

/**
 * Open `path` with the first driver this runtime has: bun:sqlite on Bun,
 * node:sqlite where built in, else better-sqlite3 if installed; or the one
 * named by `driver`. Rejects with a MissingDependencyError saying what to
 * install when there is none.
 */
export async function openSqliteDatabase(path: string, driver?: SqliteDriverName, options: { readonly?: boolean } = {}): Promise<SqliteDatabase> {
  const readonly = options.readonly === true;
  if (driver !== undefined) {
    if (!SQLITE_DRIVERS.includes(driver)) throw new TypeError(`unknown SQLite driver ${JSON.stringify(driver)} (one of ${SQLITE_DRIVERS.join(', ')})`);
    return open(driver, path, readonly);
  }
  if (isBun()) return open('bun:sqlite', path, readonly);
  const builtin = await importBuiltin('node:sqlite', 'DatabaseSync');
  if (builtin !== undefined) return wrapBuiltin('node:sqlite', new builtin(path, readonly ? { readOnly: true } : {}));
  return open('better-sqlite3', path, readonly);
}

/** `readonly`: an existing file, never written (the search index reads a crawl's database this way). */
async function open(driver: SqliteDriverName, path: string, readonly: boolean): Promise<SqliteDatabase> {
  switch (driver) {
    case 'bun:sqlite': {
      const Database = await importBuiltin('bun:sqlite', 'Database');
      if (Database === undefined) throw new Error('bun:sqlite is built into Bun only');
      // strict: `@name` parameters bind from plain keys, as in the other drivers.
      return wrapBuiltin('bun:sqlite', new Database(path, readonly ? { readonly: true, strict: true } : { create: true, readwrite: true, strict: true }));
    }
    case 'node:sqlite': {
      const DatabaseSync = await importBuiltin('node:sqlite', 'DatabaseSync');
      if (DatabaseSync === undefined) throw new Error(`node:sqlite is not built into this runtime (Node ${process.versions.node}; it needs Node >= 22.5, or Deno)`);
      return wrapBuiltin('node:sqlite', new DatabaseSync(path, readonly ? { readOnly: true } : {}));
    }
    case 'better-sqlite3':
      return openBetterSqlite3(path, readonly);
  }
}

// A built-in module, or undefined where the runtime has none. The specifier is
// a variable so Node 20's typings (which know neither) and bundlers leave it be.
async function importBuiltin(specifier: 'node:sqlite' | 'bun:sqlite', exported: string): Promise<BuiltinConstructor | undefined> {
  try {
    const module = (await import(specifier)) as Record<string, unknown>;
    const constructor = module[exported];
    return typeof constructor === 'function' ? (constructor as BuiltinConstructor) : undefined;
  } catch {
    return undefined; // ERR_UNKNOWN_BUILTIN_MODULE (Node < 22.5, or 22.5-22.12 without --experimental-sqlite)
  }
}

async function openBetterSqlite3(path: string, readonly = false): Promise<SqliteDatabase> {
  let Database: typeof import('better-sqlite3');
  try {
    ({ default: Database } = await import('better-sqlite3'));
  } catch (error) {
    if (!isNotInstalled(error, 'better-sqlite3')) throw error;
    const why = isBun() ? undefined : `this runtime has no built-in SQLite (Node ${process.versions.node}; node:sqlite needs Node >= 22.5)`;
    throw new MissingDependencyError('A SQLite crawl store', ['better-sqlite3'], why);
  }
  const db = new Database(path, readonly ? { readonly: true, fileMustExist: true } : {});
  // better-sqlite3's own API is the interface; only the driver's name is added.
  return Object.assign(db, { driver: 'better-sqlite3' as const }) as unknown as SqliteDatabase;
}

function wrapBuiltin(driver: 'node:sqlite' | 'bun:sqlite', db: BuiltinDatabase): SqliteDatabase {
  return {
    driver,
    exec: (sql) => {
      db.exec(sql);
    },
    prepare: <P extends unknown[], R>(sql: string): SqliteStatement<P, R> => {
      const statement = db.prepare(sql);
      return {
        run: (...params) => ({ changes: Number(statement.run(...params).changes) }),
        // bun:sqlite answers null for no row, node:sqlite undefined.
        get: (...params) => (statement.get(...params) ?? undefined) as R | undefined,
        all: (...params) => statement.all(...params) as R[],
      };
    },
    transaction: (fn) => transaction(db, fn),
    close: () => db.close(),
  };
}

function transaction<A extends unknown[], T>(db: BuiltinDatabase, fn: (...args: A) => T): SqliteTransaction<A, T> {
  const run =
    (begin: string) =>
    (...args: A): T => {
      db.exec(begin);
      try {
        const result = fn(...args);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // SQLite already rolled back (a full disk, an I/O error): nothing is open.
        }
        throw error;
      }
    };
  return Object.assign(run('BEGIN'), { immediate: run('BEGIN IMMEDIATE') });
}
