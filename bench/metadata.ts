/**
 * `npm run bench:metadata`: torrents fetched and verified per minute on
 * loopback against webtorrent seeders (in a child process, so their CPU is not
 * ours), and the fetcher's own CPU per verified torrent (process.cpuUsage
 * around the fetch loop; goal ≤ 10 ms). Every round fetches all seeded
 * torrents again with a fresh MetadataFetcher.
 *
 *   npm run bench:metadata -- [--torrents 50] [--seeders 5] [--rounds 5] [--concurrency 50]
 */
import { MetadataFetcher, type FetchResult } from '../src/crawl/metadata/index.ts';
import { startSeeders, type SeededTorrent } from '../test/crawl/helpers/seeders.ts';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const TORRENTS = option('torrents', 50);
const SEEDERS = option('seeders', 5);
const ROUNDS = option('rounds', 5);
const CONCURRENCY = option('concurrency', 50);
const GOAL_CPU_MS = 10;

/** Fetch every torrent once, at most `limit` at a time. */
async function round(torrents: SeededTorrent[], limit: number): Promise<FetchResult[]> {
  const fetcher = new MetadataFetcher({ maxConnectionsPerPeer: limit, connectTimeoutMs: 2000, peerTimeoutMs: 10_000 });
  const results: FetchResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < torrents.length) {
      const t = torrents[next++]!;
      results.push(await fetcher.fetch(t.infohash, [t.peer]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, torrents.length) }, worker));
  await fetcher.close();
  return results;
}

async function main(): Promise<void> {
  const hosts = Array.from({ length: SEEDERS }, (_, i) => `127.0.1.${10 + i}`);
  console.log(`node ${process.version}; ${TORRENTS} torrents made by create-torrent, seeded by ${SEEDERS} webtorrent 1.9.7 clients on ${hosts[0]}..; ${ROUNDS} rounds, ${CONCURRENCY} fetches at a time`);
  const seeders = await startSeeders({ torrents: TORRENTS, hosts, timeoutMs: 120_000 });
  try {
    const sizes = seeders.torrents.map((t) => t.files.length);
    console.log(`seeded: ${seeders.torrents.length} torrents, ${Math.min(...sizes)}..${Math.max(...sizes)} files each`);
    await round(seeders.torrents.slice(0, 10), 10); // warm-up: JIT, first connections

    let verified = 0;
    let failed = 0;
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    for (let r = 0; r < ROUNDS; r++) {
      for (const result of await round(seeders.torrents, CONCURRENCY)) {
        if (result.ok) verified++;
        else failed++;
      }
    }
    const wallMs = performance.now() - wallStart;
    const cpu = process.cpuUsage(cpuStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;

    const perTorrent = cpuMs / Math.max(1, verified);
    console.log(`verified ${verified}, failed ${failed}, in ${wallMs.toFixed(0)} ms wall`);
    console.log(`rate: ${((verified / wallMs) * 60_000).toFixed(0)} torrents/minute (${((verified / wallMs) * 1000).toFixed(1)}/s) on loopback`);
    console.log(`fetcher CPU: ${cpuMs.toFixed(0)} ms (user ${(cpu.user / 1000).toFixed(0)}, system ${(cpu.system / 1000).toFixed(0)}) = ${perTorrent.toFixed(2)} ms per verified torrent (goal ≤ ${GOAL_CPU_MS} ms: ${perTorrent <= GOAL_CPU_MS ? 'met' : 'NOT met'}; ${(1000 / perTorrent).toFixed(0)} torrents per CPU-second)`);
    console.log('anchors (real network): Python btdht ~2.3/s, magneticod ~7/s, bitmagnet up to ~17/s');
    if (failed > 0) process.exitCode = 1;
  } finally {
    await seeders.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
