import { describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import { TokenManager } from '../../src/dht/tokens.ts';
import { seededRandom } from '../../src/ground/random.ts';
import { encodeCompactAddress } from '../../src/krpc/compact.ts';
import { ManualClock } from './helpers.ts';

const MINUTE = 60_000;

describe.each(backends)('tokens (%s core)', (backend) => {
  async function setup() {
    const core = await loadCore(backend);
    const clock = new ManualClock();
    const tokens = new TokenManager((b) => core.sha1(b), clock, seededRandom(3));
    return { clock, tokens };
  }
  const alice = encodeCompactAddress('192.0.2.1', 4000)!;
  const bob = encodeCompactAddress('192.0.2.2', 4000)!;
  const alice6 = encodeCompactAddress('2001:db8::1', 4000)!;

  it('is 8 bytes, stable within a period, and different per IP', async () => {
    const { tokens } = await setup();
    const a = tokens.issue(alice);
    expect(a).toHaveLength(8);
    expect(tokens.issue(alice)).toEqual(a);
    expect(tokens.issue(bob)).not.toEqual(a);
    expect(tokens.issue(alice6)).toHaveLength(8);
    expect(tokens.verify(a, alice)).toBe(true);
    expect(tokens.verify(a, bob)).toBe(false);
    expect(tokens.verify(tokens.issue(alice6), alice6)).toBe(true);
  });

  it('binds the IP, not the port (BEP 5: a NAT may change the source port)', async () => {
    const { tokens } = await setup();
    const a = tokens.issue(alice);
    expect(tokens.issue(encodeCompactAddress('192.0.2.1', 5000)!)).toEqual(a);
    expect(tokens.verify(a, encodeCompactAddress('192.0.2.1', 1)!)).toBe(true);
    expect(tokens.verify(a, encodeCompactAddress('192.0.2.2', 4000)!)).toBe(false);
    // IPv4 and the IPv6 with the same leading bytes get different tokens.
    expect(tokens.issue(encodeCompactAddress('c000:201::', 4000)!)).not.toEqual(a);
  });

  it('issueFor / verifyFor (host strings, the receive path) agree with issue / verify', async () => {
    const { clock, tokens } = await setup();
    const a = tokens.issue(alice);
    expect(tokens.issueFor('192.0.2.1')).toEqual(a);
    expect(tokens.issueFor('192.0.2.1')).toEqual(a); // remembered
    expect(tokens.issueFor('192.0.2.2')).toEqual(tokens.issue(bob));
    expect(tokens.issueFor('2001:db8::1')).toEqual(tokens.issue(alice6));
    expect(tokens.issueFor('not an ip')).toBeUndefined();
    expect(tokens.verifyFor(a, '192.0.2.1')).toBe(true);
    expect(tokens.verifyFor(a, '192.0.2.2')).toBe(false);
    expect(tokens.verifyFor(a, 'not an ip')).toBe(false);
    // A view: the next call overwrites it, so callers copy what they keep.
    const view = tokens.issueFor('192.0.2.1')!;
    const kept = view.slice();
    tokens.issueFor('192.0.2.2');
    expect(tokens.verifyFor(kept, '192.0.2.1')).toBe(true);
    // The remembered token does not outlive its secret.
    await clock.advance(5 * MINUTE);
    const next = tokens.issueFor('192.0.2.1')!.slice();
    expect(next).not.toEqual(kept);
    expect(next).toEqual(tokens.issue(alice));
    expect(tokens.verifyFor(kept, '192.0.2.1')).toBe(true); // previous secret
    await clock.advance(5 * MINUTE);
    expect(tokens.verifyFor(kept, '192.0.2.1')).toBe(false);
  });

  it('rejects wrong lengths and altered bytes', async () => {
    const { tokens } = await setup();
    const a = tokens.issue(alice);
    expect(tokens.verify(a.subarray(0, 7), alice)).toBe(false);
    expect(tokens.verify(new Uint8Array(20), alice)).toBe(false);
    const altered = a.slice();
    altered[7]! ^= 0x80;
    expect(tokens.verify(altered, alice)).toBe(false);
  });

  it('rotates every 5 minutes and accepts the previous secret: a token lives 5 to 10 minutes', async () => {
    const { clock, tokens } = await setup();
    const first = tokens.issue(alice); // issued right at a rotation
    await clock.advance(5 * MINUTE - 1);
    expect(tokens.issue(alice)).toEqual(first);
    await clock.advance(1); // rotation
    expect(tokens.issue(alice)).not.toEqual(first);
    expect(tokens.verify(first, alice)).toBe(true);
    await clock.advance(5 * MINUTE - 1); // 9:59.999 after issue
    expect(tokens.verify(first, alice)).toBe(true);
    await clock.advance(1); // 10:00
    expect(tokens.verify(first, alice)).toBe(false);
  });

  it('a token issued late in a period still lasts at least 5 minutes', async () => {
    const { clock, tokens } = await setup();
    await clock.advance(4 * MINUTE + 59_000);
    const late = tokens.issue(alice);
    await clock.advance(5 * MINUTE);
    expect(tokens.verify(late, alice)).toBe(true);
    await clock.advance(1_000);
    expect(tokens.verify(late, alice)).toBe(false);
  });

  it('after a long idle both secrets are new', async () => {
    const { clock, tokens } = await setup();
    const old = tokens.issue(alice);
    await clock.advance(60 * MINUTE);
    expect(tokens.verify(old, alice)).toBe(false);
    expect(tokens.verify(tokens.issue(alice), alice)).toBe(true);
  });
});
