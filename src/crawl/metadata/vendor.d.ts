// Typings for the untyped peer-wire libraries, just the part the fetcher uses.
// The reference brings types/vendor.d.ts (`bencode`) into the src-only build
// (tsconfig.build.json includes src/ alone). This file is not emitted; of the
// emitted declarations only the internal guarded-ut-metadata.d.ts names Wire.
/// <reference path="../../../types/vendor.d.ts" />

declare module 'bittorrent-protocol' {
  /** Reserved-bit flags of a BitTorrent handshake as bittorrent-protocol reports them. */
  export interface HandshakeExtensions {
    dht: boolean;
    fast: boolean;
    extended: boolean;
  }

  /** What an extension class gets called with (all optional). */
  export interface WireExtension {
    onHandshake?(infoHash: string, peerId: string, extensions: HandshakeExtensions): void;
    onExtendedHandshake?(handshake: Record<string, unknown>): void;
    onMessage?(payload: Uint8Array): void;
  }

  export interface WireExtensionClass {
    new (wire: Wire): WireExtension;
    prototype: { name: string };
  }

  /** A BitTorrent peer connection as a streamx duplex: bytes from the peer in, bytes for it out. */
  export default class Wire {
    constructor(type?: string, peEnabled?: number);
    readonly destroyed: boolean;
    peerExtendedHandshake: Record<string, unknown>;
    peerExtendedMapping: Record<string, number>;
    extendedHandshake: Record<string, unknown>;
    use(extension: WireExtensionClass): void;
    handshake(infoHash: Uint8Array | string, peerId: Uint8Array | string, extensions?: { dht?: boolean; fast?: boolean }): void;
    extended(ext: string | number, payload: Uint8Array | Record<string, unknown>): void;
    write(chunk: Uint8Array): boolean;
    destroy(): void;
    on(event: 'data', listener: (chunk: Uint8Array) => void): this;
    on(event: 'handshake', listener: (infoHash: string, peerId: string, extensions: HandshakeExtensions) => void): this;
    on(event: 'extended', listener: (ext: string, payload: unknown) => void): this;
    on(event: 'error' | 'close' | 'end' | 'finish', listener: (...args: unknown[]) => void): this;
    removeAllListeners(event?: string): this;
  }
}

declare module 'ut_metadata' {
  import type Wire from 'bittorrent-protocol';
  import type { WireExtension } from 'bittorrent-protocol';

  /** BEP 9 over one wire: requests every piece once the peer's metadata_size is known. */
  export interface UtMetadata extends WireExtension {
    /** 'ut_metadata', on the prototype: the name bittorrent-protocol registers it under. */
    readonly name: string;
    metadata?: Uint8Array;
    fetch(): void;
    cancel(): void;
    /** Called with the assembled metadata; resolves whether it was accepted. */
    setMetadata(metadata: Uint8Array): Promise<boolean>;
    onHandshake(infoHash: string, peerId: string, extensions: import('bittorrent-protocol').HandshakeExtensions): void;
    onExtendedHandshake(handshake: Record<string, unknown>): void;
    onMessage(payload: Uint8Array): void;
    on(event: 'warning', listener: (error: Error) => void): this;
    on(event: 'metadata', listener: (torrent: Uint8Array) => void): this;
    emit(event: string, ...args: unknown[]): boolean;
  }

  export interface UtMetadataClass {
    new (wire: Wire): UtMetadata;
    prototype: UtMetadata;
  }

  export default function utMetadata(metadata?: Uint8Array): UtMetadataClass;
}
