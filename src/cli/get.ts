/** `btdht get <target | --pubkey HEX --salt S>`: fetch a BEP 44 item and print its value. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { FoundItem } from '../dht/items/install.ts';
import type { DHTOptions } from '../dht/options.ts';
import { parseBootstrap, parseInfohash, parseSeconds } from './options.ts';
import type { Output, SessionFlags } from './session.ts';
import { consoleOutput, formatValue, withNode } from './session.ts';

export interface GetFlags extends SessionFlags {
  pubkey?: string;
  salt?: string;
}

/** Look the item up and print its value; rejects (exit 3 or 4) when no node holds it. */
export async function getAction(target: string | undefined, flags: GetFlags, io: Output = consoleOutput, options: DHTOptions = {}): Promise<FoundItem> {
  if ((target === undefined) === (flags.pubkey === undefined)) throw new InvalidArgumentError('get: give a target or --pubkey, not both');
  if (flags.salt !== undefined && flags.pubkey === undefined) throw new InvalidArgumentError('get: --salt goes with --pubkey');
  if (flags.pubkey !== undefined && !/^[0-9a-fA-F]{64}$/.test(flags.pubkey)) throw new InvalidArgumentError('get: --pubkey must be 64 hex characters');
  const what = flags.pubkey !== undefined ? { publicKey: flags.pubkey, ...(flags.salt !== undefined ? { salt: flags.salt } : {}) } : target!;
  const found = await withNode(flags, (dht, signal) => dht.get(what, { signal }), options, { found: (found) => found !== undefined, nothing: () => 'get: no node holds that item' });
  const item = found!; // withNode resolves only with an item found
  io.out(formatValue(item.value));
  if (item.seq !== undefined) io.err(`seq ${item.seq}`);
  return item;
}

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('fetch a value from the DHT (BEP 44) and print it')
    .argument('[target]', 'the item target, 40 hex characters', (value: string) => parseInfohash(value))
    .option('--pubkey <hex>', "a mutable item's public key (64 hex characters)")
    .option('--salt <salt>', "the mutable item's salt (UTF-8)")
    .option('--bootstrap <list>', 'routers as host:port,...', parseBootstrap)
    .option('--timeout <seconds>', 'give up after this long', parseSeconds, 30)
    .action(async (target: string | undefined, flags: GetFlags) => {
      await getAction(target, flags);
    });
}
