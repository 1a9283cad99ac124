/**
 * The `btdht` command. One file per subcommand; this one only wires them and
 * turns errors into exit codes (exit.ts): a usage error (bad flag, config
 * file, state file) exits 2, a CliError its own code, anything else 1.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
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
import { CliError, EXIT } from './exit.ts';

export { InvalidArgumentError };

/** The package's version (package.json sits two folders up from src/cli and dist/cli alike). */
export function packageVersion(): string {
  const json = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof json.version === 'string' ? json.version : 'unknown';
}

/** Run the command line; sets process.exitCode (and prints the error) rather than throwing. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('btdht')
    .description('BitTorrent mainline DHT node (BEP 5), with a WebAssembly core')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(btdht <command> --help shows the usage)')
    // Throw instead of exiting, so the exit code is decided below (commander's own is 1 for usage errors).
    .exitOverride();
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
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeOf(error);
  }
}

/** Print what went wrong (unless commander did) and pick the exit code. */
function exitCodeOf(error: unknown): number {
  // An InvalidArgumentError thrown by an action is ours to print; any other
  // CommanderError comes from parsing, already printed (--help and --version end with 0).
  if (error instanceof CommanderError && !(error instanceof InvalidArgumentError)) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  console.error(`btdht: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof InvalidArgumentError) return EXIT.usage;
  return EXIT.failure;
}
