/** BEP 33's bloom filter test vector: 192.0.2.0–255 and 2001:DB8::–2001:DB8::3E7 give the BEP's bytes and an estimate of 1224.9308. */
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { fromHex } from '../../src/util/hex.ts';
import { BLOOM_BYTES, bloomEstimate, bloomHas, bloomInsert, bloomUnion, createBloom } from '../../src/dht/scrape/index.ts';

const EXPECTED = fromHex(
  `F6C3F5EA A07FFD91 BDE89F77 7F26FB2B FF37BDB8 FB2BBAA2 FD3DDDE7 BACFFF75 EE7CCBAE
   FE5EEDB1 FBFAFF67 F6ABFF5E 43DDBCA3 FD9B9FFD F4FFD3E9 DFF12D1B DF59DB53 DBE9FA5B
   7FF3B8FD FCDE1AFB 8BEDD7BE 2F3EE71E BBBFE93B CDEEFE14 8246C2BC 5DBFF7E7 EFDCF24F
   D8DC7ADF FD8FFFDF DDFFF7A4 BBEEDF5C B95CE81F C7FCFF1F F4FFFFDF E5F7FDCB B7FD79B3
   FA1FC77B FE07FFF9 05B7B7FF C7FEFEFF E0B8370B B0CD3F5B 7F2BD93F EB4386CF DD6F7FD5
   BFAF2E9E BFFFFEEC D67ADBF7 C67F17EF D5D75EBA 6FFEBA7F FF47A91E B1BFBB53 E8ABFB57
   62ABE8FF 237279BF EFBFEEF5 FFC5FEBF DFE5ADFF ADFEE1FB 737FFFFB FD9F6AEF FEEE76B6
   FD8F72EF`.replace(/\s+/g, ''),
);

function vectorIps(): Uint8Array[] {
  const ips: Uint8Array[] = [];
  for (let i = 0; i <= 255; i++) ips.push(new Uint8Array([192, 0, 2, i]));
  for (let i = 0; i <= 0x3e7; i++) {
    const ip = new Uint8Array(16);
    ip.set([0x20, 0x01, 0x0d, 0xb8]);
    ip[14] = i >> 8;
    ip[15] = i & 0xff;
    ips.push(ip);
  }
  return ips;
}

describe.each(backends)('BEP 33 bloom filter (%s core SHA-1)', (backend) => {
  it('the test vector: bytes and estimate', async () => {
    const core = await loadCore(backend);
    expect(EXPECTED).toHaveLength(BLOOM_BYTES);
    const bloom = createBloom();
    const ips = vectorIps();
    expect(ips).toHaveLength(1256);
    for (const ip of ips) bloomInsert(bloom, ip, (b) => core.sha1(b));
    expect(bloom).toEqual(EXPECTED);
    // The BEP prints the estimate truncated to four decimals.
    expect(Math.trunc(bloomEstimate(bloom) * 1e4) / 1e4).toBe(1224.9308);
  });
});

describe('bloom filter operations', () => {
  it('the default SHA-1 gives the same bytes', () => {
    const bloom = createBloom();
    for (const ip of vectorIps()) bloomInsert(bloom, ip);
    expect(bloom).toEqual(EXPECTED);
  });

  it('union of two halves is the whole; members are found', () => {
    const ips = vectorIps();
    const a = createBloom();
    const b = createBloom();
    ips.forEach((ip, i) => bloomInsert(i % 2 ? a : b, ip));
    bloomUnion(a, b);
    expect(a).toEqual(EXPECTED);
    for (const ip of ips) expect(bloomHas(a, ip)).toBe(true);
  });

  it('estimates: an empty filter is about nothing, a full one stays finite', () => {
    expect(bloomEstimate(createBloom())).toBeLessThan(1);
    const full = createBloom().fill(0xff);
    expect(Number.isFinite(bloomEstimate(full))).toBe(true);
    expect(bloomEstimate(full)).toBeGreaterThan(7000);
  });
});
