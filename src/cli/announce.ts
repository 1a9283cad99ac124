/** `btdht announce <infohash> --port N`: announce ourselves as a peer. */
import type { Command } from 'commander';
import { DHT } from '../dht/dht.ts';
import { parseBootstrap, parseInfohash, parsePort } from './options.ts';

interface AnnounceFlags {
  port?: number;
  bootstrap?: string[];
}

export function registerAnnounce(program: Command): void {
  program
    .command('announce')
    .description('announce that a peer for the infohash listens on --port')
    .argument('<infohash>', 'the infohash, 40 hex characters', parseInfohash)
    .requiredOption('--port <port>', 'the TCP/uTP port of the peer being announced', parsePort)
    .option('--bootstrap <list>', 'routers as host:port,...', parseBootstrap)
    .action(async (infohash: string, flags: AnnounceFlags) => {
      const dht = new DHT({ port: 0, ...(flags.bootstrap ? { bootstrap: flags.bootstrap } : {}) });
      try {
        await dht.start();
        const accepted = await dht.announcePeer(infohash, flags.port);
        console.log(`announced to ${accepted} nodes`);
      } finally {
        await dht.stop();
      }
    });
}
