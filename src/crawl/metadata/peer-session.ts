/**
 * One peer, one infohash: connect over TCP, BitTorrent handshake with the
 * extension bit (BEP 10), ut_metadata (BEP 9), verify. PeerWire reads and
 * writes the messages; this glues it to the TCP stream, bounds time and bytes,
 * and always settles, always closing the stream. A byte budget bounds what a
 * peer can make us read: repeated pieces, bitfields, noise.
 */
import { TcpError, type TcpConnector, type TcpStream } from '../../transport/tcp.ts';
import { PeerWire, PIECE_BYTES } from './peer-wire.ts';
import type { PeerAddress, PeerFailure } from './types.ts';
import { verifyInfo, type VerifiedBy } from './verify.ts';

/** Before metadata_size is known: handshake, a bitfield (50 KB for 400k pieces), the extended handshake. */
const HANDSHAKE_BUDGET = 256 * 1024;
/** Per piece: message framing and the bencoded header in front of the data. */
const PIECE_OVERHEAD = 128;

export interface PeerSessionLimits {
  connectTimeoutMs: number;
  /** From the connection's opening to the peer's metadata_size (its BEP 3 and BEP 10 handshakes). */
  handshakeTimeoutMs: number;
  /** From the start of connect to verified metadata. */
  peerTimeoutMs: number;
  maxMetadataSize: number;
}

/** Shared, mutable counters the fetcher reads for its stats. */
export interface SessionCounters {
  connecting: number;
  open: number;
  bytesReceived: number;
}

/** Metadata buffers in flight, all sessions together: a cap on what many big claims can pin. */
export interface MetadataMemory {
  reserve(bytes: number): boolean;
  release(bytes: number): void;
}

export interface PeerSessionContext {
  tcp: TcpConnector;
  peerId: Uint8Array;
  limits: PeerSessionLimits;
  counters: SessionCounters;
  memory: MetadataMemory;
}

export type PeerSessionResult =
  | { ok: true; info: Uint8Array; verifiedBy: VerifiedBy }
  | { ok: false; reason: PeerFailure };

export function fetchFromPeer(
  infohash: Uint8Array,
  peer: PeerAddress,
  context: PeerSessionContext,
  signal: AbortSignal,
): Promise<PeerSessionResult> {
  return new Promise((resolve) => {
    const { counters, limits } = context;
    let settled = false;
    let outcome: PeerSessionResult | undefined;
    // The result is handed back once the socket is really gone, so a released
    // connection slot never overlaps a closing socket.
    let connecting = true;
    let streamClosed = false;
    let stream: TcpStream | undefined;
    let wire: PeerWire | undefined;
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
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (reserved > 0) context.memory.release(reserved);
      reserved = 0;
      wire?.end();
      stream?.close();
      settle();
    };
    const fail = (reason: PeerFailure): void => finish({ ok: false, reason });
    const onAbort = (): void => fail('aborted');
    // The connect bounds itself; the session's one timer starts once it opens. A silent peer (it
    // accepts and never speaks) is dropped at the handshake deadline, not held for the whole peer time.
    const startedAt = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const left = (): number => startedAt + limits.peerTimeoutMs - Date.now();
    const peerTimeout = (): void => fail('timeout');
    const handshakeDeadline = (): void => {
      if (reserved === 0) fail('handshake-timeout');
      else timer = setTimeout(peerTimeout, Math.max(0, left()));
    };
    signal.addEventListener('abort', onAbort); // removed by finish (a 'once' listener costs more to add)
    if (signal.aborted) return fail('aborted');

    const start = (open: TcpStream): void => {
      const rest = left();
      timer = limits.handshakeTimeoutMs < rest ? setTimeout(handshakeDeadline, limits.handshakeTimeoutMs) : setTimeout(peerTimeout, Math.max(0, rest));
      wire = new PeerWire(infohash, context.peerId, {
        send(bytes) {
          if (!settled) open.write(bytes);
        },
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
          // Room for every piece twice (a repeated piece is skipped, not refused), nothing more.
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
      open.write(wire.opening());
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
            wire.receive(chunk);
          },
          onClose() {
            counters.open--;
            streamClosed = true;
            fail('closed');
            settle();
          },
        },
        // No controller of its own: the caller's signal aborts the connect, and the connect's own
        // timeout ends no later than the session's, so a session never outlives a stuck connect.
        { timeoutMs: Math.min(limits.connectTimeoutMs, limits.peerTimeoutMs), signal },
      )
      .then(
        (s) => {
          counters.connecting--;
          counters.open++;
          connecting = false;
          stream = s;
          if (settled) s.close();
          else start(s);
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

/** A failed connect's reason, as the fetcher counts it. */
export function connectFailure(error: unknown): PeerFailure {
  if (!(error instanceof TcpError)) return 'connect-failed';
  switch (error.code) {
    case 'timeout':
      return 'connect-timeout';
    case 'refused':
      return 'connect-refused';
    case 'aborted':
      return 'aborted';
    default:
      return 'connect-failed';
  }
}
