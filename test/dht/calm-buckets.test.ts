/**
 * Routing upkeep skips the stalest scan for a bucket found with no node turning
 * questionable soon (src/dht/routing.ts #checkBucket). These check that the skip
 * never hides a node that became questionable another way: the table changed
 * (a node removed, a questionable one added), or the clock went back.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { RoutingTable } from '../../src/core/routing-types.ts';
import type { Endpoint } from '../../src/ground/address.ts';
import { encodeCompactAddress } from '../../src/krpc/compact.ts';
import { RoutingUpkeep } from '../../src/dht/routing.ts';
import { Bep42Policy } from '../../src/dht/bep42/trust.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { id, v4 } from './helpers.ts';

const MINUTE = 60_000;

describe.each(backends)('calm buckets in routing upkeep (%s core)', (backend) => {
  /** Our id 0xaa…; the far bucket holds 0x11… and 0x13… (k = 2, no replacement cache); 0x12… answered and is remembered. */
  async function setup() {
    const core = await loadCore(backend);
    let now = 1_000_000;
    const table: RoutingTable = core.createRoutingTable({ id: id(0xaa), k: 2, cacheSize: 0 });
    const pinged: string[] = [];
    const upkeep = new RoutingUpkeep({
      self: { id: id(0xaa), table },
      clock: { now: () => now, setTimer: () => ({ cancel: () => undefined }) },
      random: seededRandom(3),
      ping: (to: Endpoint) => {
        pinged.push(to.host);
        return new Promise(() => undefined); // never answered within the test
      },
      refresh: () => Promise.resolve(),
      onNode: () => undefined,
      isRouter: () => false,
      maxPendingPings: 8,
      bep42: new Bep42Policy('off', (bytes) => core.crc32c(bytes)),
    });
    const [a, b, c] = [v4('10.1.0.2'), v4('10.2.0.3'), v4('10.3.0.4')];
    upkeep.onResponse(id(0x11), a);
    upkeep.onResponse(id(0x13), b);
    now += 10 * MINUTE;
    upkeep.onResponse(id(0x12), c); // bucket full: not placed, remembered
    expect(table.size).toBe(2);
    expect(upkeep.recentAnswers).toBe(1);
    const asks = (): void => upkeep.onQuery(id(0x12), c, now);
    const setNow = (t: number): void => void (now = t);
    return { table, upkeep, pinged, asks, getNow: () => now, setNow };
  }

  it('a node questionable from the start, added after the bucket was found calm, is probed at the next query', async () => {
    const { table, pinged, asks, getNow, setNow } = await setup();
    asks();
    asks();
    expect(pinged).toEqual([]); // found calm
    expect(table.remove(id(0x13))).toBe(true);
    table.add(id(0x14), encodeCompactAddress('10.4.0.5', 6881)!, getNow(), false); // never answered: questionable
    setNow(getNow() + 1);
    asks();
    expect(pinged).toEqual(['10.4.0.5']);
  });

  it('a node seen at an earlier time (the clock went back) is probed once questionable, even inside a calm window', async () => {
    const { upkeep, pinged, asks, getNow, setNow } = await setup();
    const calmAt = getNow();
    asks();
    expect(pinged).toEqual([]); // found calm until calmAt + 1 s
    setNow(calmAt - 20 * MINUTE); // the clock goes back; 0x11… answers then
    upkeep.onResponse(id(0x11), v4('10.1.0.2'));
    setNow(calmAt + 1); // and forward again: 0x11… was last heard 20 minutes ago
    asks();
    expect(pinged).toEqual(['10.1.0.2']);
  });
});
