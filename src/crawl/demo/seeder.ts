/**
 * The crawl demo's seeder: a small TCP server that speaks just enough
 * BitTorrent to be crawled — the handshake with the extension bit (BEP 10)
 * and ut_metadata (BEP 9) serving the info dictionaries it was given — using
 * the field's `bittorrent-protocol` and `ut_metadata`. It has no content and
 * sends no pieces: a crawler needs only the metadata. It counts, per
 * infohash, the handshakes it answered, so tests can tell what was fetched.
 * Node only (node:net): the demo is a CLI command.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { loadWireLibraries, type WireLibraries } from '../metadata/wire-libraries.ts';

export interface SeededInfo {
  /** 40 lower-case hex digits. */
  infohash: string;
  /** The bencoded info dictionary. */
  info: Uint8Array;
}

export interface MetadataSeederOptions {
  /** IP literal to listen on (a loopback address for the demo). */
  host: string;
  /** TCP port (default 0: any free one). */
  port?: number;
  torrents?: Iterable<SeededInfo>;
  /** Wait this long before answering a handshake (tests: a slow seeder). */
  delayMs?: number;
  /** Connections at once (default 256). */
  maxConnections?: number;
  /** Close a connection idle this long (default 30 s). */
  idleTimeoutMs?: number;
}

/** Our peer id: Azureus style, '-BD0001-' and 12 random bytes. */
function peerId(): Uint8Array {
  const id = new Uint8Array(20);
  id.set(new TextEncoder().encode('-BD0001-'));
  crypto.getRandomValues(id.subarray(8));
  return id;
}

export class MetadataSeeder {
  readonly host: string;
  readonly #server: Server;
  readonly #torrents = new Map<string, Uint8Array>();
  readonly #handshakes = new Map<string, number>();
  readonly #served = new Set<string>();
  readonly #sockets = new Set<Socket>();
  readonly #delayMs: number;
  readonly #idleTimeoutMs: number;
  readonly #peerId = peerId();
  #port = 0;
  #connections = 0;
  #pieceRequests = 0;

  readonly #wire: WireLibraries;

  private constructor(options: MetadataSeederOptions, wire: WireLibraries) {
    this.#wire = wire;
    this.host = options.host;
    this.#delayMs = options.delayMs ?? 0;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    for (const torrent of options.torrents ?? []) this.add(torrent);
    this.#server = createServer((socket) => this.#accept(socket));
    this.#server.maxConnections = options.maxConnections ?? 256;
  }

  /** Listen; resolves once bound. */
  static async start(options: MetadataSeederOptions): Promise<MetadataSeeder> {
    const seeder = new MetadataSeeder(options, await loadWireLibraries());
    await new Promise<void>((resolve, reject) => {
      seeder.#server.once('error', reject);
      seeder.#server.listen(options.port ?? 0, options.host, () => {
        seeder.#server.off('error', reject);
        resolve();
      });
    });
    seeder.#server.on('error', () => {}); // after listening, an accept error must not crash the demo
    const address = seeder.#server.address();
    seeder.#port = typeof address === 'object' && address !== null ? address.port : 0;
    return seeder;
  }

  get port(): number {
    return this.#port;
  }

  /** Serve one more torrent's metadata. */
  add(torrent: SeededInfo): void {
    this.#torrents.set(torrent.infohash.toLowerCase(), torrent.info);
  }

  /** Handshakes answered for `infohash` (one per fetch attempt that reached us). */
  handshakes(infohash: string): number {
    return this.#handshakes.get(infohash) ?? 0;
  }

  /** Infohashes that got at least one handshake since the last reset. */
  requested(): string[] {
    return [...this.#handshakes.keys()];
  }

  /** Infohashes whose metadata was asked for (a ut_metadata request) since the last reset. */
  served(): string[] {
    return [...this.#served];
  }

  resetCounts(): void {
    this.#handshakes.clear();
    this.#served.clear();
    this.#pieceRequests = 0;
  }

  stats(): { connections: number; open: number; pieceRequests: number } {
    return { connections: this.#connections, open: this.#sockets.size, pieceRequests: this.#pieceRequests };
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.#connections++;
    this.#sockets.add(socket);
    const wire = new this.#wire.Wire();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const end = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      this.#sockets.delete(socket);
      socket.destroy();
      if (!wire.destroyed) wire.destroy();
    };
    socket.setTimeout(this.#idleTimeoutMs, end);
    socket.on('error', end);
    socket.on('close', end);
    wire.on('error', end);
    wire.on('close', end);
    let asked: string | undefined;
    wire.on('handshake', (infoHash, _peerId, extensions) => {
      const info = this.#torrents.get(infoHash);
      if (info === undefined || !extensions.extended) return end(); // not ours, or cannot ask for metadata
      this.#handshakes.set(infoHash, (this.#handshakes.get(infoHash) ?? 0) + 1);
      asked = infoHash;
      const answer = (): void => {
        timer = undefined;
        if (wire.destroyed) return;
        // Registered before our handshake goes out, so our extended handshake names it with metadata_size.
        wire.use(this.#wire.utMetadata(info));
        wire.handshake(infoHash, this.#peerId, { dht: false });
      };
      if (this.#delayMs > 0) timer = setTimeout(answer, this.#delayMs);
      else answer();
    });
    wire.on('extended', (ext) => {
      if (ext !== 'ut_metadata') return;
      this.#pieceRequests++;
      if (asked !== undefined) this.#served.add(asked);
    });
    // Glued by hand, bytes each way: all the duplex the wire needs.
    socket.on('data', (chunk: Uint8Array) => {
      if (!wire.destroyed) wire.write(chunk);
    });
    wire.on('data', (chunk) => {
      if (!socket.destroyed) socket.write(chunk);
    });
  }
}
