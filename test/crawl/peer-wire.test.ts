/**
 * PeerWire, the fetcher's BEP 3/10/9 reader/writer, without sockets: an honest
 * peer's bytes cut anywhere assemble the metadata; each hostile shape fails
 * for its reason; random and mutated bytes in random chunks never throw, end
 * the wire at most once, and never make it hold more than one bounded message.
 */
import bencode from 'bencode';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, OUR_UT_METADATA, PIECE_BYTES, PeerWire } from '../../src/crawl/metadata/peer-wire.ts';
import type { PeerFailure } from '../../src/crawl/metadata/types.ts';

const INFOHASH = new Uint8Array(20).map((_, i) => i + 1);
const PEER_ID = new Uint8Array(20).fill(9);
const THEIR_UT_METADATA = 3;

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}
function message(id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(u32(1 + payload.length), Uint8Array.of(id), payload);
}
function extended(extId: number, dict: unknown, trailer: Uint8Array = new Uint8Array(0)): Uint8Array {
  return message(20, concat(Uint8Array.of(extId), bencode.encode(dict), trailer));
}
function handshake(options: { infohash?: Uint8Array; extended?: boolean } = {}): Uint8Array {
  const out = new Uint8Array(68);
  out[0] = 19;
  out.set(new TextEncoder().encode('BitTorrent protocol'), 1);
  if (options.extended !== false) out[25] = 0x10;
  out.set(options.infohash ?? INFOHASH, 28);
  out.set(new Uint8Array(20).fill(5), 48);
  return out;
}
function extendedHandshake(size: unknown, ut: unknown = THEIR_UT_METADATA): Uint8Array {
  return extended(0, { m: { ut_metadata: ut }, metadata_size: size, v: 'test' });
}
function piece(metadata: Uint8Array, index: number): Uint8Array {
  return extended(OUR_UT_METADATA, { msg_type: 1, piece: index, total_size: metadata.length }, metadata.subarray(index * PIECE_BYTES, (index + 1) * PIECE_BYTES));
}
/** An honest seeder's whole stream, with messages a fetch does not need between. */
function honestStream(metadata: Uint8Array): Uint8Array {
  const pieces = Math.ceil(metadata.length / PIECE_BYTES);
  const parts = [handshake(), message(5, new Uint8Array(40).fill(0xff)), u32(0), extendedHandshake(metadata.length), message(1), message(4, u32(7))];
  for (let i = pieces - 1; i >= 0; i--) parts.push(piece(metadata, i), u32(0));
  return concat(...parts);
}

interface Run {
  wire: PeerWire;
  sent: Uint8Array[];
  failures: PeerFailure[];
  assembled: Uint8Array[];
  maxBuffered: number;
}
function start(announce: (size: number) => boolean = () => true): Run {
  const run: Run = { sent: [], failures: [], assembled: [], maxBuffered: 0 } as unknown as Run;
  run.wire = new PeerWire(INFOHASH, PEER_ID, {
    send: (bytes) => run.sent.push(bytes),
    announce,
    assembled: (metadata) => run.assembled.push(metadata.slice()),
    fail: (reason) => run.failures.push(reason),
  });
  run.sent.push(run.wire.opening());
  return run;
}
function feed(run: Run, bytes: Uint8Array, cuts: number[] = []): Run {
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
    run.wire.receive(bytes.slice(at, cut));
    run.maxBuffered = Math.max(run.maxBuffered, run.wire.bufferedBytes);
    at = cut;
  }
  return run;
}
function randomMetadata(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) out[i] = (x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0) >>> 24;
  return out;
}

describe('PeerWire', () => {
  it('opens with our handshake (extension and DHT bits, the infohash, our id) and our extended handshake, in one buffer', () => {
    const opening = start().sent[0]!;
    expect(opening.subarray(0, 20)).toEqual(handshake().subarray(0, 20));
    expect(opening[25]! & 0x10).toBe(0x10);
    expect(opening[27]! & 0x01).toBe(0x01);
    expect(opening.subarray(28, 48)).toEqual(INFOHASH);
    expect(opening.subarray(48, 68)).toEqual(PEER_ID);
    const length = new DataView(opening.buffer, opening.byteOffset).getUint32(68);
    expect(opening.length).toBe(72 + length);
    expect([opening[72], opening[73]]).toEqual([20, 0]);
    expect(bencode.decode(opening.subarray(74))).toEqual({ m: { ut_metadata: OUR_UT_METADATA } });
  });

  it('asks for every piece once, in one write, and assembles them however the bytes are cut', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * PIECE_BYTES + 100 }), fc.array(fc.nat({ max: 60_000 }), { maxLength: 40 }), (size, cuts) => {
        const metadata = randomMetadata(size, size);
        const run = feed(start(), honestStream(metadata), cuts);
        expect(run.failures).toEqual([]);
        expect(run.assembled).toHaveLength(1);
        expect(Buffer.compare(run.assembled[0]!, metadata)).toBe(0);
        const pieces = Math.ceil(size / PIECE_BYTES);
        expect(run.sent).toHaveLength(2);
        // The requests: <len><20><their id>d8:msg_typei0e5:piecei<n>ee, one per piece.
        const requests = run.sent[1]!;
        let at = 0;
        for (let i = 0; i < pieces; i++) {
          const length = new DataView(requests.buffer, requests.byteOffset).getUint32(at);
          expect([requests[at + 4], requests[at + 5]]).toEqual([20, THEIR_UT_METADATA]);
          expect(bencode.decode(requests.subarray(at + 6, at + 4 + length))).toEqual({ msg_type: 0, piece: i });
          at += 4 + length;
        }
        expect(at).toBe(requests.length);
      }),
      { numRuns: 40 },
    );
  });

  const cases: Array<[string, Uint8Array, PeerFailure]> = [
    ['not the BitTorrent protocol', concat(Uint8Array.of(19), new TextEncoder().encode('BitTorrent protocoL'), new Uint8Array(48)), 'bad-handshake'],
    ['another torrent', handshake({ infohash: new Uint8Array(20) }), 'other-torrent'],
    ['no extension bit', handshake({ extended: false }), 'no-extensions'],
    ['no ut_metadata', concat(handshake(), extended(0, { m: {}, metadata_size: 10 })), 'no-metadata'],
    ['ut_metadata switched off (id 0)', concat(handshake(), extendedHandshake(10, 0)), 'no-metadata'],
    ['no metadata_size', concat(handshake(), extended(0, { m: { ut_metadata: 3 } })), 'no-metadata'],
    ['a negative size', concat(handshake(), extendedHandshake(-5)), 'too-large'],
    ['a size as a string', concat(handshake(), extendedHandshake('5')), 'too-large'],
    ['an extended handshake that is not a dictionary', concat(handshake(), extended(0, [1, 2])), 'garbage'],
    ['an extended handshake that is not bencode', concat(handshake(), message(20, Uint8Array.of(0, 0x64, 0x39, 0x39))), 'garbage'],
    ['a message longer than we hold', concat(handshake(), u32(MAX_MESSAGE_BYTES + 1), new Uint8Array(1000)), 'flood'],
    ['a piece out of range', concat(handshake(), extendedHandshake(100), extended(OUR_UT_METADATA, { msg_type: 1, piece: 1_000_000 }, new Uint8Array(100))), 'garbage'],
    ['a piece of the wrong size', concat(handshake(), extendedHandshake(100), extended(OUR_UT_METADATA, { msg_type: 1, piece: 0 }, new Uint8Array(99))), 'garbage'],
    ['a piece longer than a piece', concat(handshake(), extendedHandshake(PIECE_BYTES + 1), extended(OUR_UT_METADATA, { msg_type: 1, piece: 0 }, new Uint8Array(PIECE_BYTES + 1))), 'garbage'],
    ['a ut_metadata header that is not bencode', concat(handshake(), extendedHandshake(100), message(20, Uint8Array.of(OUR_UT_METADATA, 0x78))), 'garbage'],
    ['a header with no end in the first KiB', concat(handshake(), extendedHandshake(100), message(20, concat(Uint8Array.of(OUR_UT_METADATA), new TextEncoder().encode('d8:msg_typei1e5:piecei0e3:pad2000:'), new Uint8Array(2000)))), 'garbage'],
    ['a reject out of range', concat(handshake(), extendedHandshake(100), extended(OUR_UT_METADATA, { msg_type: 2, piece: 1 })), 'garbage'],
  ];
  for (const [name, bytes, reason] of cases) {
    it(`fails on ${name}: ${reason}`, () => {
      const run = feed(start(), concat(bytes, honestStream(randomMetadata(100, 1)).subarray(68)));
      expect(run.failures).toEqual([reason]);
      expect(run.assembled).toEqual([]);
    });
  }

  it('fails a message longer than it holds on its length alone, before buffering any of it', () => {
    const run = feed(start(), concat(handshake(), u32(0xffff_ffff)));
    expect(run.failures).toEqual(['flood']);
    expect(run.maxBuffered).toBe(0);
  });

  it('ends at the first reject, as rejected, without asking again', () => {
    const size = 2 * PIECE_BYTES + 5; // three pieces
    const run = feed(start(), concat(handshake(), extendedHandshake(size), piece(randomMetadata(size, 5), 0), extended(OUR_UT_METADATA, { msg_type: 2, piece: 1 }), extended(OUR_UT_METADATA, { msg_type: 2, piece: 2 })));
    expect(run.sent).toHaveLength(2);
    expect(run.failures).toEqual(['rejected']);
    expect(run.assembled).toEqual([]);
  });

  it('takes a piece once: a repeat changes nothing', () => {
    const metadata = randomMetadata(PIECE_BYTES + 10, 3);
    const wrong = metadata.slice(0, PIECE_BYTES).fill(0);
    const run = feed(start(), concat(handshake(), extendedHandshake(metadata.length), piece(metadata, 0), extended(OUR_UT_METADATA, { msg_type: 1, piece: 0 }, wrong), piece(metadata, 1)));
    expect(run.failures).toEqual([]);
    expect(run.assembled).toEqual([metadata]);
  });

  it('stops at a refused size, and reads nothing after the end', () => {
    const run = feed(start(() => false), concat(handshake(), extendedHandshake(100), piece(randomMetadata(100, 2), 0)));
    expect(run.failures).toEqual([]); // the session's hook failed it
    expect(run.sent).toHaveLength(1);
    expect(run.assembled).toEqual([]);
    const ended = start();
    ended.wire.end();
    feed(ended, honestStream(randomMetadata(100, 2)));
    expect([ended.failures, ended.assembled, ended.sent.length]).toEqual([[], [], 1]);
  });

  it('never throws, ends at most once and holds at most one bounded message, on random bytes in random chunks', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 4000 }), fc.array(fc.nat({ max: 4000 }), { maxLength: 30 }), (afterHandshake, noise, cuts) => {
        const run = feed(start(), afterHandshake ? concat(handshake(), noise) : noise, cuts);
        expect(run.failures.length + run.assembled.length).toBeLessThanOrEqual(1);
        expect(run.maxBuffered).toBeLessThanOrEqual(MAX_MESSAGE_BYTES + 68);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on an honest stream with bytes flipped, and assembles only metadata of the announced size', () => {
    const metadata = randomMetadata(PIECE_BYTES + 300, 4);
    const stream = honestStream(metadata);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: stream.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), fc.array(fc.nat({ max: stream.length }), { maxLength: 10 }), (flips, cuts) => {
        const mutated = stream.slice();
        for (const [at, xor] of flips) mutated[at]! ^= xor;
        let announced = -1;
        const run = feed(start((size) => ((announced = size), size <= 10 * 1024 * 1024)), mutated, cuts);
        expect(run.failures.length + run.assembled.length).toBeLessThanOrEqual(1);
        for (const bytes of run.assembled) expect(bytes.length).toBe(announced);
        expect(run.maxBuffered).toBeLessThanOrEqual(MAX_MESSAGE_BYTES + 68);
      }),
      { numRuns: 400 },
    );
  });
});
