/**
 * BitTorrent peers written for the tests, from BEP 3/10/9: one honest, the
 * others hostile in one way each. Loopback only, and every flood is bounded
 * (it stops at FLOOD_CAP bytes or when the connection closes).
 */
import bencode from 'bencode';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

export type PeerBehavior =
  | 'honest' // serves `info` per BEP 9
  | 'wrong-info' // serves other bytes of the same size
  | 'oversized' // announces a 50 MiB metadata_size
  | 'endless' // answers with the first piece without end
  | 'huge-message' // announces a 2 GiB message and streams it
  | 'bad-piece' // answers with a piece index far past the end
  | 'reject' // rejects every request
  | 'stall' // accepts the connection, never says a word
  | 'noise' // handshakes, then sends random bytes (256 KiB)
  | 'noise-early'; // sends random bytes instead of a handshake (256 KiB)

export interface FakePeer {
  host: string;
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes this peer sent in all. */
  readonly bytesSent: number;
  /** Most connections it had open at once (its own view: a client's close reaches it a moment late). */
  readonly maxOpen: number;
  /** Most metadata exchanges at once: from a handshake to its last piece sent (or the close). */
  readonly maxActive: number;
  close(): Promise<void>;
}

const PROTOCOL = Buffer.from('\x13BitTorrent protocol', 'latin1');
const PIECE = 16_384;
const OUR_UT_METADATA_ID = 3;
/** Most bytes a flooding peer sends on one connection. */
export const FLOOD_CAP = 64 * 1024 * 1024;
const NOISE_BYTES = 256 * 1024;

function frame(id: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out.writeUInt32BE(1 + payload.length, 0);
  out[4] = id;
  out.set(payload, 5);
  return out;
}

function extended(extId: number, dict: Record<string, unknown>, trailer?: Uint8Array): Buffer {
  const body = Buffer.from(bencode.encode(dict));
  const payload = Buffer.concat([Buffer.from([extId]), body, trailer ?? Buffer.alloc(0)]);
  return frame(20, payload);
}

/** Write `next()` chunks while the socket drains, until it closes or `cap` bytes went out. */
function pump(socket: Socket, next: () => Buffer, cap: number, sent: { bytes: number }): void {
  let total = 0;
  const go = (): void => {
    while (!socket.destroyed && total < cap) {
      const chunk = next();
      total += chunk.length;
      sent.bytes += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', go);
        return;
      }
    }
  };
  go();
}

export interface FakePeerOptions {
  host: string;
  behavior: PeerBehavior;
  /** The info dictionary served, whatever infohash is asked for... */
  info?: Uint8Array;
  /** ...or one per infohash (hex); an unknown infohash gets the connection closed. */
  infos?: Map<string, Uint8Array>;
  /** Wait this long before answering each request (to hold connections open). */
  delayMs?: number;
}

export async function startFakePeer(options: FakePeerOptions): Promise<FakePeer> {
  const { behavior } = options;
  let connections = 0;
  let open = 0;
  let maxOpen = 0;
  let active = 0;
  let maxActive = 0;
  const sent = { bytes: 0 };
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    connections++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    sockets.add(socket);
    let activeHere = false;
    const endActive = (): void => {
      if (activeHere) active--;
      activeHere = false;
    };
    socket.on('close', () => {
      open--;
      endActive();
      sockets.delete(socket);
    });
    let served = Buffer.alloc(0);
    socket.on('error', () => {});
    if (behavior === 'stall') return;
    if (behavior === 'noise-early') {
      sent.bytes += NOISE_BYTES;
      socket.write(randomBytes(NOISE_BYTES));
      return;
    }

    let buffer = Buffer.alloc(0);
    let handshaken = false;
    let theirUtMetadata = 0;
    const send = (chunk: Buffer): void => {
      sent.bytes += chunk.length;
      socket.write(chunk);
    };

    const onMessage = (message: Buffer): void => {
      if (message[0] !== 20 || message.length < 2) return;
      const extId = message[1]!;
      const body = message.subarray(2);
      if (extId === 0) {
        const handshake = bencode.decode(body) as { m?: Record<string, number> };
        theirUtMetadata = Number(handshake.m?.['ut_metadata'] ?? 0);
        return;
      }
      if (extId !== OUR_UT_METADATA_ID || theirUtMetadata === 0) return;
      const request = bencode.decode(body) as { msg_type?: number; piece?: number };
      if (request.msg_type !== 0 || typeof request.piece !== 'number') return;
      const piece = request.piece;
      if (options.delayMs !== undefined) {
        setTimeout(() => answer(piece), options.delayMs);
        return;
      }
      answer(piece);
    };

    const answer = (piece: number): void => {
      if (socket.destroyed) return;
      switch (behavior) {
        case 'reject':
          send(extended(theirUtMetadata, { msg_type: 2, piece }));
          return;
        case 'bad-piece':
          send(extended(theirUtMetadata, { msg_type: 1, piece: 1_000_000, total_size: served.length }, served.subarray(0, PIECE)));
          return;
        case 'endless': {
          // Piece 0 over and over: well-formed, never completing the metadata.
          const again = extended(theirUtMetadata, { msg_type: 1, piece: 0, total_size: served.length }, served.subarray(0, PIECE));
          pump(socket, () => again, FLOOD_CAP, sent);
          return;
        }
        case 'huge-message': {
          const header = Buffer.alloc(4);
          header.writeUInt32BE(0x7fff_ffff, 0);
          send(header);
          pump(socket, () => Buffer.alloc(64 * 1024), FLOOD_CAP, sent);
          return;
        }
        default:
          send(extended(theirUtMetadata, { msg_type: 1, piece, total_size: served.length }, served.subarray(piece * PIECE, (piece + 1) * PIECE)));
          if ((piece + 1) * PIECE >= served.length) endActive();
      }
    };

    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!handshaken) {
        if (buffer.length < 68) return;
        if (!buffer.subarray(0, 20).equals(PROTOCOL)) return void socket.destroy();
        const infohash = buffer.subarray(28, 48);
        const info = options.infos !== undefined ? options.infos.get(infohash.toString('hex')) : (options.info ?? new Uint8Array(0));
        if (info === undefined) return void socket.destroy();
        activeHere = true;
        active++;
        maxActive = Math.max(maxActive, active);
        served = Buffer.from(behavior === 'wrong-info' ? info.map((b) => b ^ 0x55) : info);
        const reserved = Buffer.alloc(8);
        reserved[5] = 0x10; // BEP 10
        send(Buffer.concat([PROTOCOL, reserved, infohash, Buffer.from('-FAKE01-abcdefghijkl', 'latin1')]));
        handshaken = true;
        buffer = buffer.subarray(68);
        if (behavior !== 'noise') {
          const size = behavior === 'oversized' ? 50 * 1024 * 1024 : served.length;
          send(extended(0, { m: { ut_metadata: OUR_UT_METADATA_ID }, metadata_size: size }));
        } else {
          // Random bytes in random-sized writes, framed or not as chance has it.
          for (let left = NOISE_BYTES; left > 0; ) {
            const n = Math.min(left, 1 + Math.floor(Math.random() * 4096));
            send(randomBytes(n));
            left -= n;
          }
          return;
        }
      }
      if (behavior === 'noise') return;
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (buffer.length < 4 + length) break;
        const message = buffer.subarray(4, 4 + length);
        buffer = buffer.subarray(4 + length);
        if (length > 0) {
          try {
            onMessage(message);
          } catch {
            socket.destroy();
            return;
          }
        }
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake peer: no address');

  return {
    host: options.host,
    port: address.port,
    get connections() {
      return connections;
    },
    get bytesSent() {
      return sent.bytes;
    },
    get maxOpen() {
      return maxOpen;
    },
    get maxActive() {
      return maxActive;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
