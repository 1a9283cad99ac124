import bencode from 'bencode';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TorrentFileWriter } from '../../src/crawl/store/index.ts';
import { sha1Hex, v1Multi, v2Only } from './helpers/info-fixtures.ts';

describe('TorrentFileWriter', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'btdht-torrents-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes { info } around the exact info bytes, in a folder named by the first byte', async () => {
    const writer = new TorrentFileWriter(dir);
    for (const fixture of [v1Multi('multi'), v2Only('v2')]) {
      const path = await writer.write(fixture.infohash, fixture.info);
      expect(path).toBe(join(dir, fixture.infohash.slice(0, 2), `${fixture.infohash}.torrent`));
      const bytes = readFileSync(path);
      const decoded = bencode.decode(bytes) as { info: Record<string, unknown> };
      expect(Object.keys(decoded)).toEqual(['info']);
      // The info dictionary inside is byte for byte the one that was verified.
      const inner = bytes.subarray(7, bytes.length - 1);
      expect(Buffer.compare(inner, Buffer.from(fixture.info))).toBe(0);
      expect(sha1Hex(bencode.encode(decoded.info))).toBe(sha1Hex(fixture.info));
    }
  });

  it('leaves no temporary file behind and keeps an existing file', async () => {
    const writer = new TorrentFileWriter(dir);
    const fixture = v1Multi('once');
    const path = await writer.write(fixture.infohash, fixture.info);
    await writer.write(fixture.infohash, new Uint8Array([1, 2, 3])); // exists: untouched
    expect(Buffer.compare(readFileSync(path).subarray(7, -1), Buffer.from(fixture.info))).toBe(0);
    expect(readdirSync(join(dir, fixture.infohash.slice(0, 2)))).toEqual([`${fixture.infohash}.torrent`]);
  });

  it('refuses an infohash that is not 40 lower-case hex before touching the disk', async () => {
    const writer = new TorrentFileWriter(dir);
    await expect(writer.write('../../etc/passwd', new Uint8Array(1))).rejects.toThrow(TypeError);
    expect(existsSync(join(dir, '..', '..', 'etc', 'passwd.torrent'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
