// Minimal typings for untyped dev dependencies used by tests and benchmarks.
declare module 'bencode' {
  const bencode: {
    encode(value: unknown): Uint8Array;
    decode(bytes: Uint8Array, encoding?: string): unknown;
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
