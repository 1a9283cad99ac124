/**
 * `--config FILE`: a JSON object whose keys are those of the option table
 * (option-table.ts), checked as strictly as the flags: an unknown key, a key
 * of another command, a wrong type or an out-of-range value is a UsageError
 * naming the file, the key, the value and what is allowed. Keys starting with
 * "//" are comments.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from './exit.ts';
import type { CommandName, Settings } from './option-table.ts';
import { OPTIONS, optionsFor } from './option-table.ts';

/** Read and check a config file for `command`. */
export async function readConfigFile(file: string, command: CommandName): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(`--config ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`config file ${file}: not valid JSON (${(error as Error).message})`);
  }
  return checkConfig(json, command, `config file ${file}`);
}

/** Check a parsed config object; `where` starts each error message. */
export function checkConfig(json: unknown, command: CommandName, where: string): Settings {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UsageError(`${where}: expected a JSON object of options ({ "port": 6881, ... }), got ${Array.isArray(json) ? 'an array' : JSON.stringify(json)}`);
  }
  const settings: Record<string, unknown> = {};
  const own = optionsFor(command);
  for (const [key, value] of Object.entries(json)) {
    if (key.startsWith('//')) continue;
    const option = own.find((candidate) => candidate.key === key);
    if (!option) {
      const elsewhere = OPTIONS.find((candidate) => candidate.key === key);
      if (elsewhere) throw new UsageError(`${where}: "${key}" is an option of btdht ${elsewhere.commands.join(' and btdht ')}, not of btdht ${command}`);
      const near = nearest(key, own.map((candidate) => candidate.key));
      throw new UsageError(`${where}: unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}; btdht ${command} --help lists the options, docs/OPERATIONS.md their keys`);
    }
    try {
      settings[key] = (option.kind.fromConfig as (value: unknown) => unknown)(value);
    } catch (error) {
      throw new UsageError(`${where}: "${key}": ${(error as Error).message}`);
    }
  }
  return settings as Settings;
}

/** The known key closest to a mistyped one (same letters ignoring case and dashes, or at most 2 edits away). */
function nearest(key: string, known: readonly string[]): string | undefined {
  const plain = (text: string): string => text.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((candidate) => plain(candidate) === plain(key));
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(plain(key), plain(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}
