/** The crawl commands' own flags: parsers that name the flag and what it allows. */
import { isIP } from 'node:net';
import { InvalidArgumentError } from 'commander';
import { MAX_IDS } from '../dht/options.ts';
import { isPostgresUrl } from '../crawl/store/open.ts';
import { parseBootstrap } from './options.ts';

export const DEFAULT_CRAWL_DB = './btdht-crawl.sqlite';

export function parseIds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_IDS) throw new InvalidArgumentError(`--ids: expected a whole number from 1 to ${MAX_IDS}, got ${JSON.stringify(value)}`);
  return n;
}

export function parseDuration(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError(`--duration: expected a positive number of seconds, got ${JSON.stringify(value)}`);
  return seconds;
}

export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10_000) throw new InvalidArgumentError(`--concurrency: expected a whole number from 1 to 10000, got ${JSON.stringify(value)}`);
  return n;
}

export function parseDb(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('--db: expected a SQLite file or a postgres:// URL, got an empty string');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !isPostgresUrl(value)) {
    throw new InvalidArgumentError(`--db: only postgres:// or postgresql:// URLs are databases; anything else is a SQLite file path (got ${JSON.stringify(redact(value))})`);
  }
  return value;
}

export function parseSchema(value: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) throw new InvalidArgumentError(`--db-schema: expected a plain lower-case PostgreSQL name (a-z, 0-9, _), got ${JSON.stringify(value)}`);
  return value;
}

export function parseHost(value: string): string {
  if (isIP(value) === 0) throw new InvalidArgumentError(`--host: expected an IP address to bind (0.0.0.0, ::, 127.0.0.1, ...), got ${JSON.stringify(value)}`);
  return value;
}

/** `--bootstrap` may be repeated, each a host:port or a comma list. */
export function collectBootstrap(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...parseBootstrap(value)];
}

/** A URL without its password, for printing. */
export function redact(target: string): string {
  return target.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

