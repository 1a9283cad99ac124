/**
 * The kinds of value an option takes. Each reads a flag's text and a config
 * file's JSON value into the same typed value, and says what it allows: error
 * messages and docs quote `allowed`, so the range is written once.
 */
import { isIP } from 'node:net';
import { parseHostPort } from '../util/endpoint.ts';

export interface ValueKind<T> {
  /** What is allowed, as shown in errors and docs: 'a whole number from 1 to 64'. */
  readonly allowed: string;
  /** Commander's argument placeholder ('<n>'); undefined for an on/off switch. */
  readonly placeholder: string | undefined;
  /** A flag's text (`previous` is the value so far, for a flag that may be repeated). Throws Error naming what is allowed. */
  fromFlag(text: string, previous: T | undefined): T;
  /** A config file's JSON value. Throws Error naming what is allowed. */
  fromConfig(value: unknown): T;
  /** The value as a config file or command line would give it, for docs. */
  show(value: T): string;
}

/** The value type of a kind. */
export type ValueOf<K> = K extends ValueKind<infer T> ? T : never;

function refuse(allowed: string, got: unknown): never {
  throw new Error(`expected ${allowed}, got ${typeof got === 'string' ? JSON.stringify(got) : describeJson(got)}`);
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** A whole number in [min, max]; `note` says what a special value means ('0 = off'). */
export function integer(min: number, max: number, note?: string): ValueKind<number> {
  const allowed = `a whole number from ${min} to ${max}${note ? ` (${note})` : ''}`;
  const check = (n: number, got: unknown): number => (Number.isSafeInteger(n) && n >= min && n <= max ? n : refuse(allowed, got));
  return {
    allowed,
    placeholder: '<n>',
    fromFlag: (text) => (/^-?\d+$/.test(text.trim()) ? check(Number(text), text) : refuse(allowed, text)),
    fromConfig: (value) => (typeof value === 'number' ? check(value, value) : refuse(allowed, value)),
    show: String,
  };
}

/** A number of seconds above 0 (fractions allowed). */
export function seconds(max: number): ValueKind<number> {
  const allowed = `a number of seconds above 0, at most ${max}`;
  const check = (n: number, got: unknown): number => (Number.isFinite(n) && n > 0 && n <= max ? n : refuse(allowed, got));
  return {
    allowed,
    placeholder: '<s>',
    fromFlag: (text) => (text.trim() === '' ? refuse(allowed, text) : check(Number(text), text)),
    fromConfig: (value) => (typeof value === 'number' ? check(value, value) : refuse(allowed, value)),
    show: String,
  };
}

/** An on/off switch: `--name` / `--no-name` on the command line, true / false in a config file. */
export const boolean: ValueKind<boolean> = {
  allowed: 'true or false',
  placeholder: undefined,
  fromFlag: (text) => (text === 'true' ? true : text === 'false' ? false : refuse('true or false', text)),
  fromConfig: (value) => (typeof value === 'boolean' ? value : refuse('true or false', value)),
  show: String,
};

/** One of a few words. */
export function oneOf<const T extends string>(values: readonly T[]): ValueKind<T> {
  const allowed = `one of ${values.join(', ')}`;
  const check = (value: unknown): T => ((values as readonly unknown[]).includes(value) ? (value as T) : refuse(allowed, value));
  return { allowed, placeholder: `<${values.join('|')}>`, fromFlag: check, fromConfig: check, show: String };
}

/** Free text passing `test` (a path, a URL, a name). */
export function text(allowed: string, placeholder: string, test: (value: string) => boolean = (value) => value.trim() !== ''): ValueKind<string> {
  const check = (value: unknown): string => (typeof value === 'string' && test(value) ? value : refuse(allowed, value));
  return { allowed, placeholder, fromFlag: check, fromConfig: check, show: (value) => JSON.stringify(value) };
}

/**
 * Free text that `parse` accepts; a refusal carries parse's own reason (its
 * leading "--flag: " dropped: the caller names the flag or key).
 */
export function parsedText(allowed: string, placeholder: string, parse: (value: string) => unknown): ValueKind<string> {
  const check = (value: unknown): string => {
    if (typeof value !== 'string') return refuse(allowed, value);
    try {
      parse(value);
    } catch (error) {
      throw new Error((error as Error).message.replace(/^--[a-z0-9-]+: /, ''));
    }
    return value;
  };
  return { allowed, placeholder, fromFlag: check, fromConfig: check, show: (value) => JSON.stringify(value) };
}

/** An IP address literal of the given family (any when undefined). */
export function ipAddress(family?: 4 | 6): ValueKind<string> {
  const allowed = family === 6 ? 'an IPv6 address (::, ::1, 2001:db8::1, ...)' : family === 4 ? 'an IPv4 address' : 'an IP address (0.0.0.0, 127.0.0.1, ::, ...)';
  return text(allowed, '<ip>', (value) => (family ? isIP(value) === family : isIP(value) !== 0));
}

/** 40 hex digits (a node id). */
export const hexId: ValueKind<string> = text('40 hex digits', '<hex>', (value) => /^[0-9a-fA-F]{40}$/.test(value));

/** One "host:port" ("[ipv6]:port"), e.g. an address to serve on. */
export const hostPort: ValueKind<string> = text('"host:port" (or "[ipv6]:port") with a port from 1 to 65535', '<host:port>', (value) => {
  try {
    parseHostPort(value);
    return true;
  } catch {
    return false;
  }
});

/**
 * A list of "host:port": a comma list on the command line (the flag may be
 * repeated; "" = none), an array of strings in a config file.
 */
export const hostPortList: ValueKind<string[]> = {
  allowed: 'a list of "host:port" (or "[ipv6]:port") with ports from 1 to 65535',
  placeholder: '<host:port,...>',
  fromFlag: (value, previous) => [...(previous ?? []), ...(value.trim() === '' ? [] : value.split(',').map((entry) => hostPort.fromFlag(entry.trim(), undefined)))],
  fromConfig: (value) => {
    if (!Array.isArray(value)) return refuse('an array of "host:port" strings', value);
    return value.map((entry: unknown) => {
      try {
        return hostPort.fromConfig(entry);
      } catch (error) {
        throw new Error(`entry ${JSON.stringify(entry)}: ${(error as Error).message}`);
      }
    });
  },
  show: (value) => JSON.stringify(value),
};

/**
 * Node ids (crawler mode): a count, or hex prefixes (one id at each). On the
 * command line digits alone are a count and anything else a comma list of
 * prefixes ("3f,a0"; a single all-digit prefix needs a trailing comma: "10,").
 */
export function idsKind(max: number): ValueKind<number | string[]> {
  const count = integer(1, max);
  const allowed = `a count from 1 to ${max}, or 1 to ${max} hex prefixes of 1 to 40 digits`;
  const prefixes = (list: unknown[], got: unknown): string[] =>
    list.length >= 1 && list.length <= max && list.every((p) => typeof p === 'string' && /^[0-9a-fA-F]{1,40}$/.test(p)) ? (list as string[]).map((p) => p.toLowerCase()) : refuse(allowed, got);
  return {
    allowed,
    placeholder: '<n|prefix,...>',
    fromFlag: (value) => {
      if (/^\d+$/.test(value.trim())) return count.fromFlag(value, undefined);
      return prefixes(value.split(',').map((p) => p.trim()).filter((p) => p !== ''), value);
    },
    fromConfig: (value) => {
      if (typeof value === 'number') return count.fromConfig(value);
      return Array.isArray(value) ? prefixes(value, value) : refuse(allowed, value);
    },
    show: (value) => (typeof value === 'number' ? String(value) : JSON.stringify(value)),
  };
}
