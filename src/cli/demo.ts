/**
 * `btdht demo` (`npm start`): the main job on an embedded default, no internet.
 * A swarm of real UDP nodes on loopback addresses bootstraps off itself, one
 * node announces an infohash, another finds it, and we print what happened.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DHT } from '../dht/dht.ts';
import type { Backend } from '../core/types.ts';
import { loadCore } from '../core/index.ts';
import { toHex } from '../util/hex.ts';
import { parseBackend } from './options.ts';

interface DemoFlags {
  nodes: number;
  backend: Backend;
}

const ANNOUNCED_PORT = 6881;

function parseNodeCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 3 || n > 250) {
    throw new InvalidArgumentError(`--nodes: expected a whole number from 3 to 250, got ${JSON.stringify(value)}`);
  }
  return n;
}

function totalQueriesSent(swarm: DHT[]): number {
  return swarm.reduce((sum, dht) => sum + dht.stats().queriesOut.total, 0);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export async function runDemo(flags: DemoFlags, log: (line: string) => void = console.log): Promise<boolean> {
  const core = await loadCore(flags.backend);
  const swarm: DHT[] = [];
  const started = performance.now();
  log(`btdht demo: ${flags.nodes} DHT nodes on 127.0.0.2-127.0.0.${flags.nodes + 1}, real UDP, ${flags.backend} core`);
  try {
    // The first node is the swarm's router; the others bootstrap off it and a recent neighbour.
    const ready: Promise<void>[] = [];
    for (let i = 0; i < flags.nodes; i++) {
      const bootstrap = swarm.slice(0, 1).concat(swarm.slice(-1)).map((peer) => {
        const local = peer.address();
        return `${local.host}:${local.port}`;
      });
      const dht = new DHT({ host: `127.0.0.${i + 2}`, port: 0, bootstrap: [...new Set(bootstrap)], core });
      ready.push(new Promise((resolve) => dht.once('ready', () => resolve())));
      await dht.start();
      swarm.push(dht);
    }
    await Promise.all(ready);
    // A second pass lets early nodes learn of the late joiners, as bucket refresh would.
    await Promise.all(swarm.map((dht) => dht.findNode(dht.id)));
    const sizes = swarm.map((dht) => dht.stats().nodes);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    log(
      `bootstrapped in ${seconds(performance.now() - started)}: routing tables hold ${mean.toFixed(1)} nodes ` +
        `on average (min ${Math.min(...sizes)}, max ${Math.max(...sizes)}), ${totalQueriesSent(swarm)} queries so far`,
    );

    const infohash = core.sha1(new TextEncoder().encode(`btdht demo ${Date.now()}`));
    const announcer = swarm[Math.floor(flags.nodes / 3)] as DHT;
    const seeker = swarm[flags.nodes - 1 - Math.floor(flags.nodes / 5)] as DHT;
    let mark = performance.now();
    let queries = totalQueriesSent(swarm);
    const accepted = await announcer.announcePeer(infohash, ANNOUNCED_PORT);
    log(
      `${announcer.address().host} announces ${toHex(infohash)} port ${ANNOUNCED_PORT}: stored by ${accepted} nodes ` +
        `in ${seconds(performance.now() - mark)}, ${totalQueriesSent(swarm) - queries} queries`,
    );

    mark = performance.now();
    queries = totalQueriesSent(swarm);
    const peers = await seeker.getPeers(infohash, { limit: 1, signal: AbortSignal.timeout(20_000) });
    const expected = `${announcer.address().host}:${ANNOUNCED_PORT}`;
    const found = peers.some((peer) => `${peer.host}:${peer.port}` === expected);
    log(
      `${seeker.address().host} get_peers: ${found ? `found ${expected}` : 'did NOT find the announced peer'} ` +
        `in ${seconds(performance.now() - mark)}, ${totalQueriesSent(swarm) - queries} queries`,
    );
    log(`total: ${totalQueriesSent(swarm)} queries sent across the swarm in ${seconds(performance.now() - started)}`);
    return found;
  } finally {
    await Promise.all(swarm.map((dht) => dht.stop()));
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start a loopback swarm, announce an infohash from one node and find it from another')
    .option('--nodes <n>', 'swarm size (3-250)', parseNodeCount, 120)
    .option('--backend <name>', 'core backend: wasm or js', parseBackend, 'wasm')
    .action(async (flags: DemoFlags) => {
      const found = await runDemo(flags);
      if (!found) process.exitCode = 1;
    });
}
