/**
 * BEP 44 across a simulated network (virtual clock, 5% loss), items installed
 * on every node: immutable and mutable put/get; a mutable item updated five
 * times by its owner while others read — readers end with the highest seq, and
 * forged answers (bad signature from the nodes nearest the target), replays of
 * an older seq and forged puts are always refused. Republishing keeps an item
 * past the 2-hour expiry; an item nobody republishes is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import { compareDistance } from '../../src/core/routing-types.ts';
import type { DHT } from '../../src/dht/dht.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { bytesEqual } from '../../src/util/bytes.ts';
import { generateKeypair, installItems, mutableTarget } from '../../src/dht/items/index.ts';
import type { FoundItem, Items, MutableItem } from '../../src/dht/items/index.ts';
import { closestFromHost } from '../../src/dht/items/host.ts';
import { storeAt } from '../../src/dht/items/put.ts';
import { ITEM_EXPIRY_MS } from '../../src/dht/items/constants.ts';
import { buildSwarm } from '../helpers/sim-swarm.ts';
import type { Swarm } from '../helpers/sim-swarm.ts';

const NODES = 300;
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe.each(backends)('BEP 44 on a simulated network of %s nodes'.replace('%s', String(NODES)) + ' (%s core)', (backend) => {
  let core: Core;
  let swarm: Swarm;
  const items: Items[] = [];
  const owner = generateKeypair(seededRandom(77));
  const target = mutableTarget(owner.publicKey);
  /** Nodes that answer `get` for the owner's target with a forged item. */
  const forgers = new Set<DHT>();

  beforeAll(async () => {
    core = await loadCore(backend);
    swarm = await buildSwarm({
      core,
      size: NODES,
      seed: 44,
      network: { loss: 0.05 },
      node: { maintenance: false },
      prepare: (dht, i, net) => {
        const closest = closestFromHost(dht, 8);
        // Registered before the items hooks, so it answers first on a forger.
        dht.onQuery('get', (query, from) => {
          if (!forgers.has(dht) || !query.a.target || !bytesEqual(query.a.target, target)) return undefined;
          const signature = new Uint8Array(64).fill(0x5a);
          return { response: { token: new Uint8Array(8).fill(1), nodes: closest(query.a.target, from.family) }, extra: { k: owner.publicKey, seq: 99, sig: signature, v: utf8('forged') } };
        });
        items[i] = installItems(dht, { core, clock: net.clock, random: seededRandom(i + 1) });
      },
    });
    // The three nodes nearest the target forge.
    const byDistance = [...swarm.nodes].sort((a, b) => compareDistance(target, a.id, b.id));
    for (const dht of byDistance.slice(0, 3)) forgers.add(dht);
  }, 120_000);

  afterAll(async () => {
    for (const module of items) module.close();
    await swarm?.stop();
  });

  const messages = async <T>(op: () => Promise<T>): Promise<{ value: T; sent: number }> => {
    const before = swarm.net.stats.sent;
    const value = await swarm.settle(op());
    return { value, sent: swarm.net.stats.sent - before };
  };

  it('immutable: put from one node, get from another', async () => {
    const value = { title: utf8('btdht'), list: [1, 2, 3] };
    const put = await messages(() => items[5]!.putImmutable(value));
    expect(put.value.accepted).toBeGreaterThanOrEqual(5);
    expect(put.value.target).toEqual(core.sha1(core.encode(value)));
    const got = await messages(() => items[NODES - 50]!.get(put.value.target));
    expect(got.value?.kind).toBe('immutable');
    expect(core.encode(got.value!.value)).toEqual(core.encode(value));
    console.log(`[${backend}] ${NODES} nodes, 5% loss: immutable put ${put.sent} datagrams (${put.value.accepted}/${put.value.asked} stored), get ${got.sent} datagrams`);
  });

  it('mutable: five updates while others read; readers end at the highest seq; forgeries and replays refused', async () => {
    const writer = items[10]!;
    const readers = [100, 120, 140, 160, 180].map((i) => items[i]!);
    const seen: number[][] = readers.map(() => []);
    const found: FoundItem[] = [];
    let putMessages = 0;
    let getMessages = 0;
    let gets = 0;
    let forged = 0;
    for (let update = 1; update <= 5; update++) {
      const before = swarm.net.stats.sent;
      const put = writer.putMutable({ keypair: owner, value: { n: update, text: utf8(`version ${update}`) } });
      const reads = readers.map((reader) => reader.lookup({ publicKey: owner.publicKey }));
      const [summary, ...lookups] = await swarm.settle(Promise.all([put, ...reads]));
      putMessages += swarm.net.stats.sent - before; // puts and reads together, split below
      expect(summary!.seq).toBe(update);
      expect(summary!.accepted).toBeGreaterThanOrEqual(4);
      lookups.forEach((lookup, i) => {
        const item = (lookup as Awaited<(typeof reads)[number]>).item as MutableItem | undefined;
        // A read racing the put sees the previous version or the new one, never a forged one.
        if (item) {
          expect(item.seq === BigInt(update) || item.seq === BigInt(update - 1)).toBe(true);
          seen[i]!.push(Number(item.seq));
        }
        forged += (lookup as Awaited<(typeof reads)[number]>).forged;
      });
      // Then a read alone: the new version.
      const after = await messages(() => readers[update - 1]!.get({ publicKey: owner.publicKey }));
      getMessages += after.sent;
      gets++;
      expect(after.value?.seq).toBe(update);
      found.push(after.value!);
    }
    for (const series of seen) for (let i = 1; i < series.length; i++) expect(series[i]!).toBeGreaterThanOrEqual(series[i - 1]!);
    // The forgers nearest the target were asked and refused.
    expect(forged).toBeGreaterThan(0);

    const final = await swarm.settle(Promise.all(readers.map((reader) => reader.lookup({ publicKey: owner.publicKey }))));
    for (const lookup of final) {
      expect((lookup.item as MutableItem).seq).toBe(5n);
      expect(lookup.forged).toBeGreaterThan(0);
      expect(core.encode((lookup.item as MutableItem).value)).toEqual(core.encode({ n: 5, text: utf8('version 5') }));
    }

    // A replay of version 2 (validly signed, older) is refused by every node holding version 5.
    const attacker = items[200]!;
    const v2 = found[1]!;
    const replay: MutableItem = {
      kind: 'mutable',
      target,
      value: v2.value,
      encoded: core.encode(v2.value),
      publicKey: owner.publicKey,
      salt: new Uint8Array(0),
      seq: 2n,
      signature: v2.signature!,
    };
    const lookup = await swarm.settle(attacker.lookup({ publicKey: owner.publicKey }, { full: true }));
    const holders = lookup.closest.filter((candidate) => candidate.token && lookup.holdings.get(candidate)?.seq === 5n).length;
    const replayed = await swarm.settle(storeAt(swarm.nodes[200]!, replay, lookup));
    // Every holder refuses (or the datagram was lost); only nodes without the item may take it.
    expect(holders).toBeGreaterThan(0);
    expect((replayed.refused[302] ?? 0) + replayed.failed).toBeGreaterThanOrEqual(holders);
    expect(replayed.accepted).toBeLessThanOrEqual(replayed.asked - holders);
    // A put of seq 6 with a signature that does not hold: 206 from every honest node (the forgers' fake tokens earn 203).
    const forgedPut = await swarm.settle(storeAt(swarm.nodes[200]!, { ...replay, seq: 6n }, lookup));
    expect(forgedPut.accepted).toBe(0);
    expect(forgedPut.refused[206]).toBeGreaterThanOrEqual(holders - forgedPut.failed);
    expect(Object.keys(forgedPut.refused).every((code) => code === '206' || code === '203')).toBe(true);
    // Readers still end at version 5.
    const last = await swarm.settle(items[NODES - 1]!.get({ publicKey: owner.publicKey }));
    expect(last?.seq).toBe(5);
    console.log(
      `[${backend}] mutable: 5 updates racing 5 readers ${(putMessages / 5).toFixed(0)} datagrams per round (1 put + 5 gets); ` +
        `a lone get ${(getMessages / gets).toFixed(0)} datagrams; forged answers refused: ${forged} during updates`,
    );
  });

  it('a salted item is found by its key and salt only', async () => {
    const salt = utf8('profile');
    const { value: put, sent } = await messages(() => items[30]!.putMutable({ keypair: owner, value: utf8('salted'), salt }));
    console.log(`[${backend}] mutable put (new salted item): ${sent} datagrams (${put.accepted}/${put.asked} stored)`);
    expect(put.target).toEqual(mutableTarget(owner.publicKey, salt));
    const got = await swarm.settle(items[31]!.get({ publicKey: owner.publicKey, salt }));
    expect(got?.value).toEqual(utf8('salted'));
    expect(got?.salt).toEqual(salt);
    // The bare target cannot prove a salted item (the salt is not in the answer): nothing is trusted.
    const bare = await swarm.settle(items[32]!.lookup(put.target));
    expect(bare.item).toBeUndefined();
    expect(bare.forged).toBeGreaterThan(0);
  });

  it('cas: a put with a stale cas is refused (301) by the nodes holding the item', async () => {
    const keypair = generateKeypair(seededRandom(78));
    const first = await swarm.settle(items[40]!.putMutable({ keypair, value: 1 }));
    expect(first.seq).toBe(1);
    const stale = await swarm.settle(items[41]!.putMutable({ keypair, value: 2, seq: 2, cas: 0 }));
    expect(stale.refused[301]).toBeGreaterThanOrEqual(4);
    const good = await swarm.settle(items[41]!.putMutable({ keypair, value: 2, seq: 2, cas: 1 }));
    expect(good.accepted).toBeGreaterThanOrEqual(4);
    expect((await swarm.settle(items[42]!.get({ publicKey: keypair.publicKey })))?.value).toBe(2);
  });

  it('republishing keeps our items past the 2-hour expiry; others expire', async () => {
    const kept = await swarm.settle(items[50]!.putImmutable(utf8('kept alive')));
    const dropped = await swarm.settle(items[52]!.putImmutable(utf8('left to expire')));
    expect(dropped.accepted).toBeGreaterThanOrEqual(4);
    expect(items[52]!.forget(dropped.target)).toBe(true);
    // Three virtual hours: the republisher re-puts at 1 h, 2 h, 3 h.
    await swarm.net.runUntil(() => false, { timeoutMs: ITEM_EXPIRY_MS + 60 * 60_000 + 60_000 });
    const found = await swarm.settle(items[60]!.get(kept.target));
    expect(found?.value).toEqual(utf8('kept alive'));
    const gone = await swarm.settle(items[61]!.get(dropped.target));
    expect(gone).toBeUndefined();
    expect(items[50]!.republisher.size).toBe(1);
  });
});
