/** `btdht get-peers <infohash>`: look up peers, progress on stderr, peers on stdout. */
import type { Command } from 'commander';
import type { DHTOptions } from '../dht/options.ts';
import { formatHostPort } from '../util/endpoint.ts';
import { parseBootstrap, parseInfohash, parseSeconds } from './options.ts';
import type { Output, SessionFlags } from './session.ts';
import { consoleOutput, withNode } from './session.ts';

export interface GetPeersFlags extends SessionFlags {
  json?: boolean;
}

/** Find the infohash's peers ("host:port", each once); rejects (exit 3 or 4) when none was found. */
export async function getPeersAction(infohash: string, flags: GetPeersFlags, io: Output = consoleOutput, options: DHTOptions = {}, progress?: (line: string) => void): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  let queried = 0;
  const ticker = progress ? setInterval(() => progress(`nodes queried: ${queried}, peers found: ${found.length}`), 250) : undefined;
  try {
    await withNode(
      flags,
      async (dht, signal) => {
        const count = setInterval(() => (queried = dht.stats().queriesOut.total), 100);
        try {
          for await (const peer of dht.peers(infohash, { signal })) {
            const address = formatHostPort(peer);
            if (seen.has(address)) continue;
            seen.add(address);
            found.push(address);
            if (!flags.json) io.out(address);
          }
        } finally {
          clearInterval(count);
          queried = dht.stats().queriesOut.total;
        }
        return found;
      },
      options,
      { found: (peers) => peers.length > 0, nothing: () => `get-peers: no peer found for ${infohash.toLowerCase()} (${queried} queries sent)` },
    );
  } finally {
    if (ticker) clearInterval(ticker);
    progress?.(`nodes queried: ${queried}, peers found: ${found.length}`);
  }
  if (flags.json) io.out(JSON.stringify(found));
  return found;
}

export function registerGetPeers(program: Command): void {
  program
    .command('get-peers')
    .description('find peers for an infohash (40 hex chars)')
    .argument('<infohash>', 'the infohash, 40 hex characters', parseInfohash)
    .option('--bootstrap <list>', 'routers as host:port,...', parseBootstrap)
    .option('--json', 'print a JSON array of "host:port"')
    .option('--timeout <seconds>', 'give up after this long', parseSeconds, 30)
    .action(async (infohash: string, flags: GetPeersFlags) => {
      // The progress line is rewritten in place on a terminal; elsewhere only the last one is printed.
      const tty = process.stderr.isTTY === true;
      let last = '';
      try {
        await getPeersAction(infohash, flags, consoleOutput, {}, (line) => {
          last = line;
          if (tty) process.stderr.write(`\r${line}   `);
        });
      } finally {
        process.stderr.write(tty ? '\n' : `${last}\n`);
      }
    });
}
