/**
 * Asking for samples (BEP 51): read an answer (samples, num, interval, the
 * nodes it names), ask one node directly, or ask every node a traversal
 * toward a target meets.
 */
import type { KrpcResponse } from '../../ground/messages.ts';
import type { CompactNode } from '../../krpc/compact.ts';
import { decodeCompactNodes } from '../../krpc/compact.ts';
import type { AddressFamily, Endpoint } from '../../ground/address.ts';
import { bytesKey } from '../../util/bytes.ts';
import type { Candidate, TraversalResult, TraversalStrategy } from '../traversal.ts';
import type { ExtensionHost } from '../items/host.ts';
import { MAX_SAMPLE_INTERVAL_SECONDS } from './constants.ts';
import { scanSampleFields } from './scan.ts';

/**
 * @example
 * import { DHT, type SampleAnswer } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const answer: SampleAnswer = await dht.sampleInfohashes('127.0.0.1:6881');
 * if (answer.supported) console.log(answer.samples.length, 'of', answer.num, 'infohashes; ask again in', answer.interval, 's');
 */
export interface SampleAnswer {
  /** Did the node answer with `samples` (BEP 51), rather than like find_node? */
  supported: boolean;
  samples: Uint8Array[];
  /** Infohashes the node says it holds (-1 when not told). */
  num: number;
  /** Seconds before it wants to be asked again, capped at 6 h (0 when not told). */
  interval: number;
  /** Nodes of our family it named. */
  nodes: CompactNode[];
}

/**
 * Read a sample_infohashes answer, trusting nothing: `nodes` as the KRPC
 * decoder gave them, the BEP 51 fields read in place from the answer's bytes
 * (scan.ts). Each sample is a copy (the caller keeps them; the datagram is
 * reused).
 */
export function readSampleAnswer(response: KrpcResponse, family: AddressFamily): SampleAnswer {
  const bytes = response.datagram;
  const fields = scanSampleFields(bytes, response.bodyStart, response.bodyEnd);
  const raw = fields?.samples;
  const samples: Uint8Array[] = [];
  if (raw !== undefined) for (let offset = raw.start; offset + 20 <= raw.end; offset += 20) samples.push(bytes.slice(offset, offset + 20));
  const num = fields?.num;
  const interval = fields?.interval;
  const compact = family === 4 ? response.r.nodes : response.r.nodes6;
  return {
    supported: raw !== undefined,
    samples,
    num: num !== undefined && num >= 0 ? num : -1,
    interval: interval !== undefined && interval > 0 ? Math.min(interval, MAX_SAMPLE_INTERVAL_SECONDS) : 0,
    nodes: compact ? decodeCompactNodes(compact, family) : [],
  };
}

/** Ask one node for samples (its nearest nodes are those to `target`). */
export async function sampleFrom(host: Pick<ExtensionHost, 'query'>, to: Endpoint, target: Uint8Array): Promise<SampleAnswer> {
  const response = await host.query(to, 'sample_infohashes', { target });
  return readSampleAnswer(response, to.family);
}

/**
 * @example
 * import { DHT, type SampleLookupResult } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const near: SampleLookupResult = await dht.sampleInfohashes(dht.id);
 * console.log(near.samples.length, 'infohashes from', near.supported, 'nodes near our id');
 */
export interface SampleLookupResult extends TraversalResult {
  /** Distinct infohashes from every answer. */
  samples: Uint8Array[];
  /** Answers that carried `samples`. */
  supported: number;
}

/** A traversal toward `target` sending sample_infohashes, keeping every sample (deduplicated, at most `maxSamples`). */
export async function sampleLookup(
  host: Pick<ExtensionHost, 'lookup' | 'address'>,
  target: Uint8Array,
  options: { signal?: AbortSignal; maxSamples?: number } = {},
): Promise<SampleLookupResult> {
  const seen = new Map<string, Uint8Array>();
  const maxSamples = options.maxSamples ?? 100_000;
  let supported = 0;
  const family = host.address().family;
  const strategy: TraversalStrategy = {
    method: 'sample_infohashes',
    args: { target },
    onResponse(_candidate: Candidate, response: KrpcResponse) {
      const answer = readSampleAnswer(response, family);
      if (answer.supported) supported++;
      for (const sample of answer.samples) if (seen.size < maxSamples) seen.set(bytesKey(sample), sample);
      return undefined;
    },
  };
  const result = await host.lookup(target, strategy, options.signal ? { signal: options.signal } : {});
  return { ...result, samples: [...seen.values()], supported };
}
