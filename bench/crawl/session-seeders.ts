/**
 * Honest seeders for bench/crawl/session.ts in a process of their own (their
 * CPU is not the measured one): the crawl world's honest kind, MetadataSeeder
 * (bittorrent-protocol + ut_metadata) serving demo torrents. Answers
 * { type: 'ready', peers } over IPC and runs until its parent goes away.
 */
import { MetadataSeeder } from '../../src/crawl/demo/seeder.ts';
import { makeDemoTorrent } from '../../src/crawl/demo/torrent-maker.ts';

const { seeders, torrents, seed } = JSON.parse(process.argv[2] ?? '{}') as { seeders: number; torrents: number; seed: number };
const made = Array.from({ length: torrents }, (_, i) => makeDemoTorrent(i, seed));
const started: MetadataSeeder[] = [];
for (let i = 0; i < seeders; i++) {
  const mine = made.filter((_, t) => t % seeders === i);
  started.push(await MetadataSeeder.start({ host: `127.62.0.${10 + i}`, torrents: mine, maxConnections: 1024 }));
}
const peers = made.map((t, i) => {
  const s = started[i % seeders]!;
  return { infohash: t.infohash, host: s.host, port: s.port, infoBytes: t.info.length };
});
process.send?.({ type: 'ready', peers });
process.on('disconnect', () => process.exit(0));
