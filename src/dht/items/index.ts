/** BEP 44 — storing arbitrary data in the DHT: immutable and mutable (signed) items. */
export { installItems } from './install.ts';
export type { FoundItem, Items, ItemsOptions, MutableAddress, PutMutableOptions, PutSummary } from './install.ts';
export { formatKeyFile, generateKeypair, keypairFromSeed, parseKeyFile, signWith, toPublicKey } from './keys.ts';
export type { Keypair } from './keys.ts';
export { loadKeypair, saveKeypair } from './key-file.ts';
export { immutableTarget, mutableTarget } from './target.ts';
export { signatureBuffer, signWithExpandedKey, verifySignature } from './signature.ts';
export { MemoryItemStore } from './store.ts';
export type { ItemStore, MemoryItemStoreOptions, PutOutcome } from './store.ts';
export type { ImmutableItem, Item, MutableItem } from './item.ts';
export type { WriteTokens } from './handlers.ts';
export type { ClosestNodes, ExtensionHost } from './host.ts';
export { enoughCopies } from './republish.ts';
export type { RepublishOutcome } from './republish.ts';
export * as ITEM_LIMITS from './constants.ts';
