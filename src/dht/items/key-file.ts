/** Key files on disk (node:fs/promises, which Node and Deno both have). */
import type { Keypair } from './keys.ts';
import { formatKeyFile, parseKeyFile } from './keys.ts';

/** Read the keypair in `path`. */
export async function loadKeypair(path: string): Promise<Keypair> {
  const { readFile } = await import('node:fs/promises');
  return parseKeyFile(await readFile(path, 'utf8'));
}

/** Write `keypair` to `path`, readable by its owner only; refuses to overwrite unless `overwrite`. */
export async function saveKeypair(path: string, keypair: Keypair, options: { overwrite?: boolean } = {}): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, formatKeyFile(keypair), { mode: 0o600, flag: options.overwrite ? 'w' : 'wx' });
}
