/**
 * Crawler mode against real clients (issue #15): on loopback, a mixed DHT of
 * libtorrent 2.0 nodes (Debian's python3-libtorrent, default settings: one
 * routing entry per IP, one node per IP in a lookup, DoS blocker on; each on
 * its own /24) and btdht nodes, joined by three crawler nodes of 1, 8 and 64
 * ids, each on its own address. After the tables settle, the libtorrent nodes
 * look up (get_peers) or announce their share of N infohashes, and the btdht
 * nodes N others. Prints, per crawler, the distinct infohashes that reached it
 * in incoming get_peers / announce_peer, apart for each kind of querier.
 *
 *   npm run bench:harvest-mixed [-- --lt 24 --ours 24 --infohashes 400 --ids 1,8,64 --settle 30]
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DHT } from '../src/dht/dht.ts';
import type { KrpcQuery } from '../src/ground/messages.ts';
import { toHex } from '../src/util/hex.ts';
import { startLibtorrentWorld } from '../test/interop/libtorrent/world.ts';

const { values } = parseArgs({
  options: {
    lt: { type: 'string', default: '24' },
    ours: { type: 'string', default: '24' },
    infohashes: { type: 'string', default: '400' },
    ids: { type: 'string', default: '1,8,64' },
    settle: { type: 'string', default: '30' },
  },
});
const ltNodes = Number(values.lt);
const ourNodes = Number(values.ours);
const count = Number(values.infohashes);
const idCounts = values.ids.split(',').map(Number);
const settleS = Number(values.settle);
if (![ltNodes, ourNodes, count, settleS, ...idCounts].every((n) => Number.isInteger(n) && n > 0) || ltNodes > 88 || ourNodes > 40 || idCounts.length > 8) {
  throw new Error('--lt (1-88), --ours (1-40), --infohashes, --settle and --ids take positive integers');
}

const sha1Hex = (text: string): string => createHash('sha1').update(text).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const started = Date.now();
const world = await startLibtorrentWorld({ nodes: ltNodes, seeders: 0, torrents: 0, maxSeconds: 600 });
const base = world.base;
const bootstrap = world.nodes.map((n) => ({ host: n.host, port: n.port }));
const ours: DHT[] = [];
const crawlers: { ids: number; dht: DHT; seen: Map<string, Set<string>> }[] = [];
try {
  for (let i = 0; i < ourNodes; i++) {
    const dht = new DHT({ host: `127.${base}.${150 + i}.1`, port: 0, bootstrap });
    await dht.start();
    ours.push(dht);
  }
  for (const [k, ids] of idCounts.entries()) {
    const dht = new DHT({ host: `127.${base}.${200 + k}.1`, port: 0, ids, bootstrap: [...bootstrap, ...ours.slice(0, 4).map((d) => d.address())] });
    const seen = new Map<string, Set<string>>([['get_peers', new Set()], ['announce_peer', new Set()]]);
    const note = (method: string) => (query: KrpcQuery): undefined => {
      const ih = query.a.info_hash;
      if (ih instanceof Uint8Array && ih.length === 20) seen.get(method)!.add(toHex(ih));
      return undefined;
    };
    dht.onQuery('get_peers', note('get_peers'));
    dht.onQuery('announce_peer', note('announce_peer'));
    await dht.start();
    crawlers.push({ ids, dht, seen });
  }
  console.log(`mixed DHT: ${ltNodes} libtorrent nodes, ${ourNodes} btdht nodes, crawlers of ${idCounts.join(', ')} ids; settling ${settleS} s`);
  await sleep(settleS * 1000);

  const seed = `mixed-${started}`;
  const ltHashes = new Set(Array.from({ length: count }, (_, i) => sha1Hex(`${seed}-${i}`)));
  const ourHashes = Array.from({ length: count }, (_, i) => sha1Hex(`ours-${seed}-${i}`));
  // Both kinds of querier at once: libtorrent's through world.py, ours 8 at a time.
  const ourLookups = (async () => {
    for (let i = 0; i < ourHashes.length; i += 8) {
      await Promise.all(
        ourHashes.slice(i, i + 8).map((ih, j) => {
          const node = ours[(i + j) % ours.length]!;
          return (i + j) % 2 === 0 ? node.getPeers(ih).catch(() => []) : node.announcePeer(ih, 6881).catch(() => 0);
        }),
      );
    }
  })();
  await Promise.all([world.lookups(count, seed), ourLookups]);
  await sleep(3000);

  const report = await world.report();
  const ltTables = report.members.map((m) => m.dhtNodes);
  console.log(`libtorrent routing tables: ${Math.min(...ltTables)}..${Math.max(...ltTables)} nodes; DoS drops ${report.members.reduce((s, m) => s + m.messagesInDropped, 0)}`);
  console.log('');
  console.log('| ids | from libtorrent lookups | vs 1 id | from btdht lookups | vs 1 id | announce_peer in (lt / btdht) | crawler table nodes |');
  console.log('|---|---|---|---|---|---|---|');
  let firstLt = 0;
  let firstOurs = 0;
  for (const [k, c] of crawlers.entries()) {
    const all = new Set([...c.seen.get('get_peers')!, ...c.seen.get('announce_peer')!]);
    const fromLt = [...all].filter((h) => ltHashes.has(h)).length;
    const fromOurs = all.size - fromLt;
    const annLt = [...c.seen.get('announce_peer')!].filter((h) => ltHashes.has(h)).length;
    const annOurs = c.seen.get('announce_peer')!.size - annLt;
    if (k === 0) {
      firstLt = Math.max(1, fromLt);
      firstOurs = Math.max(1, fromOurs);
    }
    const pct = (n: number): string => `${n} (${((100 * n) / count).toFixed(1)}%)`;
    console.log(`| ${c.ids} | ${pct(fromLt)} | ${(fromLt / firstLt).toFixed(1)}× | ${pct(fromOurs)} | ${(fromOurs / firstOurs).toFixed(1)}× | ${annLt} / ${annOurs} | ${c.dht.stats().nodes} |`);
  }
  console.log(`\n${count} infohashes per kind of querier; ${((Date.now() - started) / 1000).toFixed(0)} s wall`);
} finally {
  await Promise.all([...crawlers.map((c) => c.dht.stop()), ...ours.map((d) => d.stop())]);
  await world.stop();
}
