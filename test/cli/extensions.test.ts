/**
 * The BEP 44 / 33 subcommands against a small loopback swarm started in
 * process: keygen writes a key file, put prints a target that get turns back
 * into the value (immutable, and mutable by key and salt), scrape estimates
 * the peers that announced. Each command runs its own short-lived node
 * bootstrapped with `--bootstrap 127.0.0.1:port`, as on the command line.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import type { Backend } from '../../src/core/types.ts';
import { DHT } from '../../src/dht/dht.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { parseKeyFile } from '../../src/dht/items/keys.ts';
import { toHex } from '../../src/util/hex.ts';
import { keygenAction } from '../../src/cli/keygen.ts';
import { putAction } from '../../src/cli/put.ts';
import { getAction } from '../../src/cli/get.ts';
import { scrapeAction } from '../../src/cli/scrape.ts';
import { NothingFoundError, type Output } from '../../src/cli/session.ts';

const SWARM = 6;
const ANNOUNCERS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

describe.each(backends)('btdht put / get / keygen / scrape on a loopback swarm (%s core)', (backend) => {
  const nodes: DHT[] = [];
  let dir: string;
  let flags: { bootstrap: string[]; timeout: number };
  const cliNode = (): DHTOptions => ({ host: '127.0.0.1', backend: backend as Backend, maintenance: false });

  const startNode = async (host: string, bootstrap: string[]): Promise<DHT> => {
    const dht = new DHT({ host, port: 0, bootstrap, backend: backend as Backend, maintenance: false });
    nodes.push(dht);
    const ready = new Promise<void>((resolve) => dht.once('ready', () => resolve()));
    await dht.start();
    await ready;
    return dht;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btdht-cli-'));
    const first = await startNode('127.0.0.1', []);
    const entry = `127.0.0.1:${first.address().port}`;
    for (let i = 1; i < SWARM; i++) await startNode('127.0.0.1', [entry]);
    flags = { bootstrap: [entry], timeout: 10 };
  }, 30_000);

  afterAll(async () => {
    await Promise.all(nodes.map((dht) => dht.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('put prints the target that get turns back into the value', { timeout: 30_000 }, async () => {
    const put = capture();
    const summary = await putAction('hello from the cli', { ...flags }, put, cliNode());
    expect(put.lines).toEqual([toHex(summary.target)]);
    expect(summary.accepted).toBeGreaterThan(0);

    const get = capture();
    const item = await getAction(put.lines[0], { ...flags }, get, cliNode());
    expect(item?.kind).toBe('immutable');
    expect(get.lines).toEqual(['hello from the cli']);

    const missing = capture();
    await expect(getAction('00'.repeat(20), { ...flags }, missing, cliNode())).rejects.toThrow(NothingFoundError);
    expect(missing.lines).toEqual([]);
  });

  it('keygen writes a key file; a mutable put is found by public key and salt', { timeout: 30_000 }, async () => {
    const keyFile = join(dir, `key-${backend}.txt`);
    const keygen = capture();
    await keygenAction({ out: keyFile }, keygen);
    const keypair = parseKeyFile(await readFile(keyFile, 'utf8'));
    expect(keygen.lines).toEqual([toHex(keypair.publicKey)]);
    await expect(keygenAction({ out: keyFile }, capture())).rejects.toThrow(); // never overwrites

    const put = capture();
    await putAction('version 1', { ...flags, mutable: true, key: keyFile, salt: 'profile' }, put, cliNode());
    await putAction('version 2', { ...flags, mutable: true, key: keyFile, salt: 'profile' }, capture(), cliNode());

    const get = capture();
    const item = await getAction(undefined, { ...flags, pubkey: keygen.lines[0]!, salt: 'profile' }, get, cliNode());
    expect(get.lines).toEqual(['version 2']);
    expect(item?.seq).toBe(2);
    expect(toHex(item!.target)).toBe(put.lines[0]);

    // Another salt is another item: nothing there.
    await expect(getAction(undefined, { ...flags, pubkey: keygen.lines[0]!, salt: 'other' }, capture(), cliNode())).rejects.toThrow(NothingFoundError);
  });

  it('scrape estimates the peers that announced from distinct IPs', { timeout: 30_000 }, async () => {
    const infohash = 'ab'.repeat(20);
    const entry = flags.bootstrap;
    for (const host of ANNOUNCERS) {
      const announcer = await startNode(host, entry);
      expect(await announcer.announcePeer(infohash, 51413)).toBeGreaterThan(0);
    }
    const scrape = capture();
    const result = await scrapeAction(infohash, { ...flags }, scrape, cliNode());
    expect(result.withFilters).toBeGreaterThan(0);
    expect(result.seeds).toBe(0);
    expect(result.peers).toBeGreaterThanOrEqual(ANNOUNCERS.length - 1);
    expect(result.peers).toBeLessThanOrEqual(ANNOUNCERS.length + 1);
    expect(scrape.lines).toEqual([`seeds 0 peers ${result.peers}`]);

    // Nobody announced this one: nothing found (exit 4).
    await expect(scrapeAction('cd'.repeat(20), { ...flags, json: true }, capture(), cliNode())).rejects.toThrow(NothingFoundError);
  });
});
