// Minimal typings for untyped dev dependencies used by tests and benchmarks.
declare module 'bencode' {
  const bencode: {
    encode(value: unknown): Uint8Array;
    decode: {
      (bytes: Uint8Array, encoding?: string): unknown;
      /** Decode bytes[start, end) (a copy of that range). */
      (bytes: Uint8Array, start: number, end: number, encoding?: string): unknown;
      /** Where the last decode stopped, relative to its start: the first byte after the value. */
      position: number;
    };
  };
  export default bencode;
}

declare module 'k-bucket' {
  interface Contact {
    id: Uint8Array;
    [key: string]: unknown;
  }
  export default class KBucket {
    constructor(options: { localNodeId: Uint8Array; numberOfNodesPerKBucket?: number });
    add(contact: Contact): this;
    closest(id: Uint8Array, n?: number): Contact[];
    count(): number;
  }
}
