/**
 * The BitTorrent peer wire as far as a metadata fetch goes, and no further:
 * our handshake (BEP 3) with the extension bit and our extended handshake
 * (BEP 10) in one write, the peer's handshake checked, its extended handshake
 * read, every ut_metadata piece (BEP 9) asked for in one write, the pieces
 * assembled. Every other message (bitfield, have, choke, …) is skipped by its
 * length. Bytes in, bytes out through the hooks: no socket, no timer, no
 * stream machinery.
 *
 * Why not bittorrent-protocol + ut_metadata here: measured in
 * `bench/crawl/session.ts`, their stream machinery cost ~100 µs of CPU per
 * session for the few messages a fetch exchanges (BENCHMARKS.md, "End-to-end
 * crawl", session 5). The demo seeder still uses them.
 *
 * Hostile bytes: a message longer than MAX_MESSAGE_BYTES fails as a flood
 * before any of it is buffered; a message split across chunks is gathered in
 * one buffer of its declared length; a piece must have the size the
 * metadata_size implies; every bencoded dictionary is decoded in a try.
 */
import bencode from 'bencode';
import type { PeerFailure } from './types.ts';

/** BEP 9 piece size. */
export const PIECE_BYTES = 16_384;
/** The longest message we buffer: a bitfield of 2 million pieces, a piece with any header. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Where a ut_metadata header must end: the dictionary is a few keys. */
const MAX_HEADER_BYTES = 1024;
/** The id we ask peers to put on their ut_metadata messages to us. */
export const OUR_UT_METADATA = 1;

const PROTOCOL = new TextEncoder().encode('\x13BitTorrent protocol');
const HANDSHAKE_BYTES = 68;
const EXTENDED = 20;
const EXTENDED_HANDSHAKE = bencode.encode({ m: { ut_metadata: OUR_UT_METADATA } });

export interface PeerWireHooks {
  /** Bytes for the peer. */
  send(bytes: Uint8Array): void;
  /** The peer announced this metadata size; false refuses it (and the hook has failed the session). */
  announce(size: number): boolean;
  /** Every piece arrived: the assembled bytes, still unverified (the caller's to keep). */
  assembled(metadata: Uint8Array): void;
  fail(reason: PeerFailure): void;
}

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function isIndex(value: unknown, below: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < below;
}

/** One length-prefixed extended message: <len><20><id><payload>. */
function extendedMessage(id: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + payload.length);
  new DataView(out.buffer).setUint32(0, 2 + payload.length);
  out[4] = EXTENDED;
  out[5] = id;
  out.set(payload, 6);
  return out;
}

export class PeerWire {
  readonly #infohash: Uint8Array;
  readonly #peerId: Uint8Array;
  readonly #hooks: PeerWireHooks;
  #ended = false;
  #handshaken = false;
  /** A handshake or length prefix split across chunks. */
  readonly #head = new Uint8Array(HANDSHAKE_BYTES);
  #headFilled = 0;
  /** A message body split across chunks, allocated at its declared length. */
  #body: Uint8Array | undefined;
  #bodyFilled = 0;
  #peerUtMetadata = 0;
  #metadata: Uint8Array | undefined;
  #have: Uint8Array | undefined;
  #missing = 0;

  constructor(infohash: Uint8Array, peerId: Uint8Array, hooks: PeerWireHooks) {
    this.#infohash = infohash;
    this.#peerId = peerId;
    this.#hooks = hooks;
  }

  /** What we say first: the handshake and the extended handshake, in one buffer. */
  opening(): Uint8Array {
    const out = new Uint8Array(HANDSHAKE_BYTES + 6 + EXTENDED_HANDSHAKE.length);
    out.set(PROTOCOL, 0);
    out[25] = 0x10; // BEP 10: extension protocol
    out[27] = 0x01; // BEP 5: we speak the DHT
    out.set(this.#infohash, 28);
    out.set(this.#peerId, 48);
    out.set(extendedMessage(0, EXTENDED_HANDSHAKE), HANDSHAKE_BYTES);
    return out;
  }

  /** Bytes held for a message not yet whole (bounded by MAX_MESSAGE_BYTES + the handshake). */
  get bufferedBytes(): number {
    return this.#headFilled + (this.#body?.length ?? 0);
  }

  /** Stop reading: nothing more reaches the hooks. */
  end(): void {
    this.#ended = true;
  }

  /** Bytes from the peer, in order. Never throws on what they contain. */
  receive(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.#ended) {
      const body = this.#body;
      if (body !== undefined) {
        const n = Math.min(body.length - this.#bodyFilled, chunk.length - at);
        body.set(chunk.subarray(at, at + n), this.#bodyFilled);
        this.#bodyFilled += n;
        at += n;
        if (this.#bodyFilled === body.length) {
          this.#body = undefined;
          this.#message(body);
        }
        continue;
      }
      const headBytes = this.#handshaken ? 4 : HANDSHAKE_BYTES;
      let head: Uint8Array;
      if (this.#headFilled === 0 && chunk.length - at >= headBytes) {
        head = chunk.subarray(at, at + headBytes); // the common case: no copy
        at += headBytes;
      } else {
        const n = Math.min(headBytes - this.#headFilled, chunk.length - at);
        this.#head.set(chunk.subarray(at, at + n), this.#headFilled);
        this.#headFilled += n;
        at += n;
        if (this.#headFilled < headBytes) return;
        this.#headFilled = 0;
        head = this.#head;
      }
      if (!this.#handshaken) {
        this.#handshake(head);
        continue;
      }
      const length = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
      if (length === 0) continue; // keep-alive
      if (length > MAX_MESSAGE_BYTES) return this.#fail('flood');
      if (chunk.length - at >= length) {
        this.#message(chunk.subarray(at, at + length));
        at += length;
      } else {
        this.#body = new Uint8Array(length);
        this.#bodyFilled = 0;
      }
    }
  }

  #fail(reason: PeerFailure): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#body = undefined;
    this.#hooks.fail(reason);
  }

  #handshake(head: Uint8Array): void {
    for (let i = 0; i < PROTOCOL.length; i++) if (head[i] !== PROTOCOL[i]) return this.#fail('bad-handshake');
    for (let i = 0; i < 20; i++) if (head[28 + i] !== this.#infohash[i]) return this.#fail('other-torrent');
    if ((head[25]! & 0x10) === 0) return this.#fail('no-extensions');
    this.#handshaken = true;
  }

  #message(message: Uint8Array): void {
    if (message[0] !== EXTENDED || message.length < 2) return; // nothing a metadata fetch needs
    const payload = message.subarray(2);
    if (message[1] === 0) this.#extendedHandshake(payload);
    else if (message[1] === OUR_UT_METADATA && this.#metadata !== undefined) this.#metadataMessage(payload);
  }

  #extendedHandshake(payload: Uint8Array): void {
    let handshake: unknown;
    try {
      handshake = bencode.decode(payload);
    } catch {
      return this.#fail('garbage');
    }
    if (!isDict(handshake)) return this.#fail('garbage');
    const m = handshake['m'];
    const id = isDict(m) ? m['ut_metadata'] : undefined;
    // BEP 10: an id of 0 means the extension is switched off.
    if (!isIndex(id, 256) || id === 0) return this.#fail('no-metadata');
    const size = handshake['metadata_size'];
    if (size === undefined) return this.#fail('no-metadata');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) return this.#fail('too-large');
    // BEP 10 allows a later extended handshake; the session decides whether its size may stand.
    if (!this.#hooks.announce(size)) return void (this.#ended = true);
    if (this.#metadata !== undefined) return; // the pieces were asked for already
    this.#peerUtMetadata = id;
    this.#metadata = new Uint8Array(size);
    const pieces = Math.ceil(size / PIECE_BYTES);
    this.#have = new Uint8Array(pieces);
    this.#missing = pieces;
    const requests: Uint8Array[] = [];
    let total = 0;
    for (let piece = 0; piece < pieces; piece++) {
      const request = this.#request(piece);
      requests.push(request);
      total += request.length;
    }
    const out = new Uint8Array(total);
    for (let i = 0, at = 0; i < requests.length; at += requests[i]!.length, i++) out.set(requests[i]!, at);
    this.#hooks.send(out);
  }

  #request(piece: number): Uint8Array {
    return extendedMessage(this.#peerUtMetadata, bencode.encode({ msg_type: 0, piece }));
  }

  #metadataMessage(payload: Uint8Array): void {
    let header: unknown;
    let headerEnd: number;
    try {
      header = bencode.decode(payload, 0, Math.min(payload.length, MAX_HEADER_BYTES));
      headerEnd = bencode.decode.position;
    } catch {
      return this.#fail('garbage');
    }
    if (!isDict(header)) return this.#fail('garbage');
    const metadata = this.#metadata!;
    const have = this.#have!;
    const piece = header['piece'];
    switch (header['msg_type']) {
      case 1: {
        if (!isIndex(piece, have.length)) return this.#fail('garbage');
        const data = payload.subarray(headerEnd);
        const expected = Math.min(PIECE_BYTES, metadata.length - piece * PIECE_BYTES);
        if (data.length !== expected) return this.#fail('garbage');
        if (have[piece] === 1) return; // a repeat: the session's byte budget bounds how many
        metadata.set(data, piece * PIECE_BYTES);
        have[piece] = 1;
        if (--this.#missing === 0) {
          this.#ended = true;
          this.#hooks.assembled(metadata);
        }
        return;
      }
      case 2:
        // A reject means the peer has no metadata to give (BEP 9): asking again at once gets
        // another reject (webtorrent's ut_metadata and libtorrent both), so the session ends
        // here; the crawler's retry comes back later, when the peer may have it.
        return this.#fail(isIndex(piece, have.length) ? 'rejected' : 'garbage');
      default:
        return; // a request (we serve no metadata) or a type of a later extension
    }
  }
}
