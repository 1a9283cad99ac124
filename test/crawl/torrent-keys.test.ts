/**
 * The keys a stored torrent gets: the same whether or not the fetcher's SHA-1
 * check is handed over (then the SHA-1 is not computed again), for v1, v2 and
 * hybrid dictionaries.
 */
import { describe, expect, it } from 'vitest';
import { dhtKeys, torrentKeys } from '../../src/crawl/store/keys.ts';
import { hybrid, sha256TruncatedHex, v1Multi, v1Single, v2Only } from './helpers/info-fixtures.ts';

describe('torrentKeys', () => {
  it('gives the same keys with the verified SHA-1 as when it hashes itself', () => {
    for (const [fixture, version] of [[v1Single('a', 5000), 1], [v1Multi('b'), 1], [hybrid('c'), 'hybrid']] as const) {
      const computed = torrentKeys(fixture.info, version);
      expect(computed.infohash).toBe(fixture.infohash);
      expect(torrentKeys(fixture.info, version, { infohash: fixture.infohash, by: 'sha1' })).toEqual(computed);
    }
    const h = hybrid('d');
    expect(dhtKeys(torrentKeys(h.info, 'hybrid', { infohash: h.infohash, by: 'sha1' }))).toEqual([h.infohash, sha256TruncatedHex(h.info)]);
  });

  it('takes the verified SHA-1 as given, and hashes when the check was SHA-256', () => {
    const v1 = v1Single('e', 100);
    expect(torrentKeys(v1.info, 1, { infohash: 'f'.repeat(40), by: 'sha1' }).infohash).toBe('f'.repeat(40));
    const v2 = v2Only('f');
    const keys = torrentKeys(v2.info, 2, { infohash: v2.infohash, by: 'sha256' });
    expect(keys.infohash).toBe(v2.infohash);
    expect(keys.infohashV2?.slice(0, 40)).toBe(v2.infohash);
    const hy = hybrid('g');
    expect(torrentKeys(hy.info, 'hybrid', { infohash: sha256TruncatedHex(hy.info), by: 'sha256' }).infohash).toBe(hy.infohash);
  });
});
