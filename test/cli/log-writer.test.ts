/**
 * Logs: one line per event, text or JSON; levels below the chosen one are
 * absent (free: their arguments are never built); hostile values from the
 * network cannot break a line or forge another. A node's lookup writes its
 * start, every query and its end under one lookup id; with debug off the
 * lookup runs unwrapped.
 */
import { describe, expect, it } from 'vitest';
import { createLogWriter } from '../../src/cli/log-writer.ts';
import { statusFields } from '../../src/cli/status-line.ts';
import type { DHT } from '../../src/dht/dht.ts';
import { LookupLog } from '../../src/dht/lookup-log.ts';
import type { TraversalOptions } from '../../src/dht/traversal.ts';
import { startReady, startSwarm } from './fixtures/swarm.ts';

const at = (): Date => new Date('2026-12-07T12:00:00.000Z');

describe('log writer', () => {
  it('writes the levels up to the chosen one, one line each, in text or JSON', () => {
    const lines: string[] = [];
    const text = createLogWriter({ level: 'info', format: 'text', write: (line) => lines.push(line), now: at });
    expect(text.debug).toBeUndefined();
    text.info?.('state.saved', { file: '/var/lib/btdht/state.json', nodes: 120, ms: 4, absent: undefined });
    text.error?.('state.save-failed', { file: '/x', message: 'ENOSPC: no space left on device' });
    expect(lines).toEqual([
      '2026-12-07T12:00:00.000Z info  state.saved file=/var/lib/btdht/state.json nodes=120 ms=4\n',
      '2026-12-07T12:00:00.000Z error state.save-failed file=/x message="ENOSPC: no space left on device"\n',
    ]);
    const json: string[] = [];
    const writer = createLogWriter({ level: 'error', format: 'json', write: (line) => json.push(line), now: at });
    expect(writer.warn).toBeUndefined();
    expect(writer.info).toBeUndefined();
    writer.error?.('x', { level: 'forged', n: 1 });
    expect(json).toEqual(['{"time":"2026-12-07T12:00:00.000Z","level":"error","event":"x","n":1}\n']);
  });

  it('escapes what could break a line or forge another (newlines, controls, bidi)', () => {
    const lines: string[] = [];
    const hostile = 'name\n2026-12-07T12:00:00.000Z error forged\u202e\u0000';
    for (const format of ['text', 'json'] as const) {
      const log = createLogWriter({ level: 'debug', format, write: (line) => lines.push(line), now: at });
      log.warn?.('warning', { message: hostile, [`key\nx`]: 1 });
    }
    for (const line of lines) {
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    }
    expect(JSON.parse(lines[1]!)).toMatchObject({ message: hostile });
  });

  it('the status line reads rates from two stats() readings', () => {
    const stats = (queriesIn: number, queriesOut: number, drops: number): ReturnType<DHT['stats']> =>
      ({
        families: [
          { family: 4, nodes: 150 },
          { family: 6, nodes: 40 },
        ],
        queriesIn: { total: queriesIn },
        queriesOut: { total: queriesOut },
        drops: { total: drops },
        timeouts: { total: 0 },
        peersStored: 7,
        infohashesStored: 3,
        outstanding: 2,
        blockedIps: 1,
      }) as unknown as ReturnType<DHT['stats']>;
    expect(statusFields(stats(1_000, 600, 30), stats(400, 0, 0), 60)).toEqual({
      nodes4: 150,
      nodes6: 40,
      queriesInPerSec: 10,
      queriesOutPerSec: 10,
      dropsPerSec: 0.5,
      timeoutsPerSec: 0,
      peers: 7,
      infohashes: 3,
      outstanding: 2,
      blockedIps: 1,
    });
  });
});

describe('lookup ids', () => {
  it('with debug off a lookup is not wrapped at all', () => {
    const options = { target: new Uint8Array(20), query: () => Promise.resolve({ kind: 'timeout' as const }) } as unknown as TraversalOptions;
    const wrapped = new LookupLog(createLogWriter({ level: 'info', format: 'text', write: () => undefined })).wrap(options, { method: 'get_peers', args: {} });
    expect(wrapped.options).toBe(options);
    expect(wrapped.end).toBeUndefined();
  });

  it("every line of one lookup carries its id: start, each query's outcome, end", { timeout: 30_000 }, async () => {
    const nodes: DHT[] = [];
    const events: { event: string; lookup?: string; to?: string; method?: string; queried?: number }[] = [];
    try {
      await startSwarm(6, nodes);
      const logger = createLogWriter({ level: 'debug', format: 'json', write: (line) => events.push(JSON.parse(line) as (typeof events)[number]) });
      const client = await startReady({ host: '127.0.0.1', port: 0, bootstrap: [`127.0.0.1:${nodes[0]!.address().port}`], maintenance: false, logger });
      nodes.push(client);
      await Promise.all([client.getPeers('ab'.repeat(20)), client.getPeers('cd'.repeat(20))]);
      const lookups = events.filter((event) => event.event.startsWith('lookup.'));
      // Other lookups (our own id after bootstrap) may run too: take the two get_peers ones.
      const ids = lookups.filter((event) => event.event === 'lookup.start' && event.method === 'get_peers').map((event) => event.lookup);
      expect(new Set(ids).size).toBe(2);
      for (const id of ids) {
        const own = lookups.filter((event) => event.lookup === id);
        expect(own[0]!.event).toBe('lookup.start');
        expect(own.at(-1)!.event).toBe('lookup.end');
        const queries = own.filter((event) => event.to !== undefined);
        expect(queries.length).toBeGreaterThan(0);
        expect(queries.every((event) => event.method === 'get_peers')).toBe(true);
        expect(own.at(-1)!.queried).toBe(queries.length);
      }
    } finally {
      await Promise.all(nodes.map((dht) => dht.stop()));
    }
  });
});
