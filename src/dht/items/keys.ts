/**
 * Keypairs for mutable items: a 32-byte ed25519 seed (the RFC 8032 secret
 * key) and its 32-byte public key. The key file `btdht keygen` writes is text:
 *
 *   # btdht ed25519 keypair (BEP 44) ...
 *   seed <64 hex>
 *   public-key <64 hex>
 *
 * Reading accepts that, or one bare line of 64 hex (a seed).
 */
import type { RandomSource } from '../../ground/random.ts';
import { cryptoRandom } from '../../ground/random.ts';
import { fromHex, toHex } from '../../util/hex.ts';
import { bytesEqual } from '../../util/bytes.ts';
import { PUBLIC_KEY_BYTES, SEED_BYTES } from './constants.ts';
import { seedPublic, signWithSeed } from './signature.ts';

/**
 * @example
 * import { generateKeypair, toHex, type Keypair } from 'btdht';
 * const keypair: Keypair = generateKeypair();
 * console.log('public key', toHex(keypair.publicKey)); // share it; keep keypair.seed secret
 */
export interface Keypair {
  /** The secret: whoever has it can update the items of this key. */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * A new random keypair.
 * @example
 * import { DHT, generateKeypair } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const keypair = generateKeypair();
 * await dht.putMutable({ keypair, value: 'v1', salt: 'profile' });
 */
export function generateKeypair(random: RandomSource = cryptoRandom): Keypair {
  const seed = new Uint8Array(SEED_BYTES);
  random(seed);
  return keypairFromSeed(seed);
}

/**
 * The keypair of a 32-byte seed (bytes or 64 hex chars).
 * @example
 * import { keypairFromSeed, toHex } from 'btdht';
 * const keypair = keypairFromSeed('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
 * toHex(keypair.publicKey); // 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a' (RFC 8032 test 1)
 */
export function keypairFromSeed(seed: Uint8Array | string): Keypair {
  const bytes = typeof seed === 'string' ? hexField(seed, 'seed') : seed.slice();
  if (bytes.length !== SEED_BYTES) throw new RangeError(`an ed25519 seed is ${SEED_BYTES} bytes, got ${bytes.length}`);
  return { seed: bytes, publicKey: seedPublic(bytes) };
}

/** Sign `message` with `keypair`. */
export function signWith(keypair: Keypair, message: Uint8Array): Uint8Array {
  return signWithSeed(message, keypair.seed);
}

/**
 * The key file text of `keypair`.
 * @example
 * import { formatKeyFile, generateKeypair } from 'btdht';
 * console.log(formatKeyFile(generateKeypair())); // '# btdht ed25519 keypair ...', 'seed <hex>', 'public-key <hex>'
 */
export function formatKeyFile(keypair: Keypair): string {
  return [
    '# btdht ed25519 keypair (BEP 44). Keep this file secret: the seed signs your mutable items.',
    `seed ${toHex(keypair.seed)}`,
    `public-key ${toHex(keypair.publicKey)}`,
    '',
  ].join('\n');
}

/**
 * Read a key file's text. Throws TypeError / RangeError saying what is wrong.
 * @example
 * import { formatKeyFile, generateKeypair, parseKeyFile } from 'btdht';
 * const text = formatKeyFile(generateKeypair());
 * const keypair = parseKeyFile(text); // throws TypeError or RangeError on a malformed file
 */
export function parseKeyFile(text: string): Keypair {
  let seed: string | undefined;
  let publicKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [name, value, ...rest] = line.split(/\s+/);
    if (value === undefined && /^[0-9a-fA-F]{64}$/.test(name!)) seed ??= name;
    else if (name === 'seed' && value !== undefined && rest.length === 0) seed = value;
    else if (name === 'public-key' && value !== undefined && rest.length === 0) publicKey = value;
    else throw new TypeError(`key file: unexpected line ${JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}…` : line)}`);
  }
  if (seed === undefined) throw new TypeError("key file: no 'seed' line");
  const keypair = keypairFromSeed(seed);
  if (publicKey !== undefined && !bytesEqual(hexField(publicKey, 'public-key'), keypair.publicKey)) {
    throw new RangeError('key file: the public-key line does not match the seed');
  }
  return keypair;
}

/** A 32-byte public key from bytes or 64 hex chars. */
export function toPublicKey(value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === 'string' ? hexField(value, 'public key') : value.slice();
  if (bytes.length !== PUBLIC_KEY_BYTES) throw new RangeError(`an ed25519 public key is ${PUBLIC_KEY_BYTES} bytes, got ${bytes.length}`);
  return bytes;
}

function hexField(text: string, what: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new TypeError(`${what} must be 64 hex characters`);
  return fromHex(text);
}
