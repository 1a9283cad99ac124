/**
 * Types for webtorrent's `bittorrent-dht` 11 (it ships none): the part the
 * interop tests and the benchmarks drive, including the k-rpc layer under it.
 */
declare module 'bittorrent-dht' {
  import { EventEmitter } from 'node:events';

  export interface BtNode {
    id: Buffer;
    host: string;
    port: number;
    token?: Buffer | null;
  }

  /** A KRPC message as bencode 4 decodes it (byte strings are Uint8Arrays). */
  export interface BtMessage {
    t?: Uint8Array;
    y?: Uint8Array;
    q?: Uint8Array;
    a?: Record<string, unknown>;
    r?: Record<string, unknown>;
    e?: unknown;
    v?: Uint8Array;
  }

  export interface BtRpcError extends Error {
    code?: number | string;
  }

  export interface BtRpcSocket extends EventEmitter {
    inflight: number;
    query(
      peer: { host: string; port: number },
      message: { q: string; a?: Record<string, unknown> },
      cb?: (error: BtRpcError | null, message: BtMessage | null, from: unknown) => void,
    ): number;
  }

  export interface BtKBucket {
    toArray(): BtNode[];
    get(id: Uint8Array): BtNode | null;
    count(): number;
    closest(id: Uint8Array, n?: number): BtNode[];
  }

  export interface BtRpc extends EventEmitter {
    id: Buffer;
    k: number;
    nodes: BtKBucket;
    socket: BtRpcSocket;
    query(
      peer: { host: string; port: number; id?: Buffer },
      message: { q: string; a?: Record<string, unknown> },
      cb: (error: BtRpcError | null, message: BtMessage | null, from: { address?: string; host?: string; port: number }) => void,
    ): void;
  }

  export interface BtDHTOptions {
    /** 'host:port' strings or nodes; false: no bootstrap at all. */
    bootstrap?: ReadonlyArray<string | { host: string; port: number }> | false;
    nodeId?: Uint8Array | string;
    /** Our own address, stored as a peer when we announce. */
    host?: string;
    concurrency?: number;
    k?: number;
    timeout?: number;
  }

  export default class DHT extends EventEmitter {
    constructor(options?: BtDHTOptions);
    readonly nodeId: Buffer;
    readonly nodes: BtKBucket;
    readonly _rpc: BtRpc;
    ready: boolean;
    listening: boolean;
    listen(port: number, host: string, onListening?: () => void): void;
    address(): { address: string; family: string; port: number };
    addNode(node: { id?: Uint8Array | string; host: string; port: number }): void;
    announce(infohash: Uint8Array | string, port: number, cb?: (error: Error | null) => void): void;
    lookup(infohash: Uint8Array | string, cb?: (error: Error | null, visited?: number) => void): () => void;
    destroy(cb?: () => void): void;
  }
}
