/**
 * BEP 44 "Test Vectors": the signature buffers, targets and signatures for the
 * given key, with and without salt, and the immutable target.
 */
import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { fromHex, toHex } from '../../src/util/hex.ts';
import { seededRandom } from '../../src/ground/random.ts';
import {
  formatKeyFile,
  generateKeypair,
  immutableTarget,
  keypairFromSeed,
  loadKeypair,
  mutableTarget,
  parseKeyFile,
  saveKeypair,
  signWith,
  signWithExpandedKey,
  signatureBuffer,
  verifySignature,
} from '../../src/dht/items/index.ts';
import { expandedKeyPublic } from '../../src/dht/items/signature.ts';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const PUBLIC_KEY = fromHex('77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548');
const PRIVATE_KEY = fromHex(
  'e06d3183d14159228433ed599221b80bd0a5ce8352e4bdf0262f76786ef1c74d' + 'b7e7a9fea2c0eb269d61e3b38e450a22e754941ac78479d6c54e1faf6037881d',
);
const SIG_NO_SALT =
  '305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff' + '1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01';
const SIG_SALT =
  '6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d' + 'df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08';

describe.each(backends)('BEP 44 test vectors (%s core)', (backend) => {
  it('test 1 (mutable): buffer, target, signature', async () => {
    const core = await loadCore(backend);
    const encoded = core.encode('Hello World!');
    expect(text(encoded)).toBe('12:Hello World!');
    const buffer = signatureBuffer(1n, encoded);
    expect(text(buffer)).toBe('3:seqi1e1:v12:Hello World!');
    expect(toHex(mutableTarget(PUBLIC_KEY, undefined, (b) => core.sha1(b)))).toBe('4a533d47ec9c7d95b1ad75f576cffc641853b750');
    expect(expandedKeyPublic(PRIVATE_KEY)).toEqual(PUBLIC_KEY);
    expect(toHex(signWithExpandedKey(buffer, PRIVATE_KEY))).toBe(SIG_NO_SALT);
    expect(verifySignature(fromHex(SIG_NO_SALT), buffer, PUBLIC_KEY)).toBe(true);
  });

  it('test 2 (mutable with salt): buffer, target, signature', async () => {
    const core = await loadCore(backend);
    const salt = new TextEncoder().encode('foobar');
    const buffer = signatureBuffer(1n, core.encode('Hello World!'), salt);
    expect(text(buffer)).toBe('4:salt6:foobar3:seqi1e1:v12:Hello World!');
    expect(toHex(mutableTarget(PUBLIC_KEY, salt, (b) => core.sha1(b)))).toBe('411eba73b6f087ca51a3795d9c8c938d365e32c1');
    expect(toHex(signWithExpandedKey(buffer, PRIVATE_KEY))).toBe(SIG_SALT);
    expect(verifySignature(fromHex(SIG_SALT), buffer, PUBLIC_KEY)).toBe(true);
    // The salt is part of what is signed: the other vector's signature does not cover this buffer.
    expect(verifySignature(fromHex(SIG_NO_SALT), buffer, PUBLIC_KEY)).toBe(false);
  });

  it('test 3 (immutable): target', async () => {
    const core = await loadCore(backend);
    expect(toHex(immutableTarget(core.encode('Hello World!'), (b) => core.sha1(b)))).toBe('e5f96f6f38320f0f33959cb4d3d656452117aadb');
  });
});

describe('BEP 44 signatures and keys', () => {
  it('an empty salt signs like no salt', () => {
    const encoded = new TextEncoder().encode('12:Hello World!');
    expect(signatureBuffer(1n, encoded, new Uint8Array(0))).toEqual(signatureBuffer(1n, encoded));
    expect(mutableTarget(PUBLIC_KEY, new Uint8Array(0))).toEqual(mutableTarget(PUBLIC_KEY));
  });

  it('seq beyond 2^53 goes into the buffer exactly', () => {
    const buffer = signatureBuffer(0x7fff_ffff_ffff_ffffn, new TextEncoder().encode('i1e'));
    expect(text(buffer)).toBe('3:seqi9223372036854775807e1:vi1e');
  });

  it('a seed keypair signs what verifies, and nothing else does', () => {
    const keypair = generateKeypair(seededRandom(3));
    const message = signatureBuffer(7n, new TextEncoder().encode('3:abc'));
    const signature = signWith(keypair, message);
    expect(verifySignature(signature, message, keypair.publicKey)).toBe(true);
    const tampered = message.slice();
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
    expect(verifySignature(signature, tampered, keypair.publicKey)).toBe(false);
    const other = generateKeypair(seededRandom(4));
    expect(verifySignature(signature, message, other.publicKey)).toBe(false);
    // Garbage never throws.
    expect(verifySignature(new Uint8Array(64).fill(0xff), message, new Uint8Array(32).fill(0xff))).toBe(false);
    expect(verifySignature(signature.subarray(0, 63), message, keypair.publicKey)).toBe(false);
  });

  it('the RFC 8032 test 1 seed gives its public key', () => {
    const keypair = keypairFromSeed('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    expect(toHex(keypair.publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(toHex(signWith(keypair, new Uint8Array(0)))).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('key files round-trip, and bad ones are refused', () => {
    const keypair = generateKeypair(seededRandom(9));
    const file = formatKeyFile(keypair);
    expect(file).toContain(`seed ${toHex(keypair.seed)}`);
    expect(parseKeyFile(file)).toEqual(keypair);
    expect(parseKeyFile(toHex(keypair.seed) + '\n')).toEqual(keypair);
    const wrongPublic = file.replace(`public-key ${toHex(keypair.publicKey)}`, `public-key ${'00'.repeat(32)}`);
    expect(() => parseKeyFile(wrongPublic)).toThrow(/does not match/);
    expect(() => parseKeyFile('# nothing\n')).toThrow(/no 'seed'/);
    expect(() => parseKeyFile('seed 1234\n')).toThrow(/64 hex/);
    expect(() => parseKeyFile('hello world\n')).toThrow(/unexpected line/);
  });

  it('key files on disk: owner-only, never overwritten by accident', async () => {
    const { mkdtemp, rm, stat } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'btdht-key-'));
    try {
      const path = join(dir, 'item.key');
      const keypair = generateKeypair(seededRandom(12));
      await saveKeypair(path, keypair);
      expect(await loadKeypair(path)).toEqual(keypair);
      expect((await stat(path)).mode & 0o077).toBe(0);
      await expect(saveKeypair(path, generateKeypair(seededRandom(13)))).rejects.toThrow();
      await saveKeypair(path, generateKeypair(seededRandom(13)), { overwrite: true });
      expect(await loadKeypair(path)).not.toEqual(keypair);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
