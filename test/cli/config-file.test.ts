/**
 * The option table behind `btdht node` / `btdht crawl` flags and `--config`:
 * a config file is checked as strictly as the flags (unknown key with a
 * suggestion, a key of the other command, wrong type, out of range: each
 * message names the key, the value and what is allowed); every whole-number
 * DHTOptions key is in the table with the library's range; flags override
 * the file, the file overrides the defaults.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/cli/config-file.ts';
import { UsageError } from '../../src/cli/exit.ts';
import { OPTIONS, flagOf, optionsFor } from '../../src/cli/option-table.ts';
import { addTableOptions, dhtOptionsOf } from '../../src/cli/settings.ts';
import { crawlFlagsOf } from '../../src/cli/crawl.ts';
import { CRAWLER_DEFAULTS, resolveCrawlerOptions } from '../../src/crawl/crawler-options.ts';
import { INTEGER_OPTIONS, resolveOptions } from '../../src/dht/options.ts';

const refused = (json: unknown, command: 'node' | 'crawl' = 'node'): string => {
  try {
    checkConfig(json, command, 'config file c.json');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(json)}`);
};

describe('config file checks', () => {
  it('names the key, the value and what is allowed', () => {
    expect(refused({ alhpa: 3 })).toBe('config file c.json: unknown key "alhpa" (did you mean "alpha"?); btdht node --help lists the options, docs/OPERATIONS.md their keys');
    expect(refused({ 'max-peers': 10 })).toMatch(/unknown key "max-peers" \(did you mean "maxPeers"\?\)/);
    expect(refused({ k: '8' })).toBe('config file c.json: "k": expected a whole number from 1 to 64, got "8"');
    expect(refused({ k: 8.5 })).toMatch(/"k": expected a whole number from 1 to 64, got 8\.5/);
    expect(refused({ maxPeers: 0 })).toMatch(/"maxPeers": expected a whole number from 1 to 100000000, got 0/);
    expect(refused({ port: 70_000 })).toMatch(/"port": expected a whole number from 0 to 65535 \(0 = any\), got 70000/);
    expect(refused({ bep42: 'always' })).toMatch(/"bep42": expected one of off, prefer, enforce, got "always"/);
    expect(refused({ readOnly: 'yes' })).toMatch(/"readOnly": expected true or false, got "yes"/);
    expect(refused({ bootstrap: '127.0.0.1:1' })).toMatch(/"bootstrap": expected an array of "host:port" strings/);
    expect(refused({ bootstrap: ['127.0.0.1:0'] })).toMatch(/"bootstrap": entry "127.0.0.1:0": expected "host:port"/);
    expect(refused({ host: 'example.org' })).toMatch(/"host": expected an IP address/);
    expect(refused({ ids: [] })).toMatch(/"ids": expected a count from 1 to 65536, or 1 to 65536 hex prefixes/);
    expect(refused({ logLevel: 'verbose' })).toMatch(/"logLevel": expected one of error, warn, info, debug, got "verbose"/);
    expect(refused({ db: 'x.sqlite' })).toBe('config file c.json: "db" is an option of btdht crawl, not of btdht node');
    expect(refused({ statusIntervalMs: 1000 }, 'crawl')).toMatch(/"statusIntervalMs" is an option of btdht node, not of btdht crawl/);
    expect(refused({ db: 'mysql://h/db' }, 'crawl')).toMatch(/"db": expected a SQLite file or a postgres:\/\/ URL, got "mysql:\/\/h\/db"/);
    expect(refused([1])).toMatch(/expected a JSON object of options .*got an array/);
    expect(refused(null)).toMatch(/expected a JSON object of options .*got null/);
  });

  it('takes good values, and "//" keys as comments', () => {
    expect(checkConfig({ '// why': 'a comment', k: 20, bootstrap: ['127.0.0.1:6881', '[::1]:6881'], ids: ['3f', 'A0'], readOnly: true }, 'node', 'c')).toEqual({
      k: 20,
      bootstrap: ['127.0.0.1:6881', '[::1]:6881'],
      ids: ['3f', 'a0'],
      readOnly: true,
    });
  });
});

describe('the option table', () => {
  it('has every whole-number DHTOptions key, with the range resolveOptions enforces', () => {
    for (const [key, range] of Object.entries(INTEGER_OPTIONS)) {
      const option = OPTIONS.find((candidate) => candidate.key === key);
      expect(option, key).toBeDefined();
      expect(option!.commands).toEqual(['node', 'crawl']);
      expect(option!.kind.allowed).toContain(`from ${range.min} to ${range.max}`);
      // The edges pass both checks; one past them fails both.
      for (const value of [range.min, range.max]) {
        expect(() => option!.kind.fromConfig(value)).not.toThrow();
        expect(() => resolveOptions({ [key]: value })).not.toThrow();
      }
      for (const value of [range.min - 1, range.max + 1]) {
        expect(() => option!.kind.fromConfig(value)).toThrow();
        expect(() => resolveOptions({ [key]: value })).toThrow(RangeError);
      }
    }
  });

  it('has one flag per option, no two alike', () => {
    for (const command of ['node', 'crawl'] as const) {
      const flags = optionsFor(command).map(flagOf);
      expect(new Set(flags).size).toBe(flags.length);
    }
  });

  it('flags override the config file, which overrides the defaults', async () => {
    const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'btdht-config-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ k: 20, alpha: 5, readOnly: true, bootstrap: ['127.0.0.1:1'] }));
      const program = new Command().exitOverride();
      const node = program.command('node');
      const read = addTableOptions(node, 'node');
      let settings: Awaited<ReturnType<typeof read>> | undefined;
      node.action(async (flags: Record<string, unknown>) => {
        settings = await read(flags);
      });
      await program.parseAsync(['node', '--config', file, '--k', '12', '--no-read-only', '--bootstrap', '', '--max-peers', '500'], { from: 'user' });
      expect(settings).toMatchObject({ k: 12, alpha: 5, readOnly: false, bootstrap: [], maxPeers: 500, port: 6881, logLevel: 'info' });
      // btdht node keeps the node defaults of the caps btdht crawl raises (src/cli/crawl-caps.ts).
      expect(settings).toMatchObject({ maxOutstanding: 4_096, maxQueriesOutPerSecond: 500, maxQueuedQueries: 1_024, rateLimitTrackedIps: 10_000 });
      const dht = dhtOptionsOf(settings!, 'node');
      expect(dht).toMatchObject({ k: 12, alpha: 5, readOnly: false, bootstrap: [], maxPeers: 500, port: 6881 });
      expect(dht).not.toHaveProperty('logLevel');
      expect(() => resolveOptions(dht)).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("btdht crawl's help shows the caps it raises beside a node's default", () => {
    const help = (command: 'node' | 'crawl'): string => {
      const program = new Command().command(command);
      addTableOptions(program, command);
      return program.helpInformation().replace(/\s+/g, ' ');
    };
    expect(help('crawl')).toContain('(default 16384, raised from a node\'s 4096)');
    expect(help('crawl')).toContain('(default 100000, raised from a node\'s 10000)');
    expect(help('node')).toMatch(/--max-outstanding <n> .*? \(default 4096\)/);
    expect(help('node')).not.toContain('raised from');
  });

  it('btdht crawl takes the swarm-health options (BEP 33 scrapes) from flags and the file, with their ranges', async () => {
    expect(refused({ swarmCheckIntervalMs: -1 }, 'crawl')).toBe('config file c.json: "swarmCheckIntervalMs": expected a whole number from 0 to 31536000000 (0 = never), got -1');
    expect(refused({ swarmConcurrency: 0 }, 'crawl')).toMatch(/"swarmConcurrency": expected a whole number from 1 to 1000, got 0/);
    expect(refused({ swarmTracked: '10' }, 'crawl')).toMatch(/"swarmTracked": expected a whole number from 1 to 10000000, got "10"/);
    expect(refused({ swarmTracked: 10 }, 'node')).toMatch(/"swarmTracked" is an option of btdht crawl, not of btdht node/);
    const read = async (args: string[], config?: object): Promise<ReturnType<typeof crawlFlagsOf>> => {
      const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(join(tmpdir(), 'btdht-config-'));
      try {
        const file = join(dir, 'c.json');
        if (config) writeFileSync(file, JSON.stringify(config));
        const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
        const crawl = program.command('crawl').configureOutput({ writeErr: () => undefined });
        const settingsOf = addTableOptions(crawl, 'crawl');
        let flags: ReturnType<typeof crawlFlagsOf> | undefined;
        crawl.action(async (raw: Record<string, unknown>) => {
          flags = crawlFlagsOf(await settingsOf(raw));
        });
        await program.parseAsync(['crawl', ...(config ? ['--config', file] : []), ...args], { from: 'user' });
        return flags!;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(await read([])).toMatchObject({ swarmCheckIntervalMs: CRAWLER_DEFAULTS.swarmCheckIntervalMs, swarmConcurrency: CRAWLER_DEFAULTS.swarmConcurrency, swarmTracked: CRAWLER_DEFAULTS.swarmTracked });
    const flags = await read(['--swarm-concurrency', '5', '--swarm-check-interval-ms', '0'], { swarmCheckIntervalMs: 60_000, swarmTracked: 500, swarmConcurrency: 3 });
    expect(flags).toMatchObject({ swarmCheckIntervalMs: 0, swarmTracked: 500, swarmConcurrency: 5 });
    // What the crawler accepts: the table's ranges are within resolveCrawlerOptions'.
    const store = { write: () => undefined, isFetched: () => false } as never;
    expect(resolveCrawlerOptions({ store, swarmCheckIntervalMs: 0, swarmConcurrency: 1, swarmTracked: 1 })).toMatchObject({ swarmCheckIntervalMs: 0, swarmConcurrency: 1, swarmTracked: 1 });
    await expect(read(['--swarm-tracked', '0'])).rejects.toThrow(/--swarm-tracked: .*expected a whole number from 1 to 10000000, got "0"/);
  });
});
