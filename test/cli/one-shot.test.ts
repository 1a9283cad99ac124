/**
 * Every one-shot command (get-peers, announce, scrape, put, get, ping) ends in
 * one of the same exit codes (src/cli/exit.ts): found → resolves (exit 0);
 * nodes answered but held nothing → NothingFoundError (exit 4); no node
 * answered → UnreachableError (exit 3). Each runs read-only (BEP 43): after it
 * ran, no node of the swarm has it in its routing table. Then the codes as a
 * process sees them, through `btdht` itself. Loopback only: a swarm of six
 * nodes on 127.0.0.1, the one-shots on 127.0.0.9, a silent socket as the
 * unreachable bootstrap.
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHT } from '../../src/dht/dht.ts';
import { toHex } from '../../src/util/hex.ts';
import { startSwarm } from './fixtures/swarm.ts';
import type { DHTOptions } from '../../src/dht/options.ts';
import { announceAction } from '../../src/cli/announce.ts';
import { EXIT } from '../../src/cli/exit.ts';
import { getAction } from '../../src/cli/get.ts';
import { getPeersAction } from '../../src/cli/get-peers.ts';
import { pingAction } from '../../src/cli/ping.ts';
import { putAction } from '../../src/cli/put.ts';
import { scrapeAction } from '../../src/cli/scrape.ts';
import { NothingFoundError, UnreachableError, type Output } from '../../src/cli/session.ts';

const CLI = fileURLToPath(new URL('./fixtures/run-cli.ts', import.meta.url));
const ONE_SHOT_HOST = '127.0.0.9';
const SWARM = 6;

const quiet: Output = { out: () => undefined, err: () => undefined };
const oneShot = (): DHTOptions => ({ host: ONE_SHOT_HOST, maintenance: false });

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
    proc.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('one-shot commands: the same exit codes, read-only', () => {
  const nodes: DHT[] = [];
  let silent: Socket;
  let found: { bootstrap: string[]; timeout: number };
  let unreachable: { bootstrap: string[]; timeout: number };
  const announced = 'ab'.repeat(20);

  beforeAll(async () => {
    await startSwarm(SWARM, nodes);
    expect(await nodes[1]!.announcePeer(announced, 6000)).toBeGreaterThan(0);
    found = { bootstrap: [`127.0.0.1:${nodes[0]!.address().port}`], timeout: 10 };
    // A bootstrap that never answers: bound, so nothing else can take the port.
    silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.8', resolve));
    unreachable = { bootstrap: [`127.0.0.8:${silent.address().port}`], timeout: 4 };
  }, 30_000);

  afterAll(async () => {
    await Promise.all(nodes.map((dht) => dht.stop()));
    silent?.close();
  });

  /** The swarm holds no node from the one-shots' address. */
  const noOneShotInTables = (): void => {
    for (const dht of nodes) expect(dht.nodes().filter((node) => node.host === ONE_SHOT_HOST)).toEqual([]);
  };

  it('found: each command resolves, and no swarm node took the one-shot node in', { timeout: 60_000 }, async () => {
    const peers = await getPeersAction(announced, { ...found }, quiet, oneShot());
    expect(peers).toContain(`127.0.0.1:6000`);
    expect(await announceAction(announced, { ...found, port: 6001 }, quiet, oneShot())).toBeGreaterThan(0);
    expect((await scrapeAction(announced, { ...found }, quiet, oneShot())).peers).toBeGreaterThan(0);
    const out: string[] = [];
    const put = await putAction('exit codes', { ...found }, { out: (line) => out.push(line), err: () => undefined }, oneShot());
    expect(put.accepted).toBeGreaterThan(0);
    expect((await getAction(out[0], { ...found }, quiet, oneShot())).kind).toBe('immutable');
    const first = nodes[0]!.address();
    expect(toHex((await pingAction({ host: first.host, port: first.port }, quiet, oneShot())).id)).toBe(nodes[0]!.idHex);
    noOneShotInTables();
    // The read-only node's announce stored a peer at its IP and --port (not its DHT port).
    const stored = await nodes[2]!.getPeers(announced);
    expect(stored.map((peer) => `${peer.host}:${peer.port}`)).toContain(`${ONE_SHOT_HOST}:6001`);
  });

  it('nothing found (exit 4): nodes answered but held nothing', { timeout: 60_000 }, async () => {
    const unknown = 'cd'.repeat(20);
    const outcomes = await Promise.allSettled([
      getPeersAction(unknown, { ...found }, quiet, oneShot()),
      scrapeAction(unknown, { ...found }, quiet, oneShot()),
      getAction('00'.repeat(20), { ...found }, quiet, oneShot()),
    ]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as unknown;
      expect(error).toBeInstanceOf(NothingFoundError);
      expect((error as NothingFoundError).exitCode).toBe(EXIT.notFound);
    }
    // Every node refuses to store: announce and put reached the DHT, and nobody stored them.
    const removers = nodes.flatMap((dht) => [dht.onQuery('announce_peer', () => ({ error: [201, 'not today'] as const })), dht.onQuery('put', () => ({ error: [201, 'not today'] as const }))]);
    try {
      await expect(announceAction(unknown, { ...found, port: 6002 }, quiet, oneShot())).rejects.toThrow(NothingFoundError);
      await expect(putAction('refused', { ...found }, quiet, oneShot())).rejects.toThrow(/put: no node stored the item/);
    } finally {
      for (const remove of removers) remove();
    }
    noOneShotInTables();
  });

  it('unreachable (exit 3): no node answered', { timeout: 60_000 }, async () => {
    const outcomes = await Promise.allSettled([
      getPeersAction(announced, { ...unreachable }, quiet, oneShot()),
      announceAction(announced, { ...unreachable, port: 6003 }, quiet, oneShot()),
      scrapeAction(announced, { ...unreachable }, quiet, oneShot()),
      putAction('nobody', { ...unreachable }, quiet, oneShot()),
      getAction('00'.repeat(20), { ...unreachable }, quiet, oneShot()),
      pingAction({ host: '127.0.0.8', port: silent.address().port }, quiet, oneShot()),
    ]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as unknown;
      expect(error).toBeInstanceOf(UnreachableError);
      expect((error as UnreachableError).exitCode).toBe(EXIT.unreachable);
    }
  });

  it('as a process: 0, 2, 3, 4 and --version', { timeout: 180_000 }, async () => {
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const entry = found.bootstrap.join(',');
    const [ok, usage, none, nothing, shown] = await Promise.all([
      runCli(['get-peers', announced, '--bootstrap', entry, '--timeout', '10', '--json']),
      runCli(['get-peers', 'not-an-infohash']),
      runCli(['get', '00'.repeat(20), '--bootstrap', unreachable.bootstrap.join(','), '--timeout', '3']),
      runCli(['scrape', 'cd'.repeat(20), '--bootstrap', entry, '--timeout', '10']),
      runCli(['--version']),
    ]);
    expect(ok.code, ok.stderr).toBe(EXIT.ok);
    expect(JSON.parse(ok.stdout)).toContain('127.0.0.1:6000');
    expect(usage.code, usage.stderr).toBe(EXIT.usage);
    expect(usage.stderr).toMatch(/infohash/);
    expect(none.code, none.stderr).toBe(EXIT.unreachable);
    expect(none.stderr).toMatch(/no node answered/);
    expect(nothing.code, nothing.stderr).toBe(EXIT.notFound);
    expect(nothing.stderr).toMatch(/scrape: no seed or peer known/);
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout.trim()).toBe(version);
  });
});
