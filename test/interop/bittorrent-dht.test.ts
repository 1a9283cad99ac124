/**
 * Interop with webtorrent's bittorrent-dht 11.0.12 on loopback: a mixed
 * network of 10 of their nodes and 10 of ours, each on its own 127.0.x.y
 * address, bootstrapping off each other. Announces and lookups cross the
 * implementations both ways, and each side answers the other's queries.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type BtDHT from 'bittorrent-dht';
import type { BtMessage } from 'bittorrent-dht';
import { DHT, loadCore } from '../../src/index.ts';
import { backends } from '../helpers/backends.ts';
import { startMixedSwarm } from '../helpers/mixed-swarm.ts';
import type { MixedSwarm } from '../helpers/mixed-swarm.ts';
import { bytes, compactNodes, theirEndpoint, waitFor, within } from './helpers.ts';

const SIZE = 10;

function hex(id: Uint8Array): string {
  return Buffer.from(id).toString('hex');
}

/** Their low-level query (k-rpc), as a promise of the answer message. */
function theirQuery(from: BtDHT, to: string, q: string, a: Record<string, unknown>): Promise<BtMessage> {
  const [host, port] = to.split(':') as [string, string];
  return within(
    new Promise<BtMessage>((resolve, reject) => {
      from._rpc.query({ host, port: Number(port) }, { q, a: { id: from.nodeId, ...a } }, (error, message) => {
        if (error || !message) reject(error ?? new Error('no message'));
        else resolve(message);
      });
    }),
    5_000,
    `their ${q} to ${to}`,
  );
}

describe.each(backends)('interop with bittorrent-dht 11 (%s core)', (backend) => {
  let swarm: MixedSwarm;
  const ours: DHT[] = [];
  const theirs: BtDHT[] = [];
  const ourAddress = (i: number): string => swarm.ourAddress(i);

  beforeAll(async () => {
    swarm = await startMixedSwarm({ size: SIZE, subnet: '127.0.1', core: await loadCore(backend), backend });
    ours.push(...swarm.ours);
    theirs.push(...swarm.theirs);
  }, 120_000);

  afterAll(async () => {
    await swarm?.stop();
  });

  it('binds every node on its own loopback address', () => {
    const hosts = new Set([...ours.map((n) => n.address().host), ...theirs.map((n) => n.address().address)]);
    expect(hosts.size).toBe(2 * SIZE);
  });

  it('fills our routing tables with their nodes', () => {
    const theirIds = new Set(theirs.map((t) => hex(t.nodeId)));
    const known = new Set<string>();
    for (const node of ours) {
      const table = node.nodes();
      expect(node.stats().nodes).toBeGreaterThanOrEqual(10);
      const theirsInTable = table.filter((n) => theirIds.has(hex(n.id)));
      expect(theirsInTable.length).toBeGreaterThanOrEqual(4);
      for (const n of theirsInTable) {
        known.add(hex(n.id));
        // Entered with the address it answered from.
        const owner = theirs.find((t) => hex(t.nodeId) === hex(n.id))!;
        expect(`${n.host}:${n.port}`).toBe(theirEndpoint(owner));
      }
    }
    // Every one of their nodes is known to at least one of ours.
    expect(known.size).toBe(SIZE);
  });

  it('gets into their routing tables', async () => {
    // They add a node that queries them: after each of ours has pinged each of theirs,
    // nearly all of ours must be in every table of theirs (a full bucket may refuse a few).
    await Promise.all(ours.flatMap((node) => theirs.map((t) => node.ping(theirEndpoint(t)).catch(() => undefined))));
    const ourIds = new Set(ours.map((n) => hex(n.id)));
    for (const t of theirs) {
      expect(t.nodes.toArray().filter((n) => ourIds.has(hex(n.id))).length).toBeGreaterThanOrEqual(8);
    }
  });

  it('finds with getPeers a peer that one of their nodes announced', async () => {
    const infohash = randomBytes(20);
    const announcer = theirs[3]!;
    await within(
      new Promise<void>((resolve, reject) => announcer.announce(infohash, 51413, (error) => (error ? reject(error) : resolve()))),
      15_000,
      'their announce',
    );
    for (const seeker of [ours[0]!, ours[7]!]) {
      const peers = await seeker.getPeers(infohash, { signal: AbortSignal.timeout(10_000) });
      expect(peers).toContainEqual({ host: announcer.address().address, port: 51413 });
    }
  });

  it('is found by their lookup after one of our nodes announced', async () => {
    const infohash = randomBytes(20);
    const announcer = ours[4]!;
    const accepted = await announcer.announcePeer(infohash, 6900);
    expect(accepted).toBeGreaterThan(0);
    for (const seeker of [theirs[0]!, theirs[8]!]) {
      const found: { host: string; port: number }[] = [];
      const onPeer = (peer: { host: string; port: number }, ih: Buffer): void => {
        if (ih.equals(infohash)) found.push(peer);
      };
      seeker.on('peer', onPeer);
      try {
        await within(new Promise<void>((resolve, reject) => seeker.lookup(infohash, (error) => (error ? reject(error) : resolve()))), 15_000, 'their lookup');
      } finally {
        seeker.off('peer', onPeer);
      }
      expect(found).toContainEqual({ host: announcer.address().host, port: 6900 });
    }
  });

  it('is found by their lookup after announcing with implied_port', async () => {
    const infohash = randomBytes(20);
    const announcer = ours[6]!;
    expect(await announcer.announcePeer(infohash, { impliedPort: true })).toBeGreaterThan(0);
    const seeker = theirs[5]!;
    const found: { host: string; port: number }[] = [];
    const onPeer = (peer: { host: string; port: number }, ih: Buffer): void => {
      if (ih.equals(infohash)) found.push(peer);
    };
    seeker.on('peer', onPeer);
    try {
      await within(new Promise<void>((resolve, reject) => seeker.lookup(infohash, (error) => (error ? reject(error) : resolve()))), 15_000, 'their lookup');
    } finally {
      seeker.off('peer', onPeer);
    }
    expect(found).toContainEqual({ host: announcer.address().host, port: announcer.address().port });
  });

  it('answers their find_node with 26-byte node entries', async () => {
    const asker = theirs[2]!;
    for (const i of [0, 5, 9]) {
      const target = randomBytes(20);
      const answer = await theirQuery(asker, ourAddress(i), 'find_node', { target });
      const r = answer.r!;
      expect(Buffer.from(bytes(r['id'])!)).toEqual(Buffer.from(ours[i]!.id));
      const nodes = bytes(r['nodes'])!;
      expect(nodes.length).toBeGreaterThan(0);
      expect(nodes.length % 26).toBe(0);
      const entries = compactNodes(nodes);
      expect(entries.length).toBeLessThanOrEqual(8);
      for (const entry of entries) {
        expect(entry.host.startsWith('127.0.1.')).toBe(true);
        expect(entry.port).toBeGreaterThan(0);
      }
      // Nearest first (XOR distance to the target).
      const distances = entries.map((e) => Buffer.from(e.id.map((b, j) => b ^ target[j]!)).toString('hex'));
      expect([...distances].sort()).toEqual(distances);
    }
  });

  it('answers their get_peers with a token and nodes, and takes their announce_peer with it', async () => {
    const asker = theirs[6]!;
    const target = ourAddress(2);
    const infohash = randomBytes(20);
    const answer = await theirQuery(asker, target, 'get_peers', { info_hash: infohash });
    const r = answer.r!;
    expect(bytes(r['id'])?.length).toBe(20);
    const token = bytes(r['token']);
    expect(token).toBeDefined();
    expect(token!.length).toBeGreaterThan(0);
    expect(bytes(r['nodes'])!.length % 26).toBe(0);
    expect(compactNodes(bytes(r['nodes'])!).length).toBeGreaterThan(0);
    expect(r['values']).toBeUndefined();

    const accepted = await theirQuery(asker, target, 'announce_peer', { info_hash: infohash, port: 7000, token: Buffer.from(token!) });
    expect(accepted.y && Buffer.from(accepted.y).toString()).toBe('r');
    const again = await theirQuery(asker, target, 'get_peers', { info_hash: infohash });
    const values = again.r!['values'] as Uint8Array[];
    expect(values.map((v) => Buffer.from(v).toString('hex'))).toContain(
      Buffer.from([...asker.address().address.split('.').map(Number), 7000 >> 8, 7000 & 0xff]).toString('hex'),
    );
  });

  it('reads their answers to our queries', async () => {
    const asker = ours[1]!;
    const them = theirs[7]!;
    const pong = await asker.ping(theirEndpoint(them));
    expect(Buffer.from(pong.id)).toEqual(them.nodeId);
    const found = await asker.query(theirEndpoint(them), 'find_node', { target: asker.id });
    expect(found.r.nodes!.length % 26).toBe(0);
    expect(found.r.nodes!.length).toBeGreaterThan(0);
    const peers = await asker.query(theirEndpoint(them), 'get_peers', { info_hash: randomBytes(20) });
    expect(peers.r.token!.length).toBe(20);
  });

  it('keeps counting no decode errors from their traffic', async () => {
    // Everything they sent us decoded: no 'decode:*' drops, no internal errors.
    const ok = await waitFor(() => ours.every((n) => n.stats().responsesIn['find_node'] !== undefined), 1_000);
    expect(ok).toBe(true);
    for (const node of ours) {
      const drops = Object.keys(node.stats().drops);
      expect(drops.filter((d) => d.startsWith('decode') || d === 'internal')).toEqual([]);
    }
  });
});
