/**
 * BEP 42, trust of others' ids: which nodes we trust with a place in the
 * routing table and with our announces, by whether their id matches their IP
 * (id-rule.ts).
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
import type { Crc32c } from './id-rule.ts';
import { complies, compliesIp } from './id-rule.ts';
import type { Bep42Mode } from '../options.ts';

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

  /**
   * `trusted` for a node known by its compact address (IP then 2 port bytes),
   * as routing table entries are: read straight from the bytes (the routing
   * upkeep checks a bucket's k nodes for each newcomer that finds it full).
   */
  trustedAddress(id: Uint8Array, compact: Uint8Array): boolean {
    if (this.mode === 'off') return true;
    return compliesIp(id, compact.subarray(0, compact.length - 2), this.crc32c);
  }
}
