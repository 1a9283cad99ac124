/**
 * The option table on a command: one flag per option (and `--config FILE`),
 * then the settings of a run, each taken from the first of: the flag, the
 * config file, the command's default. What is left unset takes the library's
 * default inside `new DHT()`.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { DHTOptions } from '../dht/options.ts';
import { readConfigFile } from './config-file.ts';
import type { AnyOptionDef, CommandName, Settings } from './option-table.ts';
import { flagOf, optionsFor } from './option-table.ts';

/** Reads a run's settings once commander has parsed the flags (rejects with a UsageError). */
export type SettingsReader = (flags: Record<string, unknown>) => Promise<Settings>;

function helpOf(option: AnyOptionDef, command: CommandName): string {
  const fallback = (option.defaults as Partial<Record<CommandName, unknown>> | undefined)?.[command];
  const shown = fallback !== undefined ? (option.kind.show as (value: unknown) => string)(fallback) : option.libraryDefault;
  const allowed = option.kind.placeholder === undefined ? '' : `; ${option.kind.allowed}`;
  // A cap btdht crawl raises (crawl-caps.ts) says so in its help.
  const raised = fallback !== undefined && option.libraryDefault !== undefined && shown !== option.libraryDefault ? `, raised from a node's ${option.libraryDefault}` : '';
  return `${option.help}${allowed}${shown !== undefined ? ` (default ${shown}${raised})` : ''}`;
}

/** Add the table's flags for `command`; returns the reader of a run's settings. */
export function addTableOptions(program: Command, command: CommandName): SettingsReader {
  program.addOption(new Option('--config <file>', 'read options from this JSON file (keys as in docs/OPERATIONS.md); flags override it'));
  const attributes = new Map<string, string>();
  for (const option of optionsFor(command)) {
    const flag = flagOf(option);
    const kind = option.kind;
    if (kind.placeholder === undefined) {
      // A switch: both --x and --no-x, so a flag can override the config file either way.
      const on = new Option(flag, helpOf(option, command));
      const off = new Option(`--no-${flag.slice(2)}`, `do not ${option.help}`);
      (option.negatable ? on : off).hideHelp();
      program.addOption(on).addOption(off);
      attributes.set(option.key, on.attributeName());
      continue;
    }
    const parse = kind.fromFlag as (text: string, previous: unknown) => unknown;
    const entry = new Option(`${flag} ${kind.placeholder}`, helpOf(option, command)).argParser((text: string, previous: unknown) => {
      try {
        return parse(text, previous);
      } catch (error) {
        throw new InvalidArgumentError(`${flag}: ${(error as Error).message}`);
      }
    });
    program.addOption(entry);
    attributes.set(option.key, entry.attributeName());
  }
  return async (flags) => {
    const file = flags['config'];
    const config: Record<string, unknown> = typeof file === 'string' ? await readConfigFile(file, command) : {};
    const settings: Record<string, unknown> = {};
    for (const option of optionsFor(command)) {
      const flag = flags[attributes.get(option.key)!];
      const fallback = (option.defaults as Partial<Record<CommandName, unknown>> | undefined)?.[command];
      const value = flag !== undefined ? flag : config[option.key] !== undefined ? config[option.key] : fallback;
      if (value !== undefined) settings[option.key] = value;
    }
    return settings as Settings;
  };
}

/** The settings that go to `new DHT()`. */
export function dhtOptionsOf(settings: Settings, command: CommandName): DHTOptions {
  const options: Record<string, unknown> = {};
  for (const option of optionsFor(command)) {
    const value = (settings as Record<string, unknown>)[option.key];
    if (option.dht && value !== undefined) options[option.key] = value;
  }
  return options as DHTOptions;
}
