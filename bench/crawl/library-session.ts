/**
 * The anchor of bench/crawl/session.ts: src/crawl/metadata/peer-session.ts as
 * it was up to session 4, over bittorrent-protocol + ut_metadata (kept here
 * to measure the lean wire against it in one process).
 *
 * One peer, one infohash: connect over TCP, BitTorrent handshake with the
 * extension bit (BEP 10), ut_metadata (BEP 9), verify. bittorrent-protocol
 * frames the wire; our TCP stream is glued to it by hand (bytes in, bytes out),
 * which is all the duplex it needs. Always settles, always closes the stream.
 * A byte budget bounds what a peer can make us buffer: the library would hold
 * a 4 GiB message length until the bytes arrive.
 */
import type Wire from 'bittorrent-protocol';
import type { HandshakeExtensions } from 'bittorrent-protocol';
import type { TcpStream } from '../../src/transport/tcp.ts';
import { connectFailure, type PeerSessionContext, type PeerSessionResult } from '../../src/crawl/metadata/peer-session.ts';
import { toHex } from '../../src/util/hex.ts';
import { useGuardedMetadata } from './guarded-ut-metadata.ts';
import type { PeerAddress, PeerFailure } from '../../src/crawl/metadata/types.ts';
import { verifyInfo } from '../../src/crawl/metadata/verify.ts';
import type { WireLibraries } from '../../src/crawl/metadata/wire-libraries.ts';
import { concatBytes } from '@noble/hashes/utils.js';

/** BEP 9 piece size. */
const PIECE_BYTES = 16_384;
/** Before metadata_size is known: handshake, a bitfield (50 KB for 400k pieces), the extended handshake. */
const HANDSHAKE_BUDGET = 256 * 1024;
/** Per piece: message framing and the bencoded header in front of the data. */
const PIECE_OVERHEAD = 128;

const SESSION_ENDED = new Error('the peer session ended');

/** The lean session's context, plus the loaded libraries. */
export interface LibrarySessionContext extends PeerSessionContext {
  wire: WireLibraries;
}

export function fetchFromPeerWithLibraries(
  infohash: Uint8Array,
  peer: PeerAddress,
  context: LibrarySessionContext,
  signal: AbortSignal,
): Promise<PeerSessionResult> {
  return new Promise((resolve) => {
    const { counters, limits } = context;
    const infohashHex = toHex(infohash);
    let settled = false;
    let outcome: PeerSessionResult | undefined;
    // The result is handed back once the socket is really gone, so a released
    // connection slot never overlaps a closing socket.
    let connecting = true;
    let streamClosed = false;
    const connectAbort = new AbortController();
    let stream: TcpStream | undefined;
    let wire: Wire | undefined;
    let received = 0;
    let budget = HANDSHAKE_BUDGET;
    let reserved = 0;

    const settle = (): void => {
      if (outcome !== undefined && !connecting && (stream === undefined || streamClosed)) resolve(outcome);
    };
    const finish = (result: PeerSessionResult): void => {
      if (settled) return;
      settled = true;
      outcome = result;
      // Only a connect still under way has anything to abort (abort() without a reason builds a DOMException).
      if (connecting) connectAbort.abort(SESSION_ENDED);
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (reserved > 0) context.memory.release(reserved);
      reserved = 0;
      if (wire !== undefined) {
        try {
          wire.destroy();
        } catch {
          // A wire that is already tearing itself down.
        }
      }
      stream?.close();
      settle();
    };
    const fail = (reason: PeerFailure): void => finish({ ok: false, reason });
    const onAbort = (): void => fail('aborted');
    const timer = setTimeout(() => fail('timeout'), limits.peerTimeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) return fail('aborted');

    const start = (): void => {
      const w = new context.wire.Wire('tcpOutgoing');
      wire = w;
      // The wire emits each message apart (handshake, extended handshake, requests): the ones of
      // one turn go out in one socket write, not a syscall each.
      let pending: Uint8Array[] = [];
      const flush = (): void => {
        const chunks = pending;
        pending = [];
        if (!settled) stream?.write(chunks.length === 1 ? chunks[0]! : concatBytes(...chunks));
      };
      w.on('data', (chunk: Uint8Array) => {
        if (pending.push(chunk) === 1) queueMicrotask(flush);
      });
      let handshaken = false;
      w.on('error', () => fail('garbage'));
      // bittorrent-protocol ends the wire itself on what it cannot parse.
      w.on('finish', () => fail(handshaken ? 'garbage' : 'bad-handshake'));
      w.on('handshake', (peerInfohash: string, _peerId: string, extensions: HandshakeExtensions) => {
        handshaken = true;
        if (peerInfohash !== infohashHex) fail('other-torrent');
        else if (!extensions.extended) fail('no-extensions');
      });
      w.on('extended', (ext: string) => {
        if (ext === 'handshake' && !w.peerExtendedMapping['ut_metadata']) fail('no-metadata');
      });
      useGuardedMetadata(context.wire, w, {
        announce(size) {
          // BEP 10 allows a second extended handshake; it may not move the size or the byte budget.
          if (reserved > 0) {
            if (size === reserved) return true;
            fail('garbage');
            return false;
          }
          if (size > limits.maxMetadataSize) {
            fail('too-large');
            return false;
          }
          if (!context.memory.reserve(size)) {
            fail('over-budget');
            return false;
          }
          reserved = size;
          const pieces = Math.ceil(size / PIECE_BYTES);
          // Room for every piece twice (the library re-requests after rejects), nothing more.
          budget = received + HANDSHAKE_BUDGET + 2 * (size + pieces * PIECE_OVERHEAD);
          return true;
        },
        assembled(metadata) {
          const by = verifyInfo(infohash, metadata);
          if (by === undefined) fail('wrong-hash');
          else finish({ ok: true, info: metadata, verifiedBy: by });
        },
        fail,
      });
      w.handshake(infohash, context.peerId, { dht: true });
    };

    counters.connecting++;
    context.tcp
      .connect(
        peer,
        {
          onData(chunk) {
            if (settled || wire === undefined) return;
            received += chunk.length;
            counters.bytesReceived += chunk.length;
            if (received > budget) return fail('flood');
            try {
              wire.write(chunk);
            } catch {
              fail('garbage');
            }
          },
          onClose() {
            counters.open--;
            streamClosed = true;
            fail('closed');
            settle();
          },
        },
        { timeoutMs: limits.connectTimeoutMs, signal: connectAbort.signal },
      )
      .then(
        (s) => {
          counters.connecting--;
          counters.open++;
          connecting = false;
          stream = s;
          if (settled) s.close();
          else start();
        },
        (error: unknown) => {
          counters.connecting--;
          connecting = false;
          fail(connectFailure(error));
          settle();
        },
      );
  });
}
