/**
 * The node's log: an optional `logger` in DHTOptions with one method per
 * level, each absent when that level is off. The node calls
 * `log.debug?.('lookup.end', { lookup, ... })`; with the method absent the
 * arguments are not evaluated at all, so a level that is off costs nothing.
 * `console` fits (every level on); the CLI passes a text or JSON line writer.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Levels from the most to the least important. */
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** An event's details: flat values only, so every line is one line. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** Write one event ('lookup.end', 'bootstrap', 'state.saved', ...). */
export type LogEvent = (event: string, fields?: LogFields) => void;

export interface Logger {
  error?: LogEvent;
  warn?: LogEvent;
  info?: LogEvent;
  debug?: LogEvent;
}

/** No logging. */
export const SILENT: Logger = Object.freeze({});
