/**
 * Child process for the multi-process store tests (run with `node --import tsx`).
 *
 *   observe  <target> <schema|-> <from> <to> <repeat> <batch> <seed>
 *     Observe infohashes [from, to) `repeat` times each, in shuffled batches, and
 *     record a torrent for every third one. Prints "done" at the end.
 *   resume   <sqlite-path> <batch> <fetch-log>
 *     A crawl that resumes: takes the unfetched infohashes, "fetches" each (a
 *     made-up torrent), records them in batches. Appends each infohash it
 *     fetches to <fetch-log>; prints "writing <k>" before batch k, "wrote <k>" after.
 */
import { appendFileSync, writeSync } from 'node:fs';
import { openPostgresStore, openSqliteStore, type CrawlStore, type InfohashObservation, type TorrentRecord } from '../../../src/crawl/store/index.ts';
import { ih, madeUpTorrent } from './store-writer-shared.ts';

function say(line: string): void {
  writeSync(1, `${line}\n`); // synchronous: printed before the next statement runs
}

/** xorshift32: the same shuffle for the same seed. */
function shuffle<T>(items: T[], seed: number): T[] {
  let x = seed >>> 0 || 1;
  for (let i = items.length - 1; i > 0; i--) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const j = x % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function open(target: string, schema: string): Promise<CrawlStore> {
  return /^postgres/.test(target) ? openPostgresStore({ url: target, schema }) : openSqliteStore({ path: target });
}

async function observe(args: string[]): Promise<void> {
  const [target, schema, from, to, repeat, batch, seed] = args as [string, string, string, string, string, string, string];
  const store = await open(target, schema);
  const items: Array<{ o: InfohashObservation; t?: TorrentRecord }> = [];
  for (let r = 0; r < Number(repeat); r++) {
    for (let n = Number(from); n < Number(to); n++) {
      const o: InfohashObservation = { infohash: ih(n), source: r % 2 === 0 ? 'get_peers' : 'announce_peer', at: 1000 + n + r };
      items.push(r === 0 && n % 3 === 0 ? { o, t: madeUpTorrent(ih(n), 5000 + n) } : { o });
    }
  }
  shuffle(items, Number(seed));
  const size = Number(batch);
  for (let i = 0; i < items.length; i += size) {
    const slice = items.slice(i, i + size);
    await store.write({ observations: slice.map((x) => x.o), torrents: slice.flatMap((x) => (x.t ? [x.t] : [])) });
  }
  await store.close();
  say('done');
}

async function resume(args: string[]): Promise<void> {
  const [path, batch, log] = args as [string, string, string];
  const store = await openSqliteStore({ path });
  const todo = await store.listUnfetched({ limit: 1_000_000 });
  const size = Number(batch);
  for (let k = 0; k * size < todo.length; k++) {
    const torrents: TorrentRecord[] = [];
    for (const row of todo.slice(k * size, (k + 1) * size)) {
      if (await store.isFetched(row.infohash)) continue; // never fetch twice
      torrents.push(madeUpTorrent(row.infohash, Date.now()));
    }
    appendFileSync(log, torrents.map((t) => `${t.infohash}\n`).join(''));
    say(`writing ${k}`);
    await store.write({ torrents });
    say(`wrote ${k}`);
  }
  await store.close();
  say('done');
}

const [mode, ...rest] = process.argv.slice(2);
(mode === 'observe' ? observe(rest) : mode === 'resume' ? resume(rest) : Promise.reject(new Error(`unknown mode ${mode}`))).catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
