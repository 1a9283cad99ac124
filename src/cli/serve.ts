/**
 * `btdht serve --db DB [--listen HOST:PORT]`: the search index over a crawl
 * database (SQLite file or postgres:// URL), read-only, so a crawl may write
 * to it meanwhile. `btdht crawl --serve HOST:PORT` starts the same beside a
 * crawl (startIndex).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ListenError, parseListenAddress, type ListenAddress } from '../web/listen.ts';
import { IndexOpenError } from '../web/index/reader.ts';
import { stopOnSignals } from './crawl.ts';
import { parseDb, parseSchema, redact } from './crawl-flags.ts';
import { startIndex, type RunningIndex } from './serve-index.ts';
import { EXIT } from './exit.ts';

export const DEFAULT_LISTEN = '127.0.0.1:8080';

export interface ServeFlags {
  db: string;
  dbSchema?: string;
  listen: ListenAddress;
}

export function parseServeAddress(flag: string): (value: string) => ListenAddress {
  return (value) => {
    try {
      return parseListenAddress(value, flag);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a search index (web pages, JSON API, RSS, Torznab) over a crawl database, read-only')
    .requiredOption('--db <file|url>', 'the crawl database: SQLite file, or postgres://user@host/db', parseDb)
    .option('--db-schema <name>', 'PostgreSQL schema of the crawl tables (default public)', parseSchema)
    .option('--listen <host:port>', `address to serve on (default ${DEFAULT_LISTEN}; port 0 = any)`, parseServeAddress('--listen'), parseListenAddress(DEFAULT_LISTEN, '--listen'))
    .action(async (flags: ServeFlags) => {
      let index: RunningIndex;
      try {
        index = await startIndex(flags.db, flags.listen, flags.dbSchema !== undefined ? { schema: flags.dbSchema } : {});
      } catch (error) {
        if (error instanceof IndexOpenError) {
          console.error(`btdht serve: ${redact(flags.db)}: ${error.message}`);
          process.exitCode = EXIT.usage;
          return;
        }
        if (error instanceof ListenError) {
          console.error(`btdht serve: ${error.message}`);
          process.exitCode = EXIT.usage;
          return;
        }
        throw error;
      }
      console.log(`btdht serve: index of ${redact(flags.db)} at ${index.url}/ (API ${index.url}/api, Torznab ${index.url}/torznab/api); Ctrl-C stops`);
      const controller = new AbortController();
      const release = stopOnSignals(controller, (line) => process.stderr.write(`\n${line.replace('crawl', 'serve')}\n`));
      await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
      release();
      await index.close();
    });
}
