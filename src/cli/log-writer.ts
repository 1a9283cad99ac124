/**
 * The CLI's log writer: a Logger (src/dht/log.ts) whose methods exist only for
 * the levels shown, each writing one line per event to stderr: text
 * (`<time> <level> <event> key=value ...`) or one JSON object. Values from
 * the network (names, addresses) are escaped so one event is one line and
 * control or bidi characters cannot forge another.
 */
import type { LogEvent, LogFields, LogLevel, Logger } from '../dht/log.ts';
import { LOG_LEVELS } from '../dht/log.ts';

export type LogFormat = 'text' | 'json';

export interface LogWriterOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go (default: stderr). Each call gets one line ending in "\n". */
  write?: (line: string) => void;
  /** The time stamp (default: now, ISO 8601 UTC). */
  now?: () => Date;
}

// C0/C1 controls, line and paragraph separators, bidi overrides and isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const escapeUnsafe = (text: string): string => text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const BARE = /^[\w.:/@+,[\]=-]+$/;

/** A value for a text line: bare when it is plain, else quoted and escaped. */
function textValue(value: string | number | boolean): string {
  const text = String(value);
  return BARE.test(text) ? text : escapeUnsafe(JSON.stringify(text));
}

function textLine(time: string, level: LogLevel, event: string, fields: LogFields | undefined): string {
  let line = `${time} ${level.padEnd(5)} ${textValue(event)}`;
  if (fields) for (const [key, value] of Object.entries(fields)) if (value !== undefined) line += ` ${textValue(key)}=${textValue(value)}`;
  return line;
}

function jsonLine(time: string, level: LogLevel, event: string, fields: LogFields | undefined): string {
  const record: Record<string, unknown> = { time, level, event };
  if (fields) for (const [key, value] of Object.entries(fields)) if (value !== undefined && !(key in record)) record[key] = value;
  return escapeUnsafe(JSON.stringify(record));
}

/** A Logger writing the levels up to `level`; the others are absent (free). */
export function createLogWriter(options: LogWriterOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const format = options.format === 'json' ? jsonLine : textLine;
  const shown = LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(options.level) + 1);
  const logger: Logger = {};
  for (const level of shown) {
    const method: LogEvent = (event, fields) => write(`${format(now().toISOString(), level, event, fields)}\n`);
    logger[level] = method;
  }
  return logger;
}

/** A warning or error from the node, as a log event. */
export function errorFields(error: unknown): LogFields {
  return { message: error instanceof Error ? error.message : String(error) };
}
