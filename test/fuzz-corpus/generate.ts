/**
 * Writes the fuzz seed corpus: valid KRPC datagrams of every BEP 5 kind and
 * tricky near-misses, one binary file each. The files are committed; this
 * script documents where they came from and rebuilds them:
 *
 *   npx tsx test/fuzz-corpus/generate.ts
 *
 * Bencode is written by hand here (not by a core under test), so the corpus
 * holds byte sequences no encoder of ours would produce: unsorted and repeated
 * keys, leading zeros, huge lengths.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A byte string's bencoding: `<length>:<bytes>`. */
function str(bytes: string): string {
  return `${bytes.length}:${bytes}`;
}

const ID = 'abcdefghij0123456789';
const TARGET = 'mnopqrstuvwxyz123456';
const INFOHASH = '\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14';
const node = (id: string, ip: number[], port: number): string => id + String.fromCharCode(...ip, port >> 8, port & 0xff);
const NODES = node(TARGET, [192, 0, 2, 7], 6881) + node(ID, [10, 0, 0, 1], 51413) + node(INFOHASH, [127, 0, 0, 1], 1);
const NODES6 = TARGET + '\x20\x01\x0d\xb8' + '\x00'.repeat(11) + '\x01\x1a\xe1';
const PEER = String.fromCharCode(203, 0, 113, 9, 0x1a, 0xe1);
const IP = String.fromCharCode(198, 51, 100, 4, 0xc8, 0xd5);

const corpus: Record<string, string> = {
  // Valid queries (BEP 5), keys sorted.
  'query-ping': `d1:ad2:id${str(ID)}e1:q4:ping1:t2:aa1:y1:qe`,
  'query-ping-version': `d1:ad2:id${str(ID)}e1:q4:ping1:t2:aa1:v4:LT\x01\x021:y1:qe`,
  'query-find-node': `d1:ad2:id${str(ID)}6:target${str(TARGET)}e1:q9:find_node1:t2:ab1:y1:qe`,
  'query-find-node-want': `d1:ad2:id${str(ID)}6:target${str(TARGET)}4:wantl2:n42:n6ee1:q9:find_node1:t2:ab1:y1:qe`,
  'query-get-peers': `d1:ad2:id${str(ID)}9:info_hash${str(INFOHASH)}e1:q9:get_peers1:t2:ac1:y1:qe`,
  'query-announce': `d1:ad2:id${str(ID)}12:implied_porti1e9:info_hash${str(INFOHASH)}4:porti6881e5:token8:tokentoke1:q13:announce_peer1:t2:ad1:y1:qe`,
  'query-announce-port': `d1:ad2:id${str(ID)}9:info_hash${str(INFOHASH)}4:porti51413e5:token8:\x00\x01\x02\x03\x04\x05\x06\x07e1:q13:announce_peer1:t2:ae1:y1:qe`,
  'query-unknown-method': `d1:ad2:id${str(ID)}6:target${str(TARGET)}e1:q17:sample_infohashes1:t2:af1:y1:qe`,
  'query-read-only': `d1:ad2:id${str(ID)}e1:q4:ping2:roi1e1:t2:ag1:y1:qe`,
  // Valid responses and errors.
  'response-ping': `d2:ip${str(IP)}1:rd2:id${str(ID)}e1:t2:aa1:y1:re`,
  'response-find-node': `d1:rd2:id${str(ID)}5:nodes${str(NODES)}e1:t2:ab1:y1:re`,
  'response-find-node6': `d1:rd2:id${str(ID)}6:nodes6${str(NODES6)}e1:t2:ab1:y1:re`,
  'response-get-peers-values': `d2:ip${str(IP)}1:rd2:id${str(ID)}5:token8:abcdefgh6:valuesl${str(PEER)}${str(PEER)}ee1:t2:ac1:y1:re`,
  'response-get-peers-nodes': `d1:rd2:id${str(ID)}5:nodes${str(NODES)}5:token2:xye1:t2:ac1:y1:re`,
  'response-announce': `d1:rd2:id${str(ID)}e1:t2:ad1:y1:re`,
  'error-203': `d1:eli203e14:Protocol Errore1:t2:aa1:y1:ee`,
  'error-204': `d1:eli204e14:Method Unknowne1:t2:aa1:y1:ee`,
  'error-huge-code': `d1:eli99999999999999999999e0:e1:t2:aa1:y1:ee`,
  // Tricky: structure.
  'tricky-empty': '',
  'tricky-empty-dict': 'de',
  'tricky-not-a-dict': `l1:ai1ee`,
  'tricky-integer': 'i42e',
  'tricky-unterminated': `d1:ad2:id${str(ID)}`,
  'tricky-deep-nesting': `d1:ad2:id${str(ID)}1:x${'l'.repeat(400)}${'e'.repeat(400)}e1:q4:ping1:t2:aa1:y1:qe`,
  'tricky-unsorted-keys': `d1:y1:q1:t2:aa1:q4:ping1:ad2:id${str(ID)}ee`,
  'tricky-duplicate-key': `d1:ad2:id${str(ID)}e1:q4:ping1:q9:find_node1:t2:aa1:y1:qe`,
  'tricky-trailing-garbage': `d1:ad2:id${str(ID)}e1:q4:ping1:t2:aa1:y1:qeXYZ`,
  'tricky-two-messages': `d1:ad2:id${str(ID)}e1:q4:ping1:t2:aa1:y1:qed1:ad2:id${str(ID)}e1:q4:ping1:t2:ab1:y1:qe`,
  // Tricky: numbers and lengths.
  'tricky-leading-zero-length': `d1:ad2:id020:${ID}e1:q4:ping1:t2:aa1:y1:qe`,
  'tricky-huge-length': `d1:ad2:id99999999999999999999:xe1:q4:ping1:t2:aa1:y1:qe`,
  'tricky-negative-zero': `d1:ad2:id${str(ID)}4:porti-0ee1:q13:announce_peer1:t2:aa1:y1:qe`,
  'tricky-port-overflow': `d1:ad2:id${str(ID)}9:info_hash${str(INFOHASH)}4:porti99999999999999999999e5:token2:xxe1:q13:announce_peer1:t2:aa1:y1:qe`,
  'tricky-length-past-end': `d1:t2:aa1:y1:q1:q4:ping1:ad2:id50:${ID}ee`,
  // Tricky: types and sizes.
  'tricky-t-integer': `d1:ad2:id${str(ID)}e1:q4:ping1:ti7e1:y1:qe`,
  'tricky-t-missing': `d1:ad2:id${str(ID)}e1:q4:ping1:y1:qe`,
  'tricky-t-long': `d1:ad2:id${str(ID)}e1:q4:ping1:t64:${'t'.repeat(64)}1:y1:qe`,
  'tricky-a-list': `d1:al2:id${str(ID)}e1:q4:ping1:t2:aa1:y1:qe`,
  'tricky-y-unknown': `d1:ad2:id${str(ID)}e1:q4:ping1:t2:aa1:y1:ze`,
  'tricky-id-short': `d1:ad2:id5:shorte1:q4:ping1:t2:aa1:y1:qe`,
  'tricky-target-integer': `d1:ad2:id${str(ID)}6:targeti5ee1:q9:find_node1:t2:ab1:y1:qe`,
  'tricky-nodes-partial': `d1:rd2:id${str(ID)}5:nodes${str(NODES.slice(0, 40))}e1:t2:ab1:y1:re`,
  'tricky-values-not-list': `d1:rd2:id${str(ID)}5:token2:xy6:values${str(PEER)}e1:t2:ac1:y1:re`,
  'tricky-values-odd-sizes': `d1:rd2:id${str(ID)}5:token2:xy6:valuesl1:x${str(PEER + 'z')}i5eee1:t2:ac1:y1:re`,
  'tricky-ip-wrong-size': `d2:ip3:abc1:rd2:id${str(ID)}e1:t2:aa1:y1:re`,
  'tricky-error-not-list': `d1:ei201e1:t2:aa1:y1:ee`,
  'tricky-error-empty-list': `d1:ele1:t2:aa1:y1:ee`,
  'tricky-want-garbage': `d1:ad2:id${str(ID)}6:target${str(TARGET)}4:wantli4e3:n99ee1:q9:find_node1:t2:ab1:y1:qe`,
  'tricky-method-binary': `d1:ad2:id${str(ID)}e1:q5:\x00\xff\x80\x01\x7f1:t2:aa1:y1:qe`,
  'tricky-oversize': `d1:ad2:id${str(ID)}1:x${str('x'.repeat(2100))}e1:q4:ping1:t2:aa1:y1:qe`,
};

mkdirSync(here, { recursive: true });
for (const [name, text] of Object.entries(corpus)) {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  writeFileSync(join(here, `${name}.bin`), bytes);
}
console.log(`wrote ${Object.keys(corpus).length} files to ${here}`);
