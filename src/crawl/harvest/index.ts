/** The harvest layer: infohashes from a node's public hooks and sample walks, deduplicated in bounded memory. */
export { Harvester } from './harvester.ts';
export type { HarvestRecord, HarvestStartOptions, HarvestStats, HarvesterOptions } from './harvester.ts';
export { SeenSet } from './seen-set.ts';
export type { SeenSetOptions, SeenSetStats, SeenStatus } from './seen-set.ts';
export { BloomFilter } from './bloom.ts';
export type { BloomOptions } from './bloom.ts';
