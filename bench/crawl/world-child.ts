/**
 * The crawl benchmark's world in a process of its own (so the crawler's CPU
 * and RSS are the crawler's alone): started by bench/crawl.ts over IPC with
 * the world's options, it answers { type: 'ready', torrents, bootstrap } and
 * runs until 'stop' (or its parent goes away).
 */
import { loadCore } from '../../src/core/index.ts';
import { startCrawlWorld, type CrawlWorld } from './world.ts';

interface WorldRequest {
  nodes: number;
  torrents: number;
  net: number;
  seed: number;
  backend: 'wasm' | 'js';
}

const request = JSON.parse(process.argv[2] ?? '{}') as WorldRequest;
let world: CrawlWorld | undefined;

async function stop(): Promise<never> {
  const killer = setTimeout(() => process.exit(0), 10_000);
  killer.unref();
  await world?.stop().catch(() => undefined);
  process.exit(0);
}

process.on('message', (message) => {
  if (message === 'stop') void stop();
  else if (message === 'hostile' && world) process.send?.({ type: 'hostile', connections: world.hostileConnections() });
});
process.on('disconnect', () => void stop());

try {
  world = await startCrawlWorld({ ...request, core: await loadCore(request.backend), log: (line) => process.stderr.write(`${line}\n`) });
  process.send?.({ type: 'ready', torrents: world.torrents, bootstrap: world.bootstrap });
} catch (error) {
  process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
