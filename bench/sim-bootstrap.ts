/**
 * How a newcomer joins a simulated swarm (the bench and test swarms share it,
 * test/helpers/sim-swarm.ts): it bootstraps off three random nodes already
 * there, fewer when the picks repeat, none for the first node.
 */
import type { DHT } from '../src/dht/dht.ts';
import { randomInt } from '../src/ground/random.ts';
import type { RandomSource } from '../src/ground/random.ts';

/** A node's address as a bootstrap entry ('host:port'). */
export function nodeAddress(dht: DHT): string {
  return `${dht.address().host}:${dht.address().port}`;
}

/** Three random nodes of `nodes` (deduplicated, in draw order), none when there are none. */
export function randomBootstrap(nodes: readonly DHT[], random: RandomSource): string[] {
  if (nodes.length === 0) return [];
  return [...new Set([0, 1, 2].map(() => nodeAddress(nodes[randomInt(random, nodes.length)]!)))];
}
