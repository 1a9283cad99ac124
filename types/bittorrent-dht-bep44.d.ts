/**
 * The BEP 44 part of webtorrent's `bittorrent-dht` 11 (put / get of items and
 * the ed25519 verify it needs), merged into the declarations of
 * bittorrent-dht.d.ts for the item interop suite and bench/items.ts.
 */
declare module 'bittorrent-dht' {
  /** ed25519 verify(signature, message, publicKey). */
  export type BtVerify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

  export interface BtPutOptions {
    /** The value, stored as a bencoded byte string. */
    v: Uint8Array | string;
    /** Mutable items: the 32-byte public key, sequence number, signer, optional salt / cas. */
    k?: Uint8Array;
    seq?: number;
    salt?: Uint8Array;
    cas?: number;
    sign?: (message: Buffer) => Uint8Array;
  }

  /** What their get hands back (null: nothing found). */
  export interface BtItem {
    v: Uint8Array;
    id?: Uint8Array;
    k?: Uint8Array;
    sig?: Uint8Array;
    seq?: number;
    salt?: Uint8Array;
  }

  export interface BtDHTOptions {
    /** Needed to store (and to read) mutable items. */
    verify?: BtVerify;
  }

  export default interface DHT {
    put(options: BtPutOptions, cb?: (error: Error | null, target: Buffer, accepted?: number) => void): Buffer;
    get(
      target: Uint8Array | string,
      options: { salt?: Uint8Array; verify?: BtVerify; cache?: boolean },
      cb: (error: Error | null, item: BtItem | null) => void,
    ): void;
  }
}
