/**
 * `npm run bench:lookups`: get_peers lookups on a loopback network of real
 * UDP nodes, ours (500 nodes) and then bittorrent-dht's (a separate network
 * of 500), one process each in turn. Every node has its own 127.x.y.z address.
 * Each lookup looks for a random infohash that a random node announced
 * first; we count the queries the seeking node sent and the wall time until
 * its lookup ended.
 *
 *   npm run bench:lookups -- [--nodes 500] [--lookups 25] [--backend wasm|js] [--only btdht|bittorrent-dht]
 */
import { randomBytes } from 'node:crypto';
import BtDHT from 'bittorrent-dht';
import { DHT, loadCore } from '../src/index.ts';
import { median, pick, startOurSwarm, startTheirSwarm, within } from './loopback-swarm.ts';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const NODES = Number(option('nodes', '500'));
const LOOKUPS = Number(option('lookups', '25'));
const BACKEND = option('backend', 'wasm') === 'js' ? 'js' : 'wasm';
const ONLY = option('only', '');
/** Nodes started at once while the network grows. */
const BATCH = 25;
const PEER_PORT = 6_999;


interface Lookup {
  messages: number;
  ms: number;
  found: boolean;
}

interface Summary {
  network: string;
  setupMs: number;
  lookups: Lookup[];
}


async function oursNetwork(): Promise<Summary> {
  const core = await loadCore(BACKEND);
  const nodes: DHT[] = [];
  const start = performance.now();
  try {
    await startOurSwarm(core, NODES, BATCH, 10, nodes);
    const setupMs = performance.now() - start;
    const sent = (node: DHT): number => node.stats().queriesOut.total;
    const lookups: Lookup[] = [];
    for (let i = 0; i < LOOKUPS; i++) {
      const infohash = randomBytes(20);
      const announcer = pick(nodes);
      await announcer.announcePeer(infohash, PEER_PORT);
      let seeker = pick(nodes);
      while (seeker === announcer) seeker = pick(nodes);
      const before = sent(seeker);
      const t0 = performance.now();
      const peers = await seeker.getPeers(infohash, { signal: AbortSignal.timeout(30_000) });
      const ms = performance.now() - t0;
      lookups.push({ messages: sent(seeker) - before, ms, found: peers.some((p) => p.host === announcer.address().host && p.port === PEER_PORT) });
    }
    return { network: `btdht (${BACKEND} core)`, setupMs, lookups };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

async function theirNetwork(): Promise<Summary> {
  const nodes: BtDHT[] = [];
  const sentBy = new Map<BtDHT, number>();
  const start = performance.now();
  try {
    await startTheirSwarm(NODES, BATCH, 20, nodes, sentBy);
    const setupMs = performance.now() - start;
    const lookups: Lookup[] = [];
    for (let i = 0; i < LOOKUPS; i++) {
      const infohash = randomBytes(20);
      const announcer = pick(nodes);
      await within(new Promise<void>((resolve) => announcer.announce(infohash, PEER_PORT, () => resolve())), 60_000, 'their announce');
      let seeker = pick(nodes);
      while (seeker === announcer) seeker = pick(nodes);
      let found = false;
      const announcerHost = announcer.address().address;
      const onPeer = (peer: { host: string; port: number }, ih: Buffer): void => {
        if (ih.equals(infohash) && peer.host === announcerHost && peer.port === PEER_PORT) found = true;
      };
      seeker.on('peer', onPeer);
      const before = sentBy.get(seeker)!;
      const t0 = performance.now();
      await within(new Promise<void>((resolve) => seeker.lookup(infohash, () => resolve())), 60_000, 'their lookup');
      const ms = performance.now() - t0;
      seeker.off('peer', onPeer);
      lookups.push({ messages: sentBy.get(seeker)! - before, ms, found });
    }
    return { network: 'bittorrent-dht 11.0.12', setupMs, lookups };
  } finally {
    await Promise.all(nodes.map((n) => new Promise<void>((resolve) => n.destroy(() => resolve()))));
  }
}

function row(s: Summary): string {
  const messages = s.lookups.map((l) => l.messages);
  const ms = s.lookups.map((l) => l.ms);
  const found = s.lookups.filter((l) => l.found).length;
  return `| ${s.network} | ${NODES} | ${s.lookups.length} | ${found}/${s.lookups.length} | ${median(messages)} (${Math.min(...messages)}–${Math.max(...messages)}) | ${median(ms).toFixed(0)} ms (${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)}) | ${(s.setupMs / 1000).toFixed(1)} s |`;
}

const summaries: Summary[] = [];
if (ONLY !== 'bittorrent-dht') summaries.push(await oursNetwork());
if (ONLY !== 'btdht') summaries.push(await theirNetwork());
console.log('| network | nodes | lookups | announced peer found | messages sent per lookup, median (min–max) | wall time per lookup, median (min–max) | network setup |');
console.log('|---|---|---|---|---|---|---|');
for (const s of summaries) console.log(row(s));
if (summaries.length === 2) {
  const [ours, theirs] = summaries as [Summary, Summary];
  const m = (s: Summary, f: (l: Lookup) => number): number => median(s.lookups.map(f));
  console.log(
    `\nbittorrent-dht / btdht: ${(m(theirs, (l) => l.messages) / m(ours, (l) => l.messages)).toFixed(2)}× the messages, ${(m(theirs, (l) => l.ms) / m(ours, (l) => l.ms)).toFixed(2)}× the wall time per lookup.`,
  );
}
