/** `btdht get-peers <infohash>`: look up peers, progress on stderr, peers on stdout. */
import type { Command } from 'commander';
import { DHT } from '../dht/dht.ts';
import { parseBootstrap, parseInfohash, parseSeconds } from './options.ts';

interface GetPeersFlags {
  bootstrap?: string[];
  json?: boolean;
  timeout: number;
  limit?: string;
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
      const dht = new DHT({ port: 0, ...(flags.bootstrap ? { bootstrap: flags.bootstrap } : {}) });
      const found: string[] = [];
      const signal = AbortSignal.timeout(flags.timeout * 1000);
      const progress = setInterval(() => {
        const stats = dht.stats();
        process.stderr.write(`\rnodes queried: ${stats.queriesOut.total}, peers found: ${found.length}   `);
      }, 250);
      try {
        await dht.start();
        for await (const peer of dht.peers(infohash, { signal })) {
          const address = peer.host.includes(':') ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`;
          if (found.includes(address)) continue;
          found.push(address);
          if (!flags.json) console.log(address);
        }
      } finally {
        clearInterval(progress);
        const stats = dht.stats();
        process.stderr.write(`\rnodes queried: ${stats.queriesOut.total}, peers found: ${found.length}   \n`);
        await dht.stop();
      }
      if (flags.json) console.log(JSON.stringify(found));
    });
}
