/** BEP 51 — DHT infohash indexing: sample_infohashes answers and keyspace walks. */
export { installSample } from './install.ts';
export type { Sample, SampleOptions } from './install.ts';
export { sampleQueryHook } from './responder.ts';
export type { InfohashSource, SampleResponderOptions } from './responder.ts';
export { InfohashList, reservoirSample } from './source.ts';
export { readSampleAnswer, sampleFrom, sampleLookup } from './client.ts';
export type { SampleAnswer, SampleLookupResult } from './client.ts';
export { SampleWalker } from './walk.ts';
export type { SampleWalkOptions, SampleWalkerOptions, WalkStats } from './walk.ts';
