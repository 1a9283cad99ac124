import { describe, expect, it } from 'vitest';
import { decodeCompactAddress, decodeCompactNodes, decodeCompactPeers, encodeCompactAddress, encodeCompactNodes, encodeCompactPeer } from '../../src/krpc/compact.ts';
import { ipFamily, readIPv6 } from '../../src/ground/address.ts';

describe('compact peer and node info', () => {
  it('IPv4 peer: 6 bytes, network order', () => {
    const bytes = encodeCompactAddress('192.0.2.10', 0x1ae1)!;
    expect(Array.from(bytes)).toEqual([192, 0, 2, 10, 0x1a, 0xe1]);
    expect(decodeCompactAddress(bytes)).toEqual({ host: '192.0.2.10', port: 6881, family: 4 });
  });

  it('IPv6 peer: 18 bytes, canonical text back', () => {
    const bytes = encodeCompactAddress('2001:DB8:0:0:0:0:0:1', 443)!;
    expect(bytes).toHaveLength(18);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x20, 0x01, 0x0d, 0xb8]);
    expect(decodeCompactAddress(bytes)).toEqual({ host: '2001:db8::1', port: 443, family: 6 });
    expect(decodeCompactAddress(encodeCompactAddress('::', 1)!)?.host).toBe('::');
    expect(decodeCompactAddress(encodeCompactAddress('::ffff:1.2.3.4', 1)!)?.host).toBe('::ffff:102:304');
    expect(decodeCompactAddress(encodeCompactAddress('fe80::1%eth0', 1)!)?.host).toBe('fe80::1');
    expect(decodeCompactAddress(encodeCompactAddress('[::1]', 1)!)?.host).toBe('::1');
  });

  it('RFC 5952: the longest zero run is compressed, a single zero word is not', () => {
    const words = (ws: number[]): Uint8Array => new Uint8Array(ws.flatMap((w) => [w >> 8, w & 255]));
    expect(readIPv6(words([1, 0, 0, 2, 0, 0, 0, 3]), 0)).toBe('1:0:0:2::3');
    expect(readIPv6(words([1, 0, 2, 3, 4, 5, 6, 7]), 0)).toBe('1:0:2:3:4:5:6:7');
    expect(readIPv6(words([0, 0, 0, 0, 0, 0, 0, 1]), 0)).toBe('::1');
  });

  it('rejects what is not an IP literal or a port', () => {
    for (const host of ['example.com', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '', '1:2:3', ':::', '1::2::3', '12345::']) {
      expect(encodeCompactAddress(host, 1), host).toBeUndefined();
    }
    expect(encodeCompactAddress('1.2.3.4', 65536)).toBeUndefined();
    expect(encodeCompactAddress('1.2.3.4', -1)).toBeUndefined();
    expect(() => encodeCompactPeer({ host: 'example.com', port: 1 })).toThrow(TypeError);
    expect(ipFamily('10.0.0.1')).toBe(4);
    expect(ipFamily('::1')).toBe(6);
    expect(ipFamily('localhost')).toBeUndefined();
  });

  it('decodes values, skipping wrong sizes and port 0', () => {
    const values = [encodeCompactAddress('10.0.0.1', 1)!, new Uint8Array(5), encodeCompactAddress('10.0.0.2', 0)!, encodeCompactAddress('::2', 9)!];
    expect(decodeCompactPeers(values)).toEqual([
      { host: '10.0.0.1', port: 1 },
      { host: '::2', port: 9 },
    ]);
  });

  it('node info round-trips, 26 bytes (IPv4) and 38 bytes (IPv6) per node, partial tail ignored', () => {
    const nodes = [
      { id: new Uint8Array(20).fill(1), host: '10.0.0.1', port: 6881 },
      { id: new Uint8Array(20).fill(2), host: '10.0.0.2', port: 6882 },
    ];
    const packed = encodeCompactNodes(nodes, 4);
    expect(packed).toHaveLength(52);
    const withTail = new Uint8Array(60);
    withTail.set(packed);
    const decoded = decodeCompactNodes(withTail, 4);
    expect(decoded.map((n) => [n.id[0], n.host, n.port, n.address.length])).toEqual([
      [1, '10.0.0.1', 6881, 6],
      [2, '10.0.0.2', 6882, 6],
    ]);
    const six = encodeCompactNodes([{ id: new Uint8Array(20).fill(3), host: '2001:db8::7', port: 1 }], 6);
    expect(six).toHaveLength(38);
    expect(decodeCompactNodes(six, 6)[0]).toMatchObject({ host: '2001:db8::7', port: 1, family: 6 });
    expect(() => encodeCompactNodes([{ id: new Uint8Array(20), host: '::1', port: 1 }], 4)).toThrow(TypeError);
  });
});
