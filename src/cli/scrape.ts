/** `btdht scrape <infohash>`: estimate a swarm's seeds and peers from the DHT (BEP 33). */
import type { Command } from 'commander';
import type { DHTOptions } from '../dht/options.ts';
import type { ScrapeResult } from '../dht/scrape/lookup.ts';
import { parseBootstrap, parseInfohash, parseSeconds } from './options.ts';
import type { Output, SessionFlags } from './session.ts';
import { consoleOutput, withNode } from './session.ts';

export interface ScrapeFlags extends SessionFlags {
  json?: boolean;
}

/** Prints `seeds N peers M` (or JSON with --json); rejects (exit 3 or 4) when no node knew of a seed or peer. */
export async function scrapeAction(infohash: string, flags: ScrapeFlags, io: Output = consoleOutput, options: DHTOptions = {}): Promise<ScrapeResult> {
  const result = await withNode(flags, (dht, signal) => dht.scrape(infohash, { signal }), options, {
    found: (r) => r.seeds + r.peers > 0,
    nothing: (r) => `scrape: no seed or peer known (${r.withFilters} nodes gave filters, ${r.legacy} only peers, ${r.refused} refused)`,
  });
  if (flags.json) io.out(JSON.stringify({ seeds: result.seeds, peers: result.peers, nodes: result.withFilters }));
  else io.out(`seeds ${result.seeds} peers ${result.peers}`);
  io.err(`${result.withFilters} nodes gave filters, ${result.legacy} only peers, ${result.refused} refused`);
  return result;
}

export function registerScrape(program: Command): void {
  program
    .command('scrape')
    .description("estimate an infohash's seeds and peers (BEP 33)")
    .argument('<infohash>', 'the infohash, 40 hex characters', parseInfohash)
    .option('--json', 'print {"seeds","peers","nodes"}')
    .option('--bootstrap <list>', 'routers as host:port,...', parseBootstrap)
    .option('--timeout <seconds>', 'give up after this long', parseSeconds, 30)
    .action(async (infohash: string, flags: ScrapeFlags) => {
      await scrapeAction(infohash, flags);
    });
}
