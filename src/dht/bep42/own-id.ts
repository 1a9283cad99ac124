/**
 * BEP 42, our own id: once the external-IP vote (ip-voter.ts) adopts an IP our
 * id does not fit, BEP 42 says a node "SHOULD consider restarting its DHT node
 * with a new node ID". This decides whether, and which id; node/identity.ts
 * rebuilds the tables around it.
 */
import type { RandomSource } from '../../ground/random.ts';
import { randomBytes } from '../../ground/random.ts';
import type { Bep42Mode } from '../options.ts';
import type { Crc32c } from './id-rule.ts';
import { bep42NodeId, isBep42Compliant, isBep42Exempt } from './id-rule.ts';

export interface OwnIdRule {
  mode: Bep42Mode;
  /** The embedder chose our id: it is never replaced. */
  chosen: boolean;
  crc32c: Crc32c;
  random: RandomSource;
}

/** Is `id` valid for our external `ip` (or `ip` a local address, exempt)? */
export function ownIdFits(id: Uint8Array, ip: Uint8Array, crc32c: Crc32c | undefined): boolean {
  return isBep42Exempt(ip) || (crc32c ? isBep42Compliant(id, ip, crc32c) : false);
}

/**
 * The id a newly adopted external `ip` calls for, or undefined when `current`
 * stays: mode 'off', an id the embedder chose, a local address, or an id that
 * already fits.
 */
export function ownIdFor(current: Uint8Array, ip: Uint8Array, rule: OwnIdRule): Uint8Array | undefined {
  if (rule.mode === 'off' || rule.chosen || ownIdFits(current, ip, rule.crc32c)) return undefined;
  return bep42NodeId(ip, randomBytes(rule.random, 20), rule.crc32c);
}
