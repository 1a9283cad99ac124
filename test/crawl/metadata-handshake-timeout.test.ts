/**
 * The handshake deadline: a peer that accepts the connection and never speaks
 * frees its slot at handshakeTimeoutMs, not at peerTimeoutMs; a peer that has
 * told its metadata_size keeps the whole peer time, however slow its pieces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataFetcher } from '../../src/crawl/metadata/index.ts';
import { startFakePeer, type FakePeer } from './helpers/fake-peer.ts';
import { v1Single } from './helpers/info-fixtures.ts';

describe('MetadataFetcher handshake deadline', () => {
  const silentInfo = v1Single('silent', 50_000, 200);
  const slowInfo = v1Single('slow-pieces', 1_000_000, 2000); // three BEP 9 pieces
  let silent: FakePeer;
  let slow: FakePeer;

  beforeAll(async () => {
    silent = await startFakePeer({ host: '127.0.0.61', behavior: 'stall', info: silentInfo.info });
    slow = await startFakePeer({ host: '127.0.0.62', behavior: 'honest', info: slowInfo.info, delayMs: 800 });
  });

  afterAll(async () => {
    await Promise.all([silent.close(), slow.close()]);
  });

  it('drops a silent peer at the handshake deadline, counted as handshake-timeout', async () => {
    const fetcher = new MetadataFetcher({ handshakeTimeoutMs: 300, peerTimeoutMs: 20_000, totalTimeoutMs: 30_000 });
    try {
      const result = await fetcher.fetch(silentInfo.infohash, [{ host: silent.host, port: silent.port }]);
      expect(result).toMatchObject({ ok: false, reason: 'peers-failed' });
      expect(result.attempts.map((a) => a.outcome)).toEqual(['handshake-timeout']);
      expect(fetcher.stats().peerFailures['handshake-timeout']).toBe(1);
      expect(fetcher.stats().peerFailures.timeout).toBe(0);
      expect(silent.connections).toBe(1);
    } finally {
      await fetcher.close();
    }
  });

  it('keeps a peer that told its size past the handshake deadline, up to the peer time', async () => {
    const fetcher = new MetadataFetcher({ handshakeTimeoutMs: 300, peerTimeoutMs: 20_000, totalTimeoutMs: 30_000 });
    try {
      const result = await fetcher.fetch(slowInfo.infohash, [{ host: slow.host, port: slow.port }]);
      expect(result.ok).toBe(true); // pieces answered after 800 ms: past the 300 ms handshake time
      expect(fetcher.stats().peerFailures['handshake-timeout']).toBe(0);
    } finally {
      await fetcher.close();
    }
  });

  it('leaves a silent peer to the peer time when that comes first', async () => {
    const fetcher = new MetadataFetcher({ handshakeTimeoutMs: 5_000, peerTimeoutMs: 400, totalTimeoutMs: 10_000 });
    try {
      const result = await fetcher.fetch(silentInfo.infohash, [{ host: silent.host, port: silent.port }]);
      expect(result.ok).toBe(false);
      expect(result.attempts.map((a) => a.outcome)).toEqual(['timeout']);
    } finally {
      await fetcher.close();
    }
  });

  it('refuses a handshake time that is not a positive number', () => {
    expect(() => new MetadataFetcher({ handshakeTimeoutMs: 0 })).toThrow(/handshakeTimeoutMs must be a positive number/);
  });
});
