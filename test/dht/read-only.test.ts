/**
 * BEP 43 on the simulated network: a read-only node still looks things up,
 * its queries carry ro=1, it answers nothing (drops counted), and no node puts
 * it in its routing table — while an ordinary newcomer, joining the same way,
 * does get in (so the check can fail).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import { DHT } from '../../src/dht/dht.ts';
import { QueryFailedError } from '../../src/dht/errors.ts';
import { bytesEqual } from '../../src/util/bytes.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { buildSwarm } from '../helpers/sim-swarm.ts';
import type { Swarm } from '../helpers/sim-swarm.ts';

const NODES = 40;

describe.each(backends)('BEP 43 read-only node (%s core)', (backend) => {
  let core: Core;
  let swarm: Swarm;
  const extra: DHT[] = [];
  /** Queries the swarm received, by source host: [all, with ro=1]. */
  const seen = new Map<string, [number, number]>();

  beforeAll(async () => {
    core = await loadCore(backend);
    swarm = await buildSwarm({
      core,
      size: NODES,
      seed: 43,
      node: { maintenance: false },
      prepare: (dht) => {
        dht.on('query', ({ query, from }) => {
          const counts = seen.get(from.host) ?? [0, 0];
          counts[0]++;
          if (query.ro === 1) counts[1]++;
          seen.set(from.host, counts);
        });
      },
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(extra.map((dht) => dht.stop()));
    await swarm?.stop();
  });

  const join = async (readOnly: boolean, seed: number): Promise<DHT> => {
    const address = (dht: DHT): string => `${dht.address().host}:${dht.address().port}`;
    const dht = new DHT({
      core,
      transport: swarm.net.createTransport(),
      clock: swarm.net.clock,
      random: seededRandom(seed),
      bootstrap: swarm.nodes.slice(0, 3).map(address),
      maintenance: false,
      readOnly,
    });
    extra.push(dht);
    const ready = new Promise<void>((resolve) => dht.once('ready', () => resolve()));
    await dht.start();
    await swarm.settle(ready);
    return dht;
  };

  const tablesHolding = (id: Uint8Array): number => swarm.nodes.filter((dht) => dht.nodes().some((node) => bytesEqual(node.id, id))).length;

  it('looks up, marks its queries ro=1, answers nothing and enters no table', { timeout: 60_000 }, async () => {
    const ro = await join(true, 4301);
    expect(ro.stats().nodes).toBeGreaterThan(0);
    const nearest = await swarm.settle(ro.findNode(swarm.nodes[7]!.id));
    expect(nearest.length).toBeGreaterThan(0);
    const [sent, flagged] = seen.get(ro.address().host) ?? [0, 0];
    expect(sent).toBeGreaterThan(0);
    expect(flagged).toBe(sent);

    // Nobody even pinged it back: its queries do not make it a routing-table candidate.
    await swarm.net.runUntil(() => false, { timeoutMs: 10_000 });
    expect(ro.stats().drops['read-only'] ?? 0).toBe(0);

    // Asked directly, it stays silent and counts the drop.
    const asker = swarm.nodes[5]!;
    const { host, port } = ro.address();
    await expect(swarm.settle(asker.ping(`${host}:${port}`))).rejects.toBeInstanceOf(QueryFailedError);
    expect(ro.stats().drops['read-only']).toBeGreaterThanOrEqual(1);
    expect(ro.stats().queriesIn.total).toBe(0);

    // Let every pending ping settle before looking at the tables.
    await swarm.net.runUntil(() => false, { timeoutMs: 30_000 });
    expect(tablesHolding(ro.id)).toBe(0);
  });

  it('an ordinary newcomer joining the same way does enter tables', { timeout: 60_000 }, async () => {
    const plain = await join(false, 4302);
    await swarm.settle(plain.findNode(swarm.nodes[7]!.id));
    await swarm.net.runUntil(() => false, { timeoutMs: 30_000 });
    expect(tablesHolding(plain.id)).toBeGreaterThan(0);
    expect(plain.stats().drops['read-only'] ?? 0).toBe(0);
    const [sent, flagged] = seen.get(plain.address().host) ?? [0, 0];
    expect(sent).toBeGreaterThan(0);
    expect(flagged).toBe(0);
  });
});
