/**
 * BEP 42 policy: which nodes we trust with a place in the routing table and
 * with our announces, by whether their id matches their IP (node-id.ts).
 *
 * - 'off': every node passes.
 * - 'prefer': every node passes; the routing upkeep trades a non-compliant
 *   bucket node for a compliant newcomer when the bucket is full.
 * - 'enforce': non-compliant nodes stay out of the table, and their answers do
 *   not count toward a lookup's result, so no announce goes to them (BEP 42
 *   "Enforcement"). Their queries are still answered, as the BEP asks.
 *
 * Nodes on local addresses are exempt in every mode (BEP 42's list, and the
 * IPv6 equivalents).
 */
import type { Crc32c } from './node-id.ts';
import { isBep42Compliant, isBep42Exempt } from './node-id.ts';
import type { Bep42Mode } from './options.ts';
import { encodeCompactAddress } from '../krpc/compact.ts';

/** The IP bytes (4 or 16) of a numeric host, or undefined. */
export function ipBytes(host: string): Uint8Array | undefined {
  const compact = encodeCompactAddress(host, 0);
  return compact?.subarray(0, compact.length - 2);
}

export class Bep42Policy {
  /** Nodes refused a place in the table ('enforce'), and non-compliant nodes traded for compliant ones ('prefer'). */
  refused = 0;
  replaced = 0;

  constructor(
    readonly mode: Bep42Mode,
    private readonly crc32c: Crc32c,
  ) {}

  /** Does the node `id` at `host` follow BEP 42, or need not (exempt address, mode 'off')? */
  trusted(id: Uint8Array, host: string): boolean {
    if (this.mode === 'off') return true;
    return complies(id, host, this.crc32c);
  }
}

/** Is `id` BEP 42-compliant for `host`, or is `host` a local address (exempt)? A host that is not an IP literal is not. */
export function complies(id: Uint8Array, host: string, crc32c: Crc32c): boolean {
  const ip = ipBytes(host);
  if (!ip) return false;
  return isBep42Exempt(ip) || isBep42Compliant(id, ip, crc32c);
}
