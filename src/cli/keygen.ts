/** `btdht keygen [--out FILE]`: a new ed25519 keypair for mutable items (BEP 44). */
import type { Command } from 'commander';
import { formatKeyFile, generateKeypair } from '../dht/items/keys.ts';
import { saveKeypair } from '../dht/items/key-file.ts';
import { toHex } from '../util/hex.ts';
import type { Output } from './session.ts';
import { consoleOutput } from './session.ts';

export interface KeygenFlags {
  out?: string;
}

/** With --out, write the key file (never over an existing one) and print the public key; else print the key file. */
export async function keygenAction(flags: KeygenFlags, io: Output = consoleOutput): Promise<void> {
  const keypair = generateKeypair();
  if (!flags.out) {
    io.out(formatKeyFile(keypair).trimEnd());
    return;
  }
  await saveKeypair(flags.out, keypair);
  io.out(toHex(keypair.publicKey));
  io.err(`keypair written to ${flags.out}`);
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('make an ed25519 keypair for mutable items (BEP 44)')
    .option('--out <file>', 'write the key file here (owner-only; never overwrites) and print the public key')
    .action((flags: KeygenFlags) => keygenAction(flags));
}
