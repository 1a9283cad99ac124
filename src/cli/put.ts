/** `btdht put <value | --file F> [--mutable --key KEYFILE --salt S]`: store a BEP 44 item, print its target. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadKeypair } from '../dht/items/key-file.ts';
import type { DHTOptions } from '../dht/options.ts';
import type { PutSummary } from '../dht/items/install.ts';
import { toHex } from '../util/hex.ts';
import { parseBootstrap, parseSeconds } from './options.ts';
import type { Output, SessionFlags } from './session.ts';
import { consoleOutput, withNode } from './session.ts';

export interface PutFlags extends SessionFlags {
  file?: string;
  mutable?: boolean;
  key?: string;
  salt?: string;
  seq?: number;
}

/** Store the value (a UTF-8 byte string, or the file's bytes); prints the target in hex. Rejects (exit 3 or 4) when no node stored it. */
export async function putAction(value: string | undefined, flags: PutFlags, io: Output = consoleOutput, options: DHTOptions = {}): Promise<PutSummary> {
  if ((value === undefined) === (flags.file === undefined)) throw new InvalidArgumentError('put: give a value or --file, not both');
  if (flags.mutable && !flags.key) throw new InvalidArgumentError('put: --mutable needs --key KEYFILE (see btdht keygen)');
  if (!flags.mutable && (flags.key || flags.salt !== undefined || flags.seq !== undefined)) throw new InvalidArgumentError('put: --key, --salt and --seq go with --mutable');
  const bytes = flags.file ? new Uint8Array(await (await import('node:fs/promises')).readFile(flags.file)) : new TextEncoder().encode(value);
  const keypair = flags.mutable ? await loadKeypair(flags.key!) : undefined;
  const summary = await withNode(
    flags,
    (dht, signal) =>
      keypair
        ? dht.putMutable({ keypair, value: bytes, signal, ...(flags.salt !== undefined ? { salt: flags.salt } : {}), ...(flags.seq !== undefined ? { seq: flags.seq } : {}) })
        : dht.putImmutable(bytes, { signal }),
    options,
    { found: (s) => s.accepted > 0, nothing: (s) => `put: no node stored the item (${s.asked} asked)` },
  );
  io.out(toHex(summary.target));
  io.err(`stored on ${summary.accepted} of ${summary.asked} nodes${summary.seq !== undefined ? `, seq ${summary.seq}` : ''}`);
  return summary;
}

function parseSeq(value: string): number {
  const seq = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seq)) throw new InvalidArgumentError(`--seq: expected a non-negative integer, got ${JSON.stringify(value)}`);
  return seq;
}

export function registerPut(program: Command): void {
  program
    .command('put')
    .description('store a value in the DHT (BEP 44) and print its target')
    .argument('[value]', 'the value, stored as a UTF-8 byte string')
    .option('--file <file>', "store this file's bytes instead (at most 1000 bytes bencoded)")
    .option('--mutable', 'a mutable item signed with --key (its target is SHA-1 of key + salt)')
    .option('--key <file>', 'key file from btdht keygen')
    .option('--salt <salt>', 'salt for a mutable item (UTF-8, up to 64 bytes)')
    .option('--seq <n>', 'sequence number (default: one more than the highest found)', parseSeq)
    .option('--bootstrap <list>', 'routers as host:port,...', parseBootstrap)
    .option('--timeout <seconds>', 'give up after this long', parseSeconds, 30)
    .action(async (value: string | undefined, flags: PutFlags) => {
      await putAction(value, flags);
    });
}
