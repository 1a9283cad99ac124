/**
 * BEP 51 on a node: `installSample(dht, { source })` answers
 * sample_infohashes from `source` (the node's peer store), and gives the
 * client: `sampleInfohashes(node | target)` and `sampleWalk({ signal })`.
 */
import type { Clock } from '../../ground/clock.ts';
import { realClock } from '../../ground/clock.ts';
import type { Endpoint } from '../../ground/address.ts';
import type { RandomSource } from '../../ground/random.ts';
import { cryptoRandom } from '../../ground/random.ts';
import { resolveNumericEndpoint } from '../../util/endpoint.ts';
import type { HostPort } from '../../util/endpoint.ts';
import { toId } from '../../util/id.ts';
import { K } from '../constants.ts';
import type { ClosestNodes, ExtensionHost } from '../items/host.ts';
import { answerMethod, closestFromHost } from '../items/host.ts';
import { SHAPES } from '../query-shapes.ts';
import type { SampleAnswer, SampleLookupResult } from './client.ts';
import { sampleFrom, sampleLookup } from './client.ts';
import type { InfohashSource } from './responder.ts';
import { sampleQueryHook } from './responder.ts';
import type { SampleWalkOptions, SampleWalkerOptions } from './walk.ts';
import { SampleWalker } from './walk.ts';

export interface SampleOptions {
  /** What we answer from; without it we answer no sample_infohashes (the node's default handling applies). */
  source?: InfohashSource;
  clock?: Clock;
  random?: RandomSource;
  closestNodes?: ClosestNodes;
  k?: number;
  /** Our `interval` in seconds (default 21600 = 6 h). */
  intervalSeconds?: number;
  /** Answers per second, node-wide (default 50). */
  answersPerSecond?: number;
  /** Walk memory caps. */
  walker?: Omit<SampleWalkerOptions, 'clock' | 'random'>;
}

export interface Sample {
  readonly walker: SampleWalker;
  /** Samples from one node ('host:port' or an endpoint); the nodes it names are those nearest `target` (default our id). */
  sampleInfohashes(node: string | HostPort, options?: { target?: Uint8Array }): Promise<SampleAnswer>;
  /** Samples from every node a traversal toward `target` (20 bytes or 40 hex) meets. */
  sampleInfohashesNear(target: Uint8Array | string, options?: { signal?: AbortSignal }): Promise<SampleLookupResult>;
  /** Walk the keyspace, yielding infohashes as found, each once (see walk.ts). */
  sampleWalk(options?: SampleWalkOptions): AsyncGenerator<Uint8Array, void, undefined>;
  close(): void;
}

export function installSample(host: ExtensionHost, options: SampleOptions): Sample {
  const clock = options.clock ?? realClock;
  const off: (() => void)[] = [];
  if (options.source) {
    off.push(
      answerMethod(
        host,
        'sample_infohashes',
        SHAPES.sample_infohashes,
        sampleQueryHook({
          source: options.source,
          clock,
          random: options.random ?? cryptoRandom,
          closest: options.closestNodes ?? closestFromHost(host, options.k ?? K),
          ...(options.intervalSeconds !== undefined ? { intervalSeconds: options.intervalSeconds } : {}),
          ...(options.answersPerSecond !== undefined ? { answersPerSecond: options.answersPerSecond } : {}),
        }),
      ),
    );
  }
  const walker = new SampleWalker(host, { clock, ...(options.random ? { random: options.random } : {}), ...options.walker });
  return {
    walker,
    sampleInfohashes(node, sampleOptions = {}) {
      const to: Endpoint = resolveNumericEndpoint(node, 'sampleInfohashes');
      return sampleFrom(host, to, sampleOptions.target ?? host.id);
    },
    /** Samples from every node a traversal toward `target` (20 bytes or 40 hex) meets. */
  sampleInfohashesNear(target, lookupOptions = {}) {
      return sampleLookup(host, toId(target, 'sample target'), lookupOptions);
    },
    sampleWalk(walkOptions) {
      return walker.walk(walkOptions);
    },
    close() {
      for (const remove of off) remove();
    },
  };
}
