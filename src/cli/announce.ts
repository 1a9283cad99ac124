/** `btdht announce <infohash> --port N`: announce a peer for the infohash, from a read-only node. */
import type { Command } from 'commander';
import type { DHTOptions } from '../dht/options.ts';
import { parseBootstrap, parseInfohash, parsePeerPort, parseSeconds } from './options.ts';
import type { Output, SessionFlags } from './session.ts';
import { consoleOutput, withNode } from './session.ts';

export interface AnnounceFlags extends SessionFlags {
  /** The TCP/uTP port of the peer announced. */
  port: number;
}

/** Announce; prints how many nodes stored it and resolves with that count, rejects (exit 3 or 4) when none did. */
export async function announceAction(infohash: string, flags: AnnounceFlags, io: Output = consoleOutput, options: DHTOptions = {}): Promise<number> {
  // BEP 43: the announcing node is read-only, so the peer announced is the one at --port, not this short-lived node.
  const accepted = await withNode(flags, (dht) => dht.announcePeer(infohash, { port: flags.port, impliedPort: false }), options, {
    found: (count) => count > 0,
    nothing: () => `announce: no node stored the announce for ${infohash.toLowerCase()}`,
  });
  io.out(`announced to ${accepted} nodes`);
  return accepted;
}

export function registerAnnounce(program: Command): void {
  program
    .command('announce')
    .description('announce that a peer for the infohash listens on --port')
    .argument('<infohash>', 'the infohash, 40 hex characters', parseInfohash)
    .requiredOption('--port <port>', 'the TCP/uTP port of the peer being announced', parsePeerPort)
    .option('--bootstrap <list>', 'routers as host:port,...', parseBootstrap)
    .option('--timeout <seconds>', 'give up waiting for bootstrap after this long', parseSeconds, 30)
    .action(async (infohash: string, flags: AnnounceFlags) => {
      await announceAction(infohash, flags);
    });
}
