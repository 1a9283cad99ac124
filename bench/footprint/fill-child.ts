/**
 * Child of bench/footprint-fill.ts (run with --expose-gc): fills one bounded
 * table of the node, built with the node's defaults, to its cap, or all of
 * them at once ('all'), and prints one JSON line per table: entries held,
 * RSS before and after (after full collections, as the OS sees it), and
 * the table's own count of its bytes where it keeps one.
 *
 *   node --expose-gc --import tsx bench/footprint/fill-child.ts <table>|all
 *
 * Entries are what the network would send: distinct random infohashes,
 * IPv4 peers and sources, BEP 44 puts decoded from datagrams by the core
 * and read as the put handler reads them. Every entry is new, so every
 * table ends at its cap.
 */
import { randomBytes } from 'node:crypto';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import { cryptoRandom } from '../../src/ground/random.ts';
import { MAX_PEERS_PER_INFOHASH, MAX_PEERS_TOTAL, RATE_LIMIT_BLOCK_MS, RATE_LIMITER_MAX_IPS, MAX_QUERIES_PER_IP_PER_SECOND } from '../../src/dht/constants.ts';
import { queryBody } from '../../src/dht/items/handlers.ts';
import { readPutArgs, type Item } from '../../src/dht/items/item.ts';
import { MemoryItemStore } from '../../src/dht/items/store.ts';
import { MAX_STORED_ITEMS } from '../../src/dht/items/constants.ts';
import { keepYoungGenerationSmall } from '../../src/cli/young-generation.ts';
import { MemoryPeerStore } from '../../src/dht/peer-store.ts';
import { SourceLimiter } from '../../src/dht/rate-limit.ts';
import { ScrapeRecords } from '../../src/dht/scrape/records.ts';
import type { KrpcQuery } from '../../src/ground/messages.ts';
import { ALL, TABLES, type FillLine, type TableName } from './tables.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function settledRss(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage.rss();
}

/** A random IPv4 compact peer (6 bytes). */
function peer(): Uint8Array {
  return randomBytes(6);
}

/** The i-th IPv4 source address, 10.x.y.z. */
function sourceHost(i: number): string {
  return `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
}

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const cat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

/** A value of `bytes` bencoded bytes: one byte string, or (`strings`) a list of empty strings, the most values per byte. */
function value(bytes: number, strings: boolean): Uint8Array {
  if (strings) return enc(`l${'0:'.repeat((bytes - 2) >> 1)}e`);
  const body = bytes - String(bytes).length - 1;
  return cat([enc(`${body}:`), randomBytes(body)]);
}

/** A BEP 44 mutable put as a datagram, with a 64-byte salt (BEP 44's largest) or none. */
function putDatagram(v: Uint8Array, salted: boolean): Uint8Array {
  const salt = salted ? cat([enc('4:salt64:'), randomBytes(64)]) : new Uint8Array(0);
  return cat([
    enc('d1:ad2:id20:'), randomBytes(20), enc('1:k32:'), randomBytes(32), salt, enc('3:seqi1e3:sig64:'), randomBytes(64),
    enc('5:token8:'), randomBytes(8), enc('1:v'), v, enc('e1:q3:put1:t2:aa1:y1:qe'),
  ]);
}

/** What the put handler stores for a datagram (items/handlers.ts: body, readPutArgs, its own copy of the value). */
function readPut(core: Core, datagram: Uint8Array): Item {
  const query = core.decodeKrpc(datagram);
  if (query.y !== 'q') throw new Error(`not a query: ${JSON.stringify(query)}`);
  const codec = { encode: (v: Parameters<Core['encode']>[0]) => core.encode(v), decode: (b: Uint8Array) => core.decode(b), sha1: (b: Uint8Array) => core.sha1(b) };
  const body = queryBody(query as KrpcQuery, codec.decode);
  if (!body) throw new Error('unreadable put');
  const read = readPutArgs(body, codec);
  if ('error' in read) throw new Error(`put refused: ${read.error[1]}`);
  return { ...read.item, value: codec.decode(read.item.encoded) };
}

/** Fill `table`; what stays reachable is returned so it lives until the process prints. */
function fill(table: TableName, core: Core): { entries: number; ownBytes: number | undefined; keep: unknown } {
  const now = Date.now();
  switch (table) {
    case 'peer': {
      // Peers on as few infohashes as the per-infohash cap allows: the cost of a peer.
      const store = new MemoryPeerStore({ random: cryptoRandom });
      const infohashes = Array.from({ length: Math.ceil(MAX_PEERS_TOTAL / MAX_PEERS_PER_INFOHASH) }, () => randomBytes(20));
      for (let i = 0; i < MAX_PEERS_TOTAL; i++) store.add(infohashes[i % infohashes.length]!, peer(), now);
      return { entries: store.size, ownBytes: store.footprint, keep: store };
    }
    case 'infohash': {
      // One peer per infohash (an announce flood of random infohashes): the cost of an infohash and its peer.
      const store = new MemoryPeerStore({ random: cryptoRandom });
      for (let i = 0; i < MAX_PEERS_TOTAL; i++) store.add(randomBytes(20), peer(), now);
      return { entries: store.infohashCount, ownBytes: store.footprint, keep: store };
    }
    case 'scrape-record': {
      const records = new ScrapeRecords({ sha1: (b) => core.sha1(b) });
      for (let i = 0; records.size < records.cap && i < 2 * records.cap; i++) records.record(randomBytes(20), sourceHost(i), 6881, i % 3 === 0, now);
      return { entries: records.size, ownBytes: records.footprint, keep: records };
    }
    case 'item-1k':
    case 'item-small':
    case 'item-strings': {
      // 1 KB values with 64-byte salts: the byte cap binds; tiny values: the count cap binds; 1 KB of
      // empty strings: the most decoded values per stored byte.
      // As the node makes it (items/install.ts): values decoded when read.
      const store = new MemoryItemStore({ decode: (b) => core.decode(b) });
      const large = table !== 'item-small';
      const v = table === 'item-strings' ? value(1000, true) : undefined;
      // Just past the cap (5,000 items or 4 MiB, whichever binds first): a few evictions, no more garbage than that.
      for (let i = 0; i < MAX_STORED_ITEMS + 100; i++) store.put(readPut(core, putDatagram(v ?? value(large ? 999 : 8, false), large)), undefined, now);
      return { entries: store.size, ownBytes: store.bytes, keep: store };
    }
    case 'rate-limiter': {
      const limiter = new SourceLimiter({ perSecond: MAX_QUERIES_PER_IP_PER_SECOND, blockMs: RATE_LIMIT_BLOCK_MS, maxTracked: RATE_LIMITER_MAX_IPS });
      for (let i = 0; i < 2 * RATE_LIMITER_MAX_IPS; i++) limiter.take(sourceHost(i), now);
      return { entries: limiter.size, ownBytes: undefined, keep: limiter };
    }
  }
}

// As `btdht node` does (src/cli/young-generation.ts), unless BTDHT_YOUNG_GENERATION=v8.
keepYoungGenerationSmall();
const which = process.argv[2] ?? '';
const tables: TableName[] = which === 'all' ? [...ALL] : [which as TableName];
if (!tables.every((t) => (TABLES as readonly string[]).includes(t))) throw new Error(`table must be one of ${TABLES.join(', ')} or all; got ${which}`);
const core = await loadCore((process.env.BTDHT_BACKEND as 'wasm' | 'js' | undefined) ?? 'wasm');
// No warm-up: a throwaway table's freed arrays would stay in the allocator and hide the real table's cost.
// The code compiled while filling is counted with the table (a few hundred KB at most).
const kept: unknown[] = [];
for (const table of tables) {
  const started = performance.now();
  const before = settledRss();
  const { entries, ownBytes, keep } = fill(table, core);
  kept.push(keep);
  const after = settledRss();
  const line: FillLine = { table, entries, before, after, ownBytes, seconds: (performance.now() - started) / 1000 };
  console.log(JSON.stringify(line));
}
if (kept.length !== tables.length) throw new Error('unreachable');
