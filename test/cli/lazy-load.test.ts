/**
 * The CLI loads only the subcommand it runs: `btdht crawl` must not compile
 * the search index, the metrics server, the PostgreSQL store or the demo swarm
 * (their import was a quarter of a crawl's start-up CPU), while `btdht --help`
 * still lists every subcommand.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from './fixtures/run-node.ts';

const CLI = fileURLToPath(new URL('./fixtures/run-cli.ts', import.meta.url));
const LOG_LOADS = fileURLToPath(new URL('./fixtures/log-loads.mjs', import.meta.url));
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

async function run(args: string[]): Promise<{ code: number | null; stdout: string; loaded: string[] }> {
  const { code, stdout, stderr } = await runNode(['--import', 'tsx', '--import', LOG_LOADS, CLI, ...args]);
  const loaded = stderr
    .split('\n')
    .filter((line) => line.startsWith('LOAD file://'))
    .map((line) => fileURLToPath(line.slice(5)))
    .filter((path) => path.startsWith(SRC))
    .map((path) => path.slice(SRC.length));
  return { code, stdout, loaded };
}

describe('CLI module loading', () => {
  it('`btdht crawl` loads the crawl and not the index, metrics server, PostgreSQL store or other subcommands', async () => {
    const { code, stdout, loaded } = await run(['crawl', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--db');
    expect(loaded).toContain('cli/crawl.ts');
    expect(loaded).toContain('crawl/crawler.ts');
    expect(loaded).toContain('crawl/store/sqlite.ts');
    for (const unused of ['cli/serve-index.ts', 'web/index/server.ts', 'web/metrics-server.ts', 'crawl/store/postgres.ts', 'crawl/demo/swarm.ts', 'cli/node.ts', 'cli/serve.ts', 'cli/crawl-demo.ts']) {
      expect(loaded, unused).not.toContain(unused);
    }
  }, 90_000);

  it('`btdht --help` still lists every subcommand', async () => {
    const { code, stdout, loaded } = await run(['--help']);
    expect(code).toBe(0);
    for (const name of ['node', 'get-peers', 'announce', 'ping', 'demo', 'put', 'get', 'keygen', 'scrape', 'crawl', 'crawl-demo', 'serve']) {
      expect(stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(loaded).toContain('cli/serve.ts');
  }, 90_000);
});
