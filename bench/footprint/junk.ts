/**
 * Junk datagrams for the footprint load: what a hostile or broken network
 * sends a node, from seeded randomness (one run's junk is the next run's).
 * Four kinds in turn: random bytes; a valid query with random bytes
 * overwritten; a valid query cut short; and well-formed bencode that breaks
 * KRPC's shapes (wrong types, unknown methods with random names, answers to
 * transactions nobody opened).
 */
const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

/** xorshift32: fast, seeded, good enough to make junk. */
export function junkRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function bytes(next: () => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = next() & 0xff;
  return out;
}

function validQuery(next: () => number): Buffer {
  const id = bytes(next, 20);
  const tid = bytes(next, 2);
  switch (next() % 3) {
    case 0:
      return Buffer.concat([enc('d1:ad2:id20:'), id, enc('e1:q4:ping1:t2:'), tid, enc('1:y1:qe')]);
    case 1:
      return Buffer.concat([enc('d1:ad2:id20:'), id, enc('6:target20:'), bytes(next, 20), enc('e1:q9:find_node1:t2:'), tid, enc('1:y1:qe')]);
    default:
      return Buffer.concat([enc('d1:ad2:id20:'), id, enc('9:info_hash20:'), bytes(next, 20), enc('e1:q9:get_peers1:t2:'), tid, enc('1:y1:qe')]);
  }
}

function badShape(next: () => number): Buffer {
  const tid = bytes(next, 2);
  const name = bytes(next, 1 + (next() % 12)).toString('hex');
  switch (next() % 5) {
    case 0: // id of the wrong length
      return Buffer.concat([enc('d1:ad2:id3:abce1:q4:ping1:t2:'), tid, enc('1:y1:qe')]);
    case 1: // an unknown method with a random name
      return Buffer.concat([enc(`d1:ad2:id20:`), bytes(next, 20), enc(`e1:q${name.length}:${name}1:t2:`), tid, enc('1:y1:qe')]);
    case 2: // an answer to a transaction we never opened
      return Buffer.concat([enc('d1:rd2:id20:'), bytes(next, 20), enc('5:nodes26:'), bytes(next, 26), enc('e1:t2:'), tid, enc('1:y1:re')]);
    case 3: // `a` is a list
      return Buffer.concat([enc('d1:ali1ei2ee1:q9:get_peers1:t2:'), tid, enc('1:y1:qe')]);
    default: // an error message out of the blue
      return Buffer.concat([enc('d1:eli201e'), enc(`${name.length}:${name}`), enc('e1:t2:'), tid, enc('1:y1:ee')]);
  }
}

/** The i-th junk datagram of a stream. */
export function junkDatagram(next: () => number, i: number): Buffer {
  switch (i % 4) {
    case 0:
      return bytes(next, 1 + (next() % 300));
    case 1: {
      const query = validQuery(next);
      for (let flips = 1 + (next() % 4); flips > 0; flips--) query[next() % query.length] = next() & 0xff;
      return query;
    }
    case 2: {
      const query = validQuery(next);
      return query.subarray(0, next() % query.length);
    }
    default:
      return badShape(next);
  }
}
