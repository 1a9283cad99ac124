/**
 * BEP 42, external-IP voting: our external IP, by vote (BEP 42: "there should be some mechanism to
 * determine whether or not the node has a correct understanding of its
 * external IP ... This could be done by voting").
 *
 * Every answer to one of our queries may carry `ip`: our address as the
 * responder saw it. Each responder network (/24 for IPv4, /64 for IPv6, so one
 * operator's block votes once) holds one vote, its latest, for IP only (NATs
 * change ports). An IP is adopted once `threshold` networks agree on it and it
 * has more votes than the IP adopted before. Votes expire after `ttlMs`, and
 * at most `maxVoters` are kept (the oldest is forgotten first): bounded memory
 * whatever responders say.
 */
import { bytesKey, keyBytes } from '../../util/bytes.ts';
import { ipBytes } from './id-rule.ts';

interface Vote {
  ip: string;
  at: number;
}

export interface IpVoterOptions {
  threshold: number;
  maxVoters: number;
  ttlMs: number;
}

export class IpVoter {
  readonly #options: IpVoterOptions;
  /** Voter network → its vote, oldest first. */
  readonly #votes = new Map<string, Vote>();
  /** IP (bytesKey of 4 or 16 bytes) → votes for it. */
  readonly #tally = new Map<string, number>();
  #current: string | undefined;

  constructor(options: IpVoterOptions) {
    this.#options = options;
  }

  /** Voters remembered. */
  get size(): number {
    return this.#votes.size;
  }

  /** Votes held for the adopted IP (0 before one is adopted). */
  get votesForCurrent(): number {
    return this.#current === undefined ? 0 : (this.#tally.get(this.#current) ?? 0);
  }

  /** Distinct IPs voted for: more than one means responders disagree (a NAT, a liar). */
  get candidates(): number {
    return this.#tally.size;
  }

  /** The adopted external IP (4 or 16 bytes), if any. */
  get ip(): Uint8Array | undefined {
    return this.#current === undefined ? undefined : keyBytes(this.#current);
  }

  /**
   * `voterHost` reports our address as `compact` (IP + port, 6 or 18 bytes).
   * Returns the IP (4 or 16 bytes) when this vote changed the adopted one.
   */
  vote(compact: Uint8Array, voterHost: string, now: number): Uint8Array | undefined {
    if (compact.length !== 6 && compact.length !== 18) return undefined;
    const voterIp = ipBytes(voterHost);
    if (!voterIp) return undefined;
    const voter = bytesKey(voterIp.subarray(0, voterIp.length === 4 ? 3 : 8));
    const ip = bytesKey(compact.subarray(0, compact.length - 2));
    this.#expire(now);
    const previous = this.#votes.get(voter);
    if (previous) {
      this.#votes.delete(voter);
      this.#count(previous.ip, -1);
    } else if (this.#votes.size >= this.#options.maxVoters) {
      const [oldest, vote] = this.#votes.entries().next().value!;
      this.#votes.delete(oldest);
      this.#count(vote.ip, -1);
    }
    this.#votes.set(voter, { ip, at: now });
    const votes = this.#count(ip, 1);
    if (ip === this.#current || votes < this.#options.threshold) return undefined;
    if (this.#current !== undefined && votes <= (this.#tally.get(this.#current) ?? 0)) return undefined;
    this.#current = ip;
    return keyBytes(ip);
  }

  #count(ip: string, delta: number): number {
    const votes = (this.#tally.get(ip) ?? 0) + delta;
    if (votes <= 0) this.#tally.delete(ip);
    else this.#tally.set(ip, votes);
    return votes;
  }

  #expire(now: number): void {
    for (const [voter, vote] of this.#votes) {
      if (now - vote.at < this.#options.ttlMs) break;
      this.#votes.delete(voter);
      this.#count(vote.ip, -1);
    }
  }
}
