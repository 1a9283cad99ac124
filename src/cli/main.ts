/**
 * The `btdht` command. One file per subcommand; this one only wires them.
 */
import { Command, InvalidArgumentError } from 'commander';
import { registerNode } from './node.ts';
import { registerGetPeers } from './get-peers.ts';
import { registerAnnounce } from './announce.ts';
import { registerPing } from './ping.ts';
import { registerDemo } from './demo.ts';
import { registerPut } from './put.ts';
import { registerGet } from './get.ts';
import { registerKeygen } from './keygen.ts';
import { registerScrape } from './scrape.ts';
import { registerCrawl } from './crawl.ts';
import { registerCrawlDemo } from './crawl-demo.ts';
import { registerServe } from './serve.ts';

export { InvalidArgumentError };

export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('btdht')
    .description('BitTorrent mainline DHT node (BEP 5), with a WebAssembly core')
    .showHelpAfterError('(btdht <command> --help shows the usage)')
    .exitOverride((error) => {
      // commander already printed the message; --help / --version exit 0.
      process.exit(error.exitCode);
    });
  registerNode(program);
  registerGetPeers(program);
  registerAnnounce(program);
  registerPing(program);
  registerDemo(program);
  registerPut(program);
  registerGet(program);
  registerKeygen(program);
  registerScrape(program);
  registerCrawl(program);
  registerCrawlDemo(program);
  registerServe(program);
  await program.parseAsync(argv);
}
