/**
 * BEP 33 answering on a node (fake transport): seed=1 announces recorded as
 * seeds, only once accepted; get_peers with scrape=1 carries BFsd/BFpe;
 * noseed=1 puts peers first; and the calls the node's own handlers would make.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backends } from '../helpers/backends.ts';
import { loadCore } from '../../src/core/index.ts';
import type { Core } from '../../src/core/types.ts';
import type { BencodeDict } from '../../src/ground/bencode.ts';
import type { KrpcError, KrpcQuery, KrpcResponse, QueryArgs } from '../../src/ground/messages.ts';
import { startTestNode, v4, id } from './helpers.ts';
import type { TestNode } from './helpers.ts';
import { bloomHas, installScrape } from '../../src/dht/scrape/index.ts';
import type { Scrape } from '../../src/dht/scrape/index.ts';

const T = new Uint8Array([1, 2]);
const seeder = v4('192.0.2.1', 4000);
const leecher = v4('192.0.2.2', 4000);
const other = v4('192.0.2.3', 4000);
const infohash = id(9);

describe.each(backends)('BEP 33 answers (%s core)', (backend) => {
  let core: Core;
  let node: TestNode;
  let scrape: Scrape;

  beforeEach(async () => {
    core = await loadCore(backend);
    node = await startTestNode(core);
    scrape = installScrape(node.dht, { core, clock: node.clock });
  });
  afterEach(async () => {
    scrape.close();
    await node.dht.stop();
  });

  const ask = (q: string, a: QueryArgs, extra: BencodeDict | undefined, from: typeof seeder): KrpcResponse | KrpcError => {
    const answers = node.ask({ y: 'q', t: T, q, a: { id: id(1), ...a }, ...(extra ? { extra } : {}) }, from);
    expect(answers).toHaveLength(1);
    return answers[0] as KrpcResponse | KrpcError;
  };
  const body = (answer: KrpcResponse | KrpcError): BencodeDict => {
    expect(answer.y).toBe('r');
    return core.decode(answer.datagram.subarray(answer.bodyStart, answer.bodyEnd)) as BencodeDict;
  };
  const announce = (from: typeof seeder, seed: boolean, token?: Uint8Array): KrpcResponse | KrpcError => {
    const t = token ?? (ask('get_peers', { info_hash: infohash }, undefined, from) as KrpcResponse).r.token!;
    return ask('announce_peer', { info_hash: infohash, port: 6881, token: t }, seed ? { seed: 1 } : undefined, from);
  };

  it('seed=1 announces count as seeds, others as peers; a refused announce counts for nothing', () => {
    expect(announce(seeder, true).y).toBe('r');
    expect(announce(leecher, false).y).toBe('r');
    expect(announce(other, true, new Uint8Array(8)).y).toBe('e'); // bad token
    expect(scrape.records.counts(infohash, node.clock.now())).toEqual({ seeds: 1, peers: 1 });
  });

  it('get_peers with scrape=1 answers BFsd and BFpe; without it, the usual answer', () => {
    announce(seeder, true);
    announce(leecher, false);
    const r = body(ask('get_peers', { info_hash: infohash }, { scrape: 1 }, other));
    const seeds = r['BFsd'] as Uint8Array;
    const peers = r['BFpe'] as Uint8Array;
    expect(seeds).toHaveLength(256);
    expect(peers).toHaveLength(256);
    expect(bloomHas(seeds, new Uint8Array([192, 0, 2, 1]))).toBe(true);
    expect(bloomHas(peers, new Uint8Array([192, 0, 2, 2]))).toBe(true);
    expect(bloomHas(peers, new Uint8Array([192, 0, 2, 1]))).toBe(false);
    expect(r['values']).toHaveLength(2);
    expect(r['nodes']).toBeInstanceOf(Uint8Array);
    const plain = body(ask('get_peers', { info_hash: infohash }, undefined, other));
    expect(plain['BFsd']).toBeUndefined();
    expect(plain['token']).toBeInstanceOf(Uint8Array);
    // scrape=1 for an infohash we hold nothing of: the usual answer, no filters.
    const unknown = body(ask('get_peers', { info_hash: id(10) }, { scrape: 1 }, other));
    expect(unknown['BFsd']).toBeUndefined();
    expect(unknown['token']).toBeInstanceOf(Uint8Array);
  });

  it('noseed=1 puts peers before seeds', () => {
    announce(leecher, false);
    announce(seeder, true); // the most recent
    const first = (extra: BencodeDict): number => ((body(ask('get_peers', { info_hash: infohash }, extra, other))['values'] as Uint8Array[])[0]!)[3]!;
    expect(first({ scrape: 1 })).toBe(1);
    expect(first({ scrape: 1, noseed: 1 })).toBe(2);
  });

  it('the responder calls a node handler would make', () => {
    announce(seeder, true);
    const responder = scrape.responder;
    const query = (extra?: BencodeDict): KrpcQuery => {
      const bytes = core.encodeKrpc({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: infohash }, ...(extra ? { extra } : {}) });
      return core.decodeKrpc(bytes) as KrpcQuery;
    };
    expect(responder.flags(query())).toEqual({ scrape: false, noseed: false });
    expect(responder.flags(query({ scrape: 1 }))).toEqual({ scrape: true, noseed: false });
    expect(responder.flags(query({ noseed: 1, scrape: 0 }))).toEqual({ scrape: false, noseed: true });
    // A token that happens to hold the bytes '6:scrape' is not a flag.
    const tricky = core.decodeKrpc(
      core.encodeKrpc({ y: 'q', t: T, q: 'get_peers', a: { id: id(1), info_hash: infohash, token: new TextEncoder().encode('6:scrapei1e') } }),
    ) as KrpcQuery;
    expect(responder.flags(tricky).scrape).toBe(false);
    expect(Object.keys(responder.extra(infohash)!).sort()).toEqual(['BFpe', 'BFsd']);
    expect(responder.extra(id(10))).toBeUndefined();
    expect(responder.acceptsAnnounces(infohash)).toBe(true);
    expect(responder.maxScrapeValues(4)).toBe(22);
  });
});
