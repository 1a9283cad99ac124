/** Key files on disk (node:fs/promises, which Node and Deno both have). */
import type { Keypair } from './keys.ts';
import { formatKeyFile, parseKeyFile } from './keys.ts';

/**
 * Read the keypair in `path`.
 * @example
 * import { DHT, loadKeypair } from 'btdht';
 * const keypair = await loadKeypair('./me.key');
 * const dht = new DHT();
 * await dht.start();
 * await dht.putMutable({ keypair, value: 'hello' });
 */
export async function loadKeypair(path: string): Promise<Keypair> {
  const { readFile } = await import('node:fs/promises');
  return parseKeyFile(await readFile(path, 'utf8'));
}

/**
 * Write `keypair` to `path`, readable by its owner only; refuses to overwrite unless `overwrite`.
 * @example
 * import { generateKeypair, saveKeypair } from 'btdht';
 * await saveKeypair('./me.key', generateKeypair()); // mode 0600; rejects if ./me.key exists
 */
export async function saveKeypair(path: string, keypair: Keypair, options: { overwrite?: boolean } = {}): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, formatKeyFile(keypair), { mode: 0o600, flag: options.overwrite ? 'w' : 'wx' });
}
