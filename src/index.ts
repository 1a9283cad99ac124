/**
 * btdht: a BitTorrent mainline DHT (BEP 5) node and library.
 *
 * @example
 * import { DHT } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * for await (const peer of dht.peers('e3811b9539cacff680e418124272177c47477157')) console.log(peer);
 * await dht.stop();
 *
 * @module btdht
 */
export { DHT } from './dht/dht.ts';
export type { BucketStats, DHTEvents, LookupEvent, DHTStats, PingResult, GetPeersOptions, AnnounceOptionsInput, TableSize } from './dht/dht.ts';
export type { DHTOptions, Resolver, Bep42Mode } from './dht/options.ts';
export type { NodeInfo } from './dht/routing.ts';
export type { Answer, AnswerHook, QueryHook, QueryHookResult, ResponseHook } from './dht/hooks.ts';
export type { Candidate, TraversalResult, TraversalStrategy } from './dht/traversal.ts';
export type { Counts } from './dht/stats.ts';
export type { PeerStore } from './dht/peer-store.ts';
export { MemoryPeerStore } from './dht/peer-store.ts';
export { KrpcRemoteError, QueryFailedError } from './dht/errors.ts';
// BEP 44 items (keys and targets for putMutable / get), BEP 33 scrape and BEP 51 sample results.
export type { FoundItem, MutableAddress, PutMutableOptions, PutSummary, Keypair, Item, ItemStore } from './dht/items/index.ts';
export { generateKeypair, keypairFromSeed, parseKeyFile, formatKeyFile, loadKeypair, saveKeypair, immutableTarget, mutableTarget, MemoryItemStore } from './dht/items/index.ts';
export type { ScrapeResult } from './dht/scrape/index.ts';
export type { SampleAnswer, SampleLookupResult, SampleWalkOptions } from './dht/sample/index.ts';
export { K, ALPHA, DEFAULT_BOOTSTRAP } from './dht/constants.ts';
export type { Peer, CompactNode } from './krpc/compact.ts';
export { decodeCompactAddress, decodeCompactNodes, decodeCompactPeers, encodeCompactAddress, encodeCompactNodes, encodeCompactPeer } from './krpc/compact.ts';
export type { KrpcMessage, KrpcQuery, KrpcResponse, KrpcError, QueryArgs, ResponseValues, ReceivedValues } from './ground/messages.ts';
export { ValuesView } from './ground/messages.ts';
export { loadCore } from './core/index.ts';
export type { Backend, Core } from './core/types.ts';
export type { Clock, TimerHandle } from './ground/clock.ts';
export { realClock } from './ground/clock.ts';
export type { Endpoint, AddressFamily } from './ground/address.ts';
export type { Transport } from './transport/types.ts';
export { createUdpTransport } from './transport/detect.ts';
export { toHex, fromHex } from './util/hex.ts';
export type { RandomSource } from './ground/random.ts';
export { seededRandom } from './ground/random.ts';
