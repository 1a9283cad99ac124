/**
 * sampleWalk (BEP 51): survey the keyspace with one sample_infohashes per node.
 *
 * Known-but-unasked nodes wait in a frontier sorted by id. `concurrency`
 * workers start at cursors spread evenly over the id space; each takes the
 * next node after its cursor (wrapping around) and asks it for samples. The
 * target of each query is the node's own id with its low bits randomized
 * below a random prefix length: near ones return the node's nearest
 * neighbours (nodes few others know), short ones a bucket of its table from
 * far away, so the nodes named spread over the id space at every scale and
 * the frontier fills in as the walk goes (the XOR neighbourhoods of nodes
 * alone do not chain across the keyspace). The walk ends when the frontier is
 * empty and nothing is in flight: about one query per node reached.
 *
 * Each node is asked once: a node asked before is not asked again until its
 * `interval` passed (the walker remembers across walks). Infohashes are
 * yielded as answers arrive, each once per walk. Memory is bounded: the
 * frontier, the asked-nodes memory and the seen-infohash set are capped
 * (oldest forgotten first), and sending pauses while WALK_HIGH_WATER
 * infohashes wait for the consumer.
 */
import { ipFamily } from '../../ground/address.ts';
import type { Clock } from '../../ground/clock.ts';
import type { Endpoint } from '../../ground/address.ts';
import { bytesEqual, bytesKey } from '../../util/bytes.ts';
import type { RandomSource } from '../../ground/random.ts';
import { cryptoRandom, randomInt } from '../../ground/random.ts';
import { randomIdInPrefix } from '../../util/id.ts';
import type { ExtensionHost } from '../items/host.ts';
import { queryOutcome } from '../items/host.ts';
import { readSampleAnswer } from './client.ts';
import {
  MAX_SAMPLE_INTERVAL_SECONDS,
  WALK_CONCURRENCY,
  WALK_HIGH_WATER,
  WALK_MAX_ASKED,
  WALK_MAX_FRONTIER,
  WALK_MAX_SEEN,
} from './constants.ts';

export interface SampleWalkerOptions {
  clock: Clock;
  /** For query targets (default crypto). */
  random?: RandomSource;
  /** Nodes remembered as asked (default 200000). */
  maxAsked?: number;
  /** Infohashes remembered per walk for deduplication (default 1000000). */
  maxSeen?: number;
  /** Nodes waiting to be asked (default 200000). */
  maxFrontier?: number;
  /** Wait before asking again a node that did not tell (default 6 h) or did not answer (a quarter of it). */
  defaultIntervalSeconds?: number;
}

/**
 * @example
 * import { DHT, toHex, type SampleWalkOptions } from 'btdht';
 * const dht = new DHT();
 * await dht.start();
 * const options: SampleWalkOptions = { concurrency: 8, maxQueries: 1000, signal: AbortSignal.timeout(60_000) };
 * for await (const infohash of dht.sampleWalk(options)) console.log(toHex(infohash));
 */
export interface SampleWalkOptions {
  signal?: AbortSignal;
  /** Queries in flight (default 16). */
  concurrency?: number;
  /** Stop after this many queries. */
  maxQueries?: number;
}

export interface WalkStats {
  /** Queries sent (a node that timed out is asked once more), answers, nodes that failed (timeouts, errors). */
  queried: number;
  answered: number;
  failed: number;
  /** Answers that carried samples (nodes supporting BEP 51). */
  supported: number;
  /** Nodes not asked because their interval had not passed. */
  skipped: number;
  /** Distinct infohashes yielded. */
  infohashes: number;
}

type Host = Pick<ExtensionHost, 'query' | 'nodes' | 'address' | 'id'>;

interface Entry {
  id: Uint8Array;
  key: string;
  endpoint: Endpoint;
  /** Queries sent to it in this walk. */
  tries: number;
}

export class SampleWalker {
  readonly #host: Host;
  readonly #options: SampleWalkerOptions;
  /** Address key → time before which the node is not asked again; insertion order ≈ oldest first. */
  readonly #asked = new Map<string, number>();
  readonly #maxAsked: number;
  readonly #defaultIntervalMs: number;
  /** The last walk's figures. */
  stats: WalkStats = emptyStats();

  constructor(host: Host, options: SampleWalkerOptions) {
    this.#host = host;
    this.#options = options;
    this.#maxAsked = options.maxAsked ?? WALK_MAX_ASKED;
    this.#defaultIntervalMs = (options.defaultIntervalSeconds ?? MAX_SAMPLE_INTERVAL_SECONDS) * 1000;
  }

  /** Nodes remembered as asked (at most `maxAsked`). */
  get remembered(): number {
    return this.#asked.size;
  }

  /** Walk the keyspace once, yielding each infohash found (20 bytes) once. */
  async *walk(options: SampleWalkOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    const host = this.#host;
    const clock = this.#options.clock;
    const maxSeen = this.#options.maxSeen ?? WALK_MAX_SEEN;
    const maxFrontier = this.#options.maxFrontier ?? WALK_MAX_FRONTIER;
    const concurrency = Math.max(1, options.concurrency ?? WALK_CONCURRENCY);
    const maxQueries = options.maxQueries ?? Number.POSITIVE_INFINITY;
    const stats = (this.stats = emptyStats());
    const random = this.#options.random ?? cryptoRandom;
    const local = host.address();
    const self = host.id;
    const localKey = addressKey(local);
    const frontier: Entry[] = [];
    const inFrontier = new Set<string>();
    const seen = new Set<string>();
    const found: Uint8Array[] = [];
    let head = 0;
    let inFlight = 0;
    let finished = false;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop.abort();

    // Wake-ups: workers wait for answers, the consumer for infohashes.
    let waiters: (() => void)[] = [];
    const notify = (): void => {
      const list = waiters;
      waiters = [];
      for (const wake of list) wake();
    };
    const changed = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
    stop.signal.addEventListener('abort', notify, { once: true });

    const offer = (id: Uint8Array, endpoint: Endpoint): void => {
      const key = addressKey(endpoint);
      if (key === localKey || endpoint.port === 0 || inFrontier.has(key) || bytesEqual(id, self)) return;
      const until = this.#asked.get(key);
      if (until !== undefined && until > clock.now()) {
        stats.skipped++;
        return;
      }
      if (frontier.length >= maxFrontier) return;
      insert({ id, key, endpoint, tries: 0 });
    };

    const insert = (entry: Entry): void => {
      frontier.splice(lowerBound(frontier, entry.id), 0, entry);
      inFrontier.add(entry.key);
    };

    const take = (cursor: Uint8Array): Entry | undefined => {
      if (frontier.length === 0) return undefined;
      let index = lowerBound(frontier, cursor);
      if (index >= frontier.length) index = 0; // wrap around
      const [entry] = frontier.splice(index, 1);
      inFrontier.delete(entry!.key);
      return entry;
    };

    const remember = (key: string, intervalMs: number): void => {
      this.#asked.delete(key);
      this.#asked.set(key, clock.now() + intervalMs);
      if (this.#asked.size > this.#maxAsked) this.#asked.delete(this.#asked.keys().next().value as string);
    };

    const worker = async (start: Uint8Array): Promise<void> => {
      let cursor = start;
      for (;;) {
        if (stop.signal.aborted || stats.queried >= maxQueries) return;
        if (found.length - head > WALK_HIGH_WATER) {
          await changed();
          continue;
        }
        const entry = take(cursor);
        if (!entry) {
          if (inFlight === 0) return;
          await changed();
          continue;
        }
        cursor = entry.id;
        entry.tries++;
        inFlight++;
        stats.queried++;
        remember(entry.key, this.#defaultIntervalMs);
        const outcome = await queryOutcome(host, entry.endpoint, 'sample_infohashes', { target: targetNear(entry.id, this.#asked.size + frontier.length, random) });
        inFlight--;
        if (stop.signal.aborted) return;
        if (outcome.kind === 'response') {
          stats.answered++;
          const answer = readSampleAnswer(outcome.response, local.family);
          if (answer.supported) stats.supported++;
          remember(entry.key, answer.interval > 0 ? answer.interval * 1000 : this.#defaultIntervalMs);
          for (const sample of answer.samples) {
            const key = bytesKey(sample);
            if (seen.has(key)) continue;
            seen.add(key);
            if (seen.size > maxSeen) seen.delete(seen.values().next().value as string);
            found.push(sample);
            stats.infohashes++;
          }
          for (const node of answer.nodes) offer(node.id, { host: node.host, port: node.port, family: node.family });
        } else if (outcome.kind === 'timeout' && entry.tries < 2 && !inFrontier.has(entry.key)) {
          insert(entry); // one more try: on a lossy path one lost datagram would lose the node and all it knows
        } else {
          stats.failed++;
          remember(entry.key, this.#defaultIntervalMs / 4);
        }
        notify();
      }
    };

    for (const node of host.nodes()) {
      const family = ipFamily(node.host);
      if (family === local.family) offer(node.id, { host: node.host, port: node.port, family });
    }
    const workers: Promise<void>[] = [];
    for (let i = 0; i < concurrency; i++) workers.push(worker(spreadId(i, concurrency)));
    void Promise.all(workers).then(() => {
      finished = true;
      notify();
    });

    try {
      for (;;) {
        while (head < found.length) {
          const infohash = found[head]!;
          found[head++] = EMPTY;
          yield infohash;
          if (head > 4096 && head * 2 > found.length) {
            found.splice(0, head);
            head = 0;
            notify(); // room again for workers paused at the high-water mark
          }
        }
        if (finished || stop.signal.aborted) break;
        await changed();
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }
}

const EMPTY = new Uint8Array(0);

function emptyStats(): WalkStats {
  return { queried: 0, answered: 0, failed: 0, supported: 0, skipped: 0, infohashes: 0 };
}

/**
 * A target for asking node `id`: half the time its own id (the answer names
 * its nearest neighbours, nodes few others know), otherwise one sharing a
 * random number of leading bits with it, from none (anywhere) to about
 * log2(known / 8) (around it), so the answers cover every scale.
 */
function targetNear(id: Uint8Array, known: number, random: RandomSource): Uint8Array {
  if (randomInt(random, 2) === 0) return id;
  const depth = Math.min(159, Math.ceil(Math.log2(Math.max(known, 8) / 8)) + 1);
  return randomIdInPrefix(id, randomInt(random, depth + 1), random);
}

/** The i-th of n ids spread evenly over the keyspace. */
function spreadId(i: number, n: number): Uint8Array {
  const id = new Uint8Array(20);
  const top = Math.floor((i * 0x1_0000_0000) / n);
  id[0] = top >>> 24;
  id[1] = (top >>> 16) & 0xff;
  id[2] = (top >>> 8) & 0xff;
  id[3] = top & 0xff;
  return id;
}

/** First index whose id is not below `id` (ids compared as big-endian numbers). */
function lowerBound(list: readonly Entry[], id: Uint8Array): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareIds(list[mid]!.id, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compareIds(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 20; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function addressKey(endpoint: { host: string; port: number }): string {
  return `${endpoint.host}|${endpoint.port}`;
}
