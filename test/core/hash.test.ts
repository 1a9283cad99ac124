import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { latin1 } from '../helpers/bytes.ts';
import { toHex } from '../../src/util/hex.ts';
import { loadCore } from '../../src/core/index.ts';

describe.each(backends)('hashes on the %s backend', (backend) => {
  describe('SHA-1 (FIPS 180 vectors)', () => {
    it.each([
      ['abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
      ['', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
      ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
      [
        'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
        'a49b2446a02c645bf419f995b67091253a04a259',
      ],
    ])('sha1(%j)', async (input, digest) => {
      const core = await loadCore(backend);
      const out = core.sha1(latin1(input));
      expect(out).toBeInstanceOf(Uint8Array);
      expect(out.length).toBe(20);
      expect(toHex(out)).toBe(digest);
    });

    it('hashes a million "a"', async () => {
      const core = await loadCore(backend);
      expect(toHex(core.sha1(new Uint8Array(1_000_000).fill(0x61)))).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f');
    });

    it('hashes exactly the bytes of a view, not its whole buffer', async () => {
      const core = await loadCore(backend);
      const pool = latin1('xxabcyy');
      expect(toHex(core.sha1(pool.subarray(2, 5)))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    });

    it('returns a fresh digest each call', async () => {
      const core = await loadCore(backend);
      const first = core.sha1(latin1('abc'));
      core.sha1(latin1('other'));
      expect(toHex(first)).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    });
  });

  describe('CRC32C (RFC 3720)', () => {
    it.each<[string, Uint8Array, number]>([
      ['"123456789"', latin1('123456789'), 0xe3069283],
      ['32 bytes of zeros', new Uint8Array(32), 0x8a9136aa],
      ['32 bytes of 0xFF', new Uint8Array(32).fill(0xff), 0x62a8ab43],
      ['32 incrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
      ['32 decrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
      ['no bytes', new Uint8Array(0), 0],
    ])('crc32c(%s)', async (_, input, expected) => {
      const core = await loadCore(backend);
      const crc = core.crc32c(input);
      expect(crc).toBe(expected);
      expect(crc).toBeGreaterThanOrEqual(0);
    });

    it('covers exactly the bytes of a view', async () => {
      const core = await loadCore(backend);
      expect(core.crc32c(latin1('__123456789__').subarray(2, 11))).toBe(0xe3069283);
    });
  });
});
