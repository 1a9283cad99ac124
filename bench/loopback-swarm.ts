/**
 * Loopback networks of real UDP nodes for the side-by-side benchmarks
 * (bench/lookups.ts, bench/items.ts): ours and webtorrent's bittorrent-dht,
 * built the same way — one 127.<net>.x.y address per node, batches of nodes
 * each joining up to three earlier ones — so the two are compared fairly.
 */
import BtDHT from 'bittorrent-dht';
import type { BtDHTOptions } from 'bittorrent-dht';
import { DHT } from '../src/index.ts';
import type { Core } from '../src/core/types.ts';

/** 127.<net>.<hi>.<lo>: one address per node, never .0 or .255. */
export function hostFor(net: number, i: number): string {
  return `127.${net}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

export function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)]!;
}

/** Up to 3 random earlier nodes (always including the first). */
function bootstrapOf(addresses: string[]): string[] {
  if (addresses.length === 0) return [];
  const list = new Set([addresses[0]!]);
  for (let i = 0; i < 2; i++) list.add(pick(addresses));
  return [...list];
}

export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Start `count` nodes in batches of `batch`: the first node alone, each later
 * one bootstrapping off up to three nodes of earlier batches, every batch
 * ready before the next. `start` makes one node listening at `host` with its
 * bootstrap list, resolving with its address and its ready promise.
 */
async function grow<N>(
  count: number,
  batch: number,
  start: (i: number, bootstrap: string[] | undefined) => Promise<{ node: N; address: string; ready: Promise<void> }>,
): Promise<N[]> {
  const nodes: N[] = [];
  const addresses: string[] = [];
  for (let from = 0; from < count; from += batch) {
    const waiting: Promise<void>[] = [];
    const known = [...addresses];
    for (let i = from; i < Math.min(count, from + batch); i++) {
      // The first node has nobody to join; the first batch joins it.
      const { node, address, ready } = await start(i, i === 0 ? undefined : bootstrapOf(known.length > 0 ? known : addresses));
      nodes.push(node);
      addresses.push(address);
      waiting.push(within(ready, 60_000, `node ${i} bootstrap`));
    }
    await Promise.all(waiting);
  }
  await sleep(3_000); // let the sparse-bucket refreshes after bootstrap settle
  return nodes;
}

/** Our nodes on 127.<net>.x.y; `nodes` holds every node started, even if a later one fails (for stop()). */
export function startOurSwarm(core: Core, count: number, batch: number, net: number, nodes: DHT[]): Promise<DHT[]> {
  return grow(count, batch, async (i, bootstrap) => {
    const node = new DHT({ host: hostFor(net, i), port: 0, bootstrap: bootstrap ?? [], core });
    node.on('warning', () => {});
    nodes.push(node);
    const ready = new Promise<void>((resolve) => node.once('ready', () => resolve()));
    await node.start();
    return { node, address: `${node.address().host}:${node.address().port}`, ready };
  });
}

/**
 * bittorrent-dht nodes on 127.<net>.x.y, each query they send counted in
 * `sentBy` (through the socket method every query goes through).
 */
export function startTheirSwarm(
  count: number,
  batch: number,
  net: number,
  nodes: BtDHT[],
  sentBy: Map<BtDHT, number>,
  options: BtDHTOptions = {},
): Promise<BtDHT[]> {
  return grow(count, batch, async (i, bootstrap) => {
    const node = new BtDHT({ ...options, bootstrap: bootstrap ?? false });
    node.on('warning', () => {});
    nodes.push(node);
    sentBy.set(node, 0);
    const socket = node._rpc.socket;
    const query = socket.query.bind(socket);
    socket.query = (peer, message, cb) => {
      sentBy.set(node, sentBy.get(node)! + 1);
      return query(peer, message, cb);
    };
    const ready = new Promise<void>((resolve) => node.once('ready', () => resolve()));
    await within(new Promise<void>((resolve) => node.listen(0, hostFor(net, i), () => resolve())), 5_000, 'bittorrent-dht listen');
    return { node, address: `${hostFor(net, i)}:${node.address().port}`, ready };
  });
}
