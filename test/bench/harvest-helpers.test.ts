/**
 * The harvest benchmark's helpers (bench/harvest/): the load generator's
 * query bytes (decoded by both cores, and accepted by a real node with the
 * token it gave), the /proc parsers, the meters, the keyspace aiming, the
 * replay stream and the hook tap.
 */
import { describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { DHT } from '../../src/dht/dht.ts';
import { SimulatedNetwork } from '../../src/transport/memory.ts';
import { Harvester } from '../../src/crawl/harvest/index.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { randomId } from '../../src/util/id.ts';
import { toHex } from '../../src/util/hex.ts';
import { announceTemplate, fill, getPeersTemplate, tokenOf } from '../../bench/harvest/krpc.ts';
import { parseProcNetUdp } from '../../bench/harvest/proc-net-udp.ts';
import { CallMeter, cpuShare, median, parseSchedstat } from '../../bench/harvest/meter.ts';
import { bucketRange, compareIds, infohashesNear, nearBits, prefixRange } from '../../bench/harvest/keyspace.ts';
import { repeatAsNew, replayRound, prepare } from '../../bench/harvest/replay.ts';
import type { Sighting } from '../../bench/harvest/tap.ts';
import { TappedDHT } from '../../bench/harvest/tap.ts';

const id = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const infohash = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);

describe.each(backends)('load generator queries (%s core)', (backend) => {
  it('get_peers: the transaction id and infohash land where the decoder reads them', async () => {
    const core = await loadCore(backend);
    const bytes = fill(getPeersTemplate(id), 0x8123, infohash);
    const message = core.decodeKrpc(bytes);
    expect(message.y).toBe('q');
    if (message.y !== 'q') return;
    expect(message.q).toBe('get_peers');
    expect([...message.t]).toEqual([0x81, 0x23]);
    expect([...message.a.id!]).toEqual([...id]);
    expect([...message.a.info_hash!]).toEqual([...infohash]);
  });

  it('announce_peer: port, token and infohash, no implied_port', async () => {
    const core = await loadCore(backend);
    const token = Uint8Array.of(9, 8, 7, 6, 5);
    const pool = new Uint8Array(60);
    pool.set(infohash, 20);
    const message = core.decodeKrpc(fill(announceTemplate(id, token, 51_413), 7, pool, 20));
    expect(message.y).toBe('q');
    if (message.y !== 'q') return;
    expect(message.q).toBe('announce_peer');
    expect([...message.t]).toEqual([0, 7]);
    expect(message.a.port).toBe(51_413);
    expect(message.a.implied_port).toBeUndefined();
    expect([...message.a.token!]).toEqual([...token]);
    expect([...message.a.info_hash!]).toEqual([...infohash]);
  });

  it('fill copies: the template is unchanged and every query is its own buffer', () => {
    const template = getPeersTemplate(id);
    const before = Buffer.from(template.bytes);
    const a = fill(template, 1, infohash);
    const b = fill(template, 2, infohash);
    expect(template.bytes.equals(before)).toBe(true);
    expect(a.equals(b)).toBe(false);
  });
});

describe('load generator against a real node on loopback', () => {
  it('the token from a get_peers answer makes the announce count: the harvester records the announcer', async () => {
    const dht = new DHT({ host: '127.0.0.1', port: 0, bootstrap: [], maintenance: false });
    const harvester = new Harvester(dht, { onBatch: () => undefined });
    await dht.start();
    harvester.start({ walk: false });
    const socket = createSocket('udp4');
    try {
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
      const node = dht.address();
      const answer = (bytes: Buffer): Promise<Buffer> =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no answer in 2 s')), 2_000);
          const onMessage = (data: Buffer): void => {
            // The node may ping us (a new contact): wait for the answer to our query.
            if (data.includes(Buffer.from('1:y1:q'))) return;
            clearTimeout(timer);
            socket.off('message', onMessage);
            resolve(data);
          };
          socket.on('message', onMessage);
          socket.send(bytes, node.port, node.host);
        });
      const token = tokenOf(await answer(fill(getPeersTemplate(id), 1, infohash)));
      expect(token).toBeInstanceOf(Uint8Array);
      const reply = await answer(fill(announceTemplate(id, token!, 40_001), 2, infohash));
      expect(reply.includes(Buffer.from('1:y1:r'))).toBe(true);
      // A made-up token is refused, and nothing is recorded for it.
      const other = Uint8Array.from(infohash, (b) => b ^ 0xff);
      const refused = await answer(fill(announceTemplate(id, new Uint8Array(token!.length).fill(0x55), 40_002), 3, other));
      expect(refused.includes(Buffer.from('1:y1:e'))).toBe(true);
      const { record } = harvester.lookup(toHex(infohash));
      expect(record?.bySource.get_peers).toBe(1);
      expect(record?.bySource.announce_peer).toBe(1);
      expect(record?.peers).toEqual([{ host: '127.0.0.1', port: 40_001 }]);
      expect(harvester.lookup(toHex(other)).record?.bySource.announce_peer ?? 0).toBe(0);
    } finally {
      socket.close();
      await harvester.stop();
      await dht.stop();
    }
  });

  it('tokenOf reads r.token and refuses what has none', () => {
    expect(tokenOf(Buffer.from('d1:rd2:id20:aaaaaaaaaaaaaaaaaaaa5:token4:wxyze1:t2:aa1:y1:re'))).toEqual(new Uint8Array(Buffer.from('wxyz')));
    expect(tokenOf(Buffer.from('d1:rd2:id20:aaaaaaaaaaaaaaaaaaaae1:t2:aa1:y1:re'))).toBeUndefined();
    expect(tokenOf(Buffer.from('not bencode'))).toBeUndefined();
  });
});

describe('/proc parsers', () => {
  it('parseProcNetUdp reads address, port, receive queue and drops', () => {
    const text = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  123: 0100007F:1AE1 00000000:0000 07 00000000:00000A00 00:00000000 00000000  1000        0 555 2 0000000000000000 42',
      '  124: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 556 2 0000000000000000 0',
      'garbage line',
    ].join('\n');
    expect(parseProcNetUdp(text)).toEqual([
      { host: '127.0.0.1', port: 6881, rxQueue: 2560, drops: 42 },
      { host: '0.0.0.0', port: 68, rxQueue: 0, drops: 0 },
    ]);
    expect(parseProcNetUdp(text, false)[0]!.host).toBe('1.0.0.127');
  });

  it('parseSchedstat reads run and wait ns, and refuses malformed text', () => {
    expect(parseSchedstat('4935837 1667397 2\n')).toEqual({ cpuNs: 4935837, waitNs: 1667397 });
    expect(parseSchedstat('oops')).toBeUndefined();
    expect(cpuShare({ cpuNs: 3, waitNs: 1 })).toBe(0.75);
    expect(cpuShare(undefined)).toBe(1);
  });
});

describe('meters', () => {
  it('CallMeter counts a nested call once and keeps samples when asked', () => {
    const meter = new CallMeter({ keepSamples: true });
    const inner = meter.wrap((x: number) => x * 2);
    expect(meter.time(() => inner(3) + inner(4))).toBe(14);
    expect(inner(5)).toBe(10);
    expect(meter.calls).toBe(2);
    expect(meter.samples.length).toBe(2);
    expect(meter.seconds).toBeGreaterThan(0);
    expect(() => meter.time(() => { throw new Error('x'); })).toThrow('x');
    expect(meter.calls).toBe(3);
    meter.reset();
    expect(meter.calls).toBe(0);
    expect(meter.samples.length).toBe(0);
  });

  it('median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('keyspace', () => {
  const random = seededRandom(3);
  const ids = Array.from({ length: 500 }, () => randomId(random)).sort(compareIds);

  it('prefixRange and bucketRange select exactly the ids with the stated prefix', () => {
    const id = ids[123]!;
    const bit = (x: Uint8Array, i: number): number => (x[i >> 3]! >> (7 - (i & 7))) & 1;
    const shares = (x: Uint8Array, bits: number): boolean => Array.from({ length: bits }, (_, i) => i).every((i) => bit(x, i) === bit(id, i));
    for (const bits of [0, 1, 4, 9]) {
      const [lo, hi] = prefixRange(ids, id, bits);
      expect(ids.filter((x) => shares(x, bits)).length).toBe(hi - lo);
      expect(ids.slice(lo, hi).every((x) => shares(x, bits))).toBe(true);
      const [blo, bhi] = bucketRange(ids, id, bits);
      expect(ids.slice(blo, bhi).every((x) => shares(x, bits) && bit(x, bits) !== bit(id, bits))).toBe(true);
      expect(ids.filter((x) => shares(x, bits) && bit(x, bits) !== bit(id, bits)).length).toBe(bhi - blo);
    }
  });

  it('infohashesNear gives distinct infohashes sharing the prefix of each id in turn', () => {
    const targets = [ids[0]!, ids[499]!];
    const near = infohashesNear(targets, 12, 200, random);
    expect(new Set(near.map(toHex)).size).toBe(200);
    near.forEach((h, i) => {
      const of = targets[i % 2]!;
      expect(h[0]).toBe(of[0]);
      expect(h[1]! >> 4).toBe(of[1]! >> 4);
    });
    expect(nearBits(2000, 8)).toBe(8);
    expect(nearBits(8, 8)).toBe(0);
  });
});

describe('replay', () => {
  const random = seededRandom(5);
  const a = randomId(random);
  const b = randomId(random);
  const sightings: Sighting[] = [
    { kind: 'get_peers', infohash: a },
    { kind: 'get_peers', infohash: a },
    { kind: 'announce', infohash: b, peer: { host: '10.0.0.1', port: 1 } },
  ];

  it('repeatAsNew keeps the mix and makes every pass new infohashes', () => {
    const stream = repeatAsNew(sightings, 4);
    expect(stream.map((s) => s.kind)).toEqual(Array.from({ length: 4 }, () => ['get_peers', 'get_peers', 'announce']).flat());
    expect(new Set(stream.map((s) => toHex(s.infohash))).size).toBe(8);
    expect(toHex(stream[0]!.infohash)).toBe(toHex(a)); // the first pass is the recording
    expect(sightings[0]!.infohash).toEqual(a); // not modified in place
  });

  it('replayRound feeds a fresh harvester: sightings and distinct infohashes counted as recorded', async () => {
    const { harvester, cpuSeconds } = await replayRound(prepare(repeatAsNew(sightings, 3)));
    const stats = harvester.stats();
    expect(stats.seen).toEqual({ get_peers: 6, announce_peer: 3, sample: 0 });
    expect(stats.dedup.tracked).toBe(6);
    expect(stats.batches.observations).toBe(9);
    expect(cpuSeconds).toBeGreaterThanOrEqual(0);
  });
});

describe('TappedDHT', () => {
  it('captures only what is registered inside capture(), and off() removes a captured listener', () => {
    const dht = new TappedDHT({ bootstrap: [] });
    const outside = dht.on('announce', () => undefined);
    expect(dht.announceListeners.length).toBe(0);
    outside();
    const seen: string[] = [];
    const listener = (value: { infohash: Uint8Array }): void => void seen.push(toHex(value.infohash));
    dht.capture(() => {
      dht.onQuery('get_peers', () => undefined);
      dht.on('announce', listener);
    });
    expect(dht.getPeersHooks.length).toBe(1);
    expect(dht.announceListeners.length).toBe(1);
    expect(() => dht.capture(() => dht.onQuery('ping', () => undefined))).toThrow(/only get_peers/);
    dht.off('announce', listener); // must find the timed wrapper it registered
    expect(() => dht.off('announce', listener)).not.toThrow();
  });

  it('a harvester on it works as on a plain node, its calls timed and its sightings recorded', async () => {
    const net = new SimulatedNetwork({ seed: 4, latencyMs: [5, 10] });
    const tapped = new TappedDHT({ transport: net.createTransport(), clock: net.clock, random: seededRandom(1), bootstrap: [], maintenance: false });
    const recorded: Sighting[] = [];
    tapped.record = (s) => void recorded.push(s);
    const harvester = new Harvester(tapped, { clock: net.clock, onBatch: () => undefined });
    tapped.capture(() => harvester.start({ walk: false }));
    await tapped.start();
    const other = new DHT({ transport: net.createTransport(), clock: net.clock, random: seededRandom(2), bootstrap: [`${tapped.address().host}:${tapped.address().port}`], maintenance: false });
    await other.start();
    const wanted = randomId(seededRandom(9));
    let done = false;
    void other.announcePeer(wanted, 40_003).finally(() => (done = true));
    expect(await net.runUntil(() => done, { timeoutMs: 60_000 })).toBe(true);
    const { record } = harvester.lookup(toHex(wanted));
    expect(record?.bySource.get_peers).toBe(1);
    expect(record?.bySource.announce_peer).toBe(1);
    expect(recorded.map((s) => s.kind)).toEqual(['get_peers', 'announce']);
    expect(recorded.every((s) => toHex(s.infohash) === toHex(wanted))).toBe(true);
    expect(tapped.meter.calls).toBe(2);
    expect(tapped.meter.seconds).toBeGreaterThan(0);
    await harvester.stop();
    await other.stop();
    await tapped.stop();
  });
});
