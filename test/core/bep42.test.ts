import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { seededBytes } from '../helpers/bytes.ts';
import { fromHex } from '../../src/util/hex.ts';
import { loadCore } from '../../src/core/index.ts';
import { bep42NodeId, bep42Prefix, isBep42Compliant, isBep42Exempt } from '../../src/dht/bep42/id-rule.ts';
import { Bep42Policy } from '../../src/dht/bep42/trust.ts';
import { encodeCompactAddress } from '../../src/krpc/compact.ts';

const ip = (dotted: string): Uint8Array => Uint8Array.from(dotted.split('.'), Number);

/** BEP 42's test vectors: IP, rand, an example compliant node id. */
const vectors: [string, number, string][] = [
  ['124.31.75.21', 1, '5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401'],
  ['21.75.31.124', 86, '5a3ce9c14e7a08645677bbd1cfe7d8f956d53256'],
  ['65.23.51.170', 22, 'a5d43220bc8f112a3d426c84764f8c2a1150e616'],
  ['84.124.73.14', 65, '1b0321dd1bb1fe518101ceef99462b947a01ff41'],
  ['43.213.53.83', 90, 'e56f6cbf5b7c4be0237986d5243b87aa6d51305a'],
];

describe.each(backends)('BEP 42 node ids with the %s backend crc32c', (backend) => {
  it.each(vectors)('%s rand %i gives the prefix of %s', async (address, rand, example) => {
    const { crc32c } = await loadCore(backend);
    const id = fromHex(example);
    expect(id[19]).toBe(rand);
    const prefix = bep42Prefix(ip(address), rand, crc32c);
    expect(prefix).toBe((id[0]! << 13) | (id[1]! << 5) | (id[2]! >> 3));
    expect(isBep42Compliant(id, ip(address), crc32c)).toBe(true);
  });

  it('rejects an id whose first 21 bits or last byte do not fit the IP', async () => {
    const { crc32c } = await loadCore(backend);
    const [address, , example] = vectors[0]!;
    for (const bit of [0, 7, 13, 20]) {
      const id = fromHex(example);
      id[bit >> 3] = id[bit >> 3]! ^ (0x80 >> (bit & 7));
      expect(isBep42Compliant(id, ip(address), crc32c)).toBe(false);
    }
    // bits 21..23 are free
    const free = fromHex(example);
    free[2] = free[2]! ^ 0x07;
    expect(isBep42Compliant(free, ip(address), crc32c)).toBe(true);
    // another r in the last byte changes the expected prefix
    const otherRand = fromHex(example);
    otherRand[19] = otherRand[19]! ^ 0x02;
    expect(isBep42Compliant(otherRand, ip(address), crc32c)).toBe(false);
    expect(isBep42Compliant(fromHex(example), ip('128.95.203.21'), crc32c)).toBe(true); // bits outside the mask don't matter
    expect(isBep42Compliant(fromHex(example), ip('125.31.75.21'), crc32c)).toBe(false);
    expect(isBep42Compliant(fromHex(example).subarray(0, 19), ip(address), crc32c)).toBe(false);
  });

  it('makes compliant ids from random bytes, keeping the random part', async () => {
    const { crc32c } = await loadCore(backend);
    const random = seededBytes(42);
    for (const address of [ip('1.2.3.4'), ip('203.0.113.9'), fromHex('20010db8000000000000000000000001')]) {
      for (let i = 0; i < 50; i++) {
        const bytes = random(20);
        const id = bep42NodeId(address, bytes, crc32c);
        expect(isBep42Compliant(id, address, crc32c)).toBe(true);
        expect([...id.subarray(3)]).toEqual([...bytes.subarray(3)]);
        expect(id[2]! & 7).toBe(bytes[2]! & 7);
      }
    }
  });

  it('uses only the first 8 bytes of an IPv6 address', async () => {
    const { crc32c } = await loadCore(backend);
    const a = fromHex('20010db8aaaabbbb0000000000000001');
    const b = fromHex('20010db8aaaabbbbffffffffffffffff');
    expect(bep42Prefix(a, 5, crc32c)).toBe(bep42Prefix(b, 5, crc32c));
    expect(bep42Prefix(a, 5, crc32c)).not.toBe(bep42Prefix(a, 4, crc32c));
    expect(() => bep42Prefix(new Uint8Array(5), 0, crc32c)).toThrow(RangeError);
  });
});

describe.each(backends)('BEP 42 trust read from a compact address (%s backend crc32c)', (backend) => {
  it('agrees with the check by host text: compliant, not, exempt, IPv4 and IPv6, every mode', async () => {
    const { crc32c } = await loadCore(backend);
    const hosts = ['124.31.75.21', '21.75.31.124', '127.0.0.1', '8.8.8.8', '2001:db8::1', 'fe80::1', '::1'];
    const random = seededBytes(7);
    const ids = [...vectors.map(([, , example]) => fromHex(example)), random(20)];
    for (const host of hosts) {
      // A compliant id for each host too, so both answers occur for every kind of address.
      const bytes = encodeCompactAddress(host, 6881)!;
      ids.push(bep42NodeId(bytes.subarray(0, bytes.length - 2), random(20), crc32c));
    }
    let trustedCount = 0;
    for (const mode of ['off', 'prefer', 'enforce'] as const) {
      const policy = new Bep42Policy(mode, crc32c);
      for (const host of hosts) {
        const compact = encodeCompactAddress(host, 6881)!;
        for (const id of ids) {
          const byText = policy.trusted(id, host);
          expect(policy.trustedAddress(id, compact), `${mode} ${host}`).toBe(byText);
          if (byText) trustedCount++;
        }
      }
    }
    const total = 3 * hosts.length * ids.length;
    expect(trustedCount).toBeGreaterThan(total / 3); // 'off' alone trusts a third
    expect(trustedCount).toBeLessThan(total);
  });
});

describe('BEP 42 exemptions', () => {
  it.each([
    ['10.1.2.3', true], ['127.0.0.1', true], ['172.16.0.1', true], ['172.31.255.255', true], ['172.32.0.1', false],
    ['192.168.1.1', true], ['192.169.1.1', false], ['169.254.3.4', true], ['8.8.8.8', false],
  ])('%s exempt: %s', (address, exempt) => {
    expect(isBep42Exempt(ip(address))).toBe(exempt);
  });

  it('exempts IPv6 loopback, link-local and unique-local addresses only', () => {
    expect(isBep42Exempt(fromHex('00000000000000000000000000000001'))).toBe(true);
    expect(isBep42Exempt(fromHex('fe800000000000000000000000000001'))).toBe(true);
    expect(isBep42Exempt(fromHex('fd000000000000000000000000000001'))).toBe(true);
    expect(isBep42Exempt(fromHex('20010db8000000000000000000000001'))).toBe(false);
  });
});
