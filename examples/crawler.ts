/**
 * A tiny DHT crawler: a node that logs the infohashes other nodes ask it about
 * (get_peers) and announce to it (announce_peer), through the query hooks.
 *
 *   npx tsx examples/crawler.ts                       # join the real DHT (port 6881), run until Ctrl-C
 *   npx tsx examples/crawler.ts --bootstrap 127.0.0.1:6881 --port 0 --duration 60
 *   npx tsx examples/crawler.ts --demo                # a loopback swarm of its own, exits by itself
 *
 * Hooks run on the datagram's bytes: copy (here: hex) what you keep.
 */
import { parseArgs } from 'node:util';
import { DHT, toHex } from '../src/index.ts';
import type { KrpcQuery, Endpoint } from '../src/index.ts';

const { values: flags } = parseArgs({
  options: {
    bootstrap: { type: 'string' },
    port: { type: 'string', default: '6881' },
    host: { type: 'string', default: '0.0.0.0' },
    duration: { type: 'string' },
    backend: { type: 'string', default: 'js' },
    demo: { type: 'boolean', default: false },
  },
});

const backend = flags.backend === 'wasm' ? 'wasm' : 'js';

/** Count and log each infohash the first time it is seen. */
function watch(dht: DHT, log: (line: string) => void): Map<string, number> {
  const seen = new Map<string, number>();
  const note = (kind: string) => (query: KrpcQuery, from: Endpoint) => {
    const infohash = query.a.info_hash;
    if (!infohash || infohash.length !== 20) return undefined;
    const hex = toHex(infohash);
    const count = (seen.get(hex) ?? 0) + 1;
    seen.set(hex, count);
    if (count === 1) log(`${kind.padEnd(13)} ${hex} from ${from.host}:${from.port}`);
    return undefined; // observe only: the node still answers as usual
  };
  dht.onQuery('get_peers', note('get_peers'));
  dht.onQuery('announce_peer', note('announce_peer'));
  return seen;
}

async function crawl(): Promise<void> {
  const bootstrap = flags.bootstrap === undefined ? undefined : flags.bootstrap.split(',').filter((entry) => entry.trim() !== '');
  const dht = new DHT({ host: flags.host, port: Number(flags.port), backend, ...(bootstrap ? { bootstrap } : {}) });
  dht.on('warning', (error) => console.error(`warning: ${error.message}`));
  const seen = watch(dht, console.log);
  await dht.start();
  const local = dht.address();
  console.error(`crawler ${dht.idHex} listening on ${local.host}:${local.port}`);
  dht.on('ready', () => console.error(`bootstrapped: ${dht.stats().nodes} nodes`));
  const stop = async (): Promise<void> => {
    await dht.stop();
    console.error(`stopped: ${seen.size} infohashes seen, ${dht.stats().queriesIn.total} queries received`);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (flags.duration) setTimeout(() => void stop(), Number(flags.duration) * 1000);
}

/** A loopback swarm: some nodes announce and look up random infohashes while the crawler listens. */
async function demo(): Promise<void> {
  const { loadCore } = await import('../src/index.ts');
  const core = await loadCore(backend);
  const crawler = new DHT({ host: '127.0.0.200', port: 0, bootstrap: [], core, timeoutMs: 500 });
  const seen = watch(crawler, (line) => console.log(`crawler saw ${line}`));
  await crawler.start();
  const router = `${crawler.address().host}:${crawler.address().port}`;
  const swarm: DHT[] = [];
  const deadline = setTimeout(() => {
    console.error('demo: out of time');
    process.exit(1);
  }, 30_000);
  try {
    for (let i = 0; i < 8; i++) {
      const dht = new DHT({ host: `127.0.0.${201 + i}`, port: 0, bootstrap: [router], core, timeoutMs: 500 });
      const ready = new Promise<void>((resolve) => dht.once('ready', () => resolve()));
      await dht.start();
      await ready;
      swarm.push(dht);
    }
    for (let round = 0; round < 3; round++) {
      const infohash = core.sha1(new TextEncoder().encode(`crawler demo ${round} ${Date.now()}`));
      await swarm[round]!.announcePeer(infohash, 6881 + round);
      await swarm[swarm.length - 1 - round]!.getPeers(infohash);
    }
    console.log(`demo: the crawler saw ${seen.size} infohashes from ${swarm.length} loopback nodes`);
    process.exitCode = seen.size > 0 ? 0 : 1;
  } finally {
    clearTimeout(deadline);
    await Promise.all([crawler, ...swarm].map((dht) => dht.stop()));
  }
}

if (flags.demo) await demo();
else await crawl();
