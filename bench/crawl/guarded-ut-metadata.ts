/**
 * The anchor of bench/crawl/session.ts: the BEP 9 session as it was up to
 * session 4, over bittorrent-protocol + ut_metadata.
 *
 * ut_metadata (the field's BEP 9 extension) with the guards a crawler needs
 * around it. The library stays in charge of the exchange (request every piece,
 * assemble, tolerate some rejects); this subclass
 *  - refuses a metadata_size above our cap before the library allocates it;
 *  - contains what the library throws on hostile pieces (an out-of-range piece
 *    index makes its buffer copy throw, inside a stream callback where nothing
 *    would catch it);
 *  - takes over the final check: the library only knows SHA-1 and re-encodes the
 *    dictionary, we verify the raw bytes ourselves, SHA-1 or BEP 52's SHA-256.
 * The session it reports to is looked up by wire, since bittorrent-protocol
 * constructs extensions itself.
 */
import type Wire from 'bittorrent-protocol';
import type { HandshakeExtensions, WireExtensionClass } from 'bittorrent-protocol';
import type { PeerFailure } from '../../src/crawl/metadata/types.ts';
import type { WireLibraries } from '../../src/crawl/metadata/wire-libraries.ts';

/** What the session learns from the extension. */
export interface MetadataHooks {
  /** The peer announced this metadata size; false refuses it (the session has failed). */
  announce(size: number): boolean;
  /** Every piece arrived: the assembled bytes, still unverified (the caller owns them). */
  assembled(metadata: Uint8Array): void;
  fail(reason: PeerFailure): void;
}

const hooksByWire = new WeakMap<Wire, MetadataHooks>();

/** Attach the extension to `wire`, reporting to `hooks`. Call before the handshake. */
export function useGuardedMetadata(libraries: WireLibraries, wire: Wire, hooks: MetadataHooks): void {
  hooksByWire.set(wire, hooks);
  guarded ??= defineGuardedMetadata(libraries.utMetadata);
  wire.use(guarded);
  (wire as unknown as { ut_metadata: { fetch(): void } }).ut_metadata.fetch();
}

// Defined once, when the library has been loaded (it is an optional peer dependency).
let guarded: WireExtensionClass | undefined;

interface LibraryState {
  _infoHash?: string;
}

function defineGuardedMetadata(utMetadata: WireLibraries['utMetadata']): WireExtensionClass {
  return class GuardedMetadata extends utMetadata() {
    readonly #hooks: MetadataHooks;
    #inHandshake = false;
    #assembled = false;

    constructor(wire: Wire) {
      super(wire);
      this.#hooks = hooksByWire.get(wire) ?? {
        announce: () => false,
        assembled: () => {},
        fail: () => {},
      };
      this.on('warning', () => {
        // The library's own complaints: a size it will not take (during the
        // handshake), else "reject too much".
        this.#hooks.fail(this.#inHandshake ? 'too-large' : 'rejected');
      });
    }

    override onHandshake(infoHash: string, peerId: string, extensions: HandshakeExtensions): void {
      super.onHandshake(infoHash, peerId, extensions);
      // Without an infohash the library skips its SHA-1-only check; we verify.
      (this as unknown as LibraryState)._infoHash = undefined;
    }

    override onExtendedHandshake(handshake: Record<string, unknown>): void {
      const size = handshake['metadata_size'];
      if (size === undefined) return this.#hooks.fail('no-metadata');
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) return this.#hooks.fail('too-large');
      if (!this.#hooks.announce(size)) return;
      this.#inHandshake = true;
      try {
        super.onExtendedHandshake(handshake);
      } catch {
        this.#hooks.fail('garbage');
      } finally {
        this.#inHandshake = false;
      }
    }

    override onMessage(payload: Uint8Array): void {
      try {
        super.onMessage(payload);
      } catch {
        this.#hooks.fail('garbage');
      }
    }

    override setMetadata(metadata: Uint8Array): Promise<boolean> {
      if (!this.#assembled) {
        this.#assembled = true;
        // The library keeps writing into its buffer if more pieces arrive: hand out a copy.
        this.#hooks.assembled(metadata.slice());
      }
      return Promise.resolve(true);
    }
  };
}
