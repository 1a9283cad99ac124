/**
 * The `btdht` command. One file per subcommand; this one only wires them and
 * turns errors into exit codes (exit.ts): a usage error (bad flag, config
 * file, state file) exits 2, a CliError its own code, anything else 1.
 *
 * A subcommand's file (and what it imports: the node, the crawler, SQLite,
 * the web index) is loaded only when that subcommand runs: `btdht crawl`
 * does not compile the index server or the demo swarm. Help and unknown
 * commands load them all, so commander can list and suggest every one.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { CliError, EXIT } from './exit.ts';

export { InvalidArgumentError };

type Register = (program: Command) => void;

/** Every subcommand, in the order help lists them, with how to load its file. */
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Register>]> = [
  ['node', async () => (await import('./node.ts')).registerNode],
  ['get-peers', async () => (await import('./get-peers.ts')).registerGetPeers],
  ['announce', async () => (await import('./announce.ts')).registerAnnounce],
  ['ping', async () => (await import('./ping.ts')).registerPing],
  ['demo', async () => (await import('./demo.ts')).registerDemo],
  ['put', async () => (await import('./put.ts')).registerPut],
  ['get', async () => (await import('./get.ts')).registerGet],
  ['keygen', async () => (await import('./keygen.ts')).registerKeygen],
  ['scrape', async () => (await import('./scrape.ts')).registerScrape],
  ['crawl', async () => (await import('./crawl.ts')).registerCrawl],
  ['crawl-demo', async () => (await import('./crawl-demo.ts')).registerCrawlDemo],
  ['serve', async () => (await import('./serve.ts')).registerServe],
];

/** The subcommands to register for `argv`: the one it names, else all of them. */
async function registersFor(argv: string[]): Promise<Register[]> {
  const named = COMMANDS.find(([name]) => name === argv[2]);
  return Promise.all((named !== undefined ? [named] : COMMANDS).map(([, load]) => load()));
}

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
  for (const register of await registersFor(argv)) register(program);
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
