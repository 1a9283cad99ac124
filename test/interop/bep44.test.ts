/**
 * BEP 44 items across implementations: a loopback network of 10 of
 * bittorrent-dht 11.0.12's nodes and 10 of ours (each on its own 127.0.x.y
 * address). Items they put (immutable, mutable with and without salt) are
 * read by our get; items we put are read by their get, whose ed25519 verify
 * must accept our signatures.
 */
import { randomBytes } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type BtDHT from 'bittorrent-dht';
import type { BtItem, BtPutOptions, BtVerify } from 'bittorrent-dht';
import { DHT, loadCore } from '../../src/index.ts';
import { generateKeypair, immutableTarget, signWith } from '../../src/dht/items/index.ts';
import { backends } from '../helpers/backends.ts';
import { startMixedSwarm } from '../helpers/mixed-swarm.ts';
import type { MixedSwarm } from '../helpers/mixed-swarm.ts';
import { within } from './helpers.ts';

ed.hashes.sha512 ??= (message) => sha512(message);

const SIZE = 10;
const ASCII = new TextEncoder();

/** ed25519 verify for their nodes; a malformed key or signature is a refusal, not a throw. */
const verify: BtVerify = (signature, message, publicKey) => {
  try {
    return ed.verify(signature, message, publicKey);
  } catch {
    return false;
  }
};

function theirPut(from: BtDHT, options: BtPutOptions): Promise<{ target: Buffer; accepted: number }> {
  return within(
    new Promise((resolve, reject) => {
      from.put(options, (error, target, accepted) => (error ? reject(error) : resolve({ target, accepted: accepted ?? 0 })));
    }),
    15_000,
    'their put',
  );
}

function theirGet(from: BtDHT, target: Uint8Array, salt?: Uint8Array): Promise<BtItem | null> {
  return within(
    new Promise((resolve, reject) => {
      // cache: false — a get must cross the network even on the node that put.
      from.get(target, { cache: false, ...(salt ? { salt } : {}) }, (error, item) => (error ? reject(error) : resolve(item)));
    }),
    15_000,
    'their get',
  );
}

const text = (value: unknown): string => Buffer.from(value as Uint8Array).toString('latin1');

describe.each(backends)('BEP 44 interop with bittorrent-dht 11 (%s core)', (backend) => {
  let swarm: MixedSwarm;
  const ours: DHT[] = [];
  const theirs: BtDHT[] = [];
  const octet = backend === 'wasm' ? 2 : 3;

  beforeAll(async () => {
    swarm = await startMixedSwarm({ size: SIZE, subnet: `127.0.${octet}`, core: await loadCore(backend), backend, theirs: { verify } });
    ours.push(...swarm.ours);
    theirs.push(...swarm.theirs);
  }, 120_000);

  afterAll(async () => {
    await swarm?.stop();
  });

  it('reads with our get an immutable item they put', { timeout: 30_000 }, async () => {
    const value = `theirs-immutable-${randomBytes(6).toString('hex')}`;
    const put = await theirPut(theirs[2]!, { v: Buffer.from(value) });
    expect(put.accepted).toBeGreaterThan(0);
    // Their target is SHA-1 of the bencoded value, as ours.
    expect(Buffer.from(put.target).equals(Buffer.from(immutableTarget(ASCII.encode(`${value.length}:${value}`))))).toBe(true);
    for (const reader of [ours[0]!, ours[7]!]) {
      const found = await reader.get(put.target, { signal: AbortSignal.timeout(10_000) });
      expect(found?.kind).toBe('immutable');
      expect(text(found!.value)).toBe(value);
    }
  });

  it.each([
    ['without salt', undefined],
    ['with salt', Buffer.from('interop-salt')],
  ])('reads with our get a mutable item they put (%s), with its seq', { timeout: 45_000 }, async (_, salt) => {
    const keypair = generateKeypair();
    const sign = (message: Buffer): Uint8Array => signWith(keypair, message);
    const base = { k: Buffer.from(keypair.publicKey), sign, ...(salt ? { salt } : {}) };
    const first = await theirPut(theirs[4]!, { ...base, v: Buffer.from('m-1'), seq: 1 });
    expect(first.accepted).toBeGreaterThan(0);
    const second = await theirPut(theirs[4]!, { ...base, v: Buffer.from('m-2'), seq: 2 });
    expect(second.accepted).toBeGreaterThan(0);
    const found = await ours[5]!.get({ publicKey: keypair.publicKey, ...(salt ? { salt } : {}) }, { signal: AbortSignal.timeout(10_000) });
    expect(found?.kind).toBe('mutable');
    expect(text(found!.value)).toBe('m-2');
    expect(Number(found!.seq)).toBe(2);
    expect(Buffer.from(found!.target).equals(second.target)).toBe(true);
    if (salt) {
      // The salt is part of the address: without it there is nothing.
      expect(await ours[5]!.get({ publicKey: keypair.publicKey }, { signal: AbortSignal.timeout(10_000) })).toBeUndefined();
    }
  });

  it('is read by their get after our putImmutable', { timeout: 30_000 }, async () => {
    const value = `ours-immutable-${randomBytes(6).toString('hex')}`;
    const put = await ours[3]!.putImmutable(value, { signal: AbortSignal.timeout(10_000) });
    expect(put.accepted).toBeGreaterThan(0);
    for (const reader of [theirs[0]!, theirs[8]!]) {
      const item = await theirGet(reader, put.target);
      expect(item).not.toBeNull();
      expect(text(item!.v)).toBe(value);
    }
  });

  it.each([
    ['without salt', undefined],
    ['with salt', 'our-salt'],
  ])('is read by their get, signature verified, after our putMutable (%s)', { timeout: 45_000 }, async (_, salt) => {
    const keypair = generateKeypair();
    const writer = ours[6]!;
    const v1 = await writer.putMutable({ keypair, value: 'o-1', ...(salt ? { salt } : {}), signal: AbortSignal.timeout(10_000) });
    expect(v1.accepted).toBeGreaterThan(0);
    const v2 = await writer.putMutable({ keypair, value: 'o-2', ...(salt ? { salt } : {}), signal: AbortSignal.timeout(10_000) });
    expect(v2.accepted).toBeGreaterThan(0);
    expect(Number(v2.seq)).toBeGreaterThan(Number(v1.seq));
    for (const reader of [theirs[1]!, theirs[9]!]) {
      const item = await theirGet(reader, v2.target, salt ? Buffer.from(salt) : undefined);
      expect(item).not.toBeNull();
      expect(text(item!.v)).toBe('o-2');
      expect(item!.seq).toBe(Number(v2.seq));
      expect(Buffer.from(item!.k!).equals(Buffer.from(keypair.publicKey))).toBe(true);
    }
    // Their nodes stored it too (their put handler verifies before storing).
    const holders = theirs.filter((t) => (t as unknown as { _values: { get(key: string): unknown } })._values.get(Buffer.from(v2.target).toString('hex')));
    expect(holders.length).toBeGreaterThan(0);
  });
});
