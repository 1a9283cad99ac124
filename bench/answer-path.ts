/**
 * The receive path in one process, no socket: a query in, its answer handed
 * to the transport — the node's JavaScript around the syscalls that
 * `bench:node` measures with them. Ours: the core's table answers (bytes in,
 * bytes out); the anchor: the same node with its core's table answers switched
 * off (every scan declines), so the query takes decodeKrpc's message, the
 * dispatcher, the handler and encodeKrpc — the path before issue #13 item 5.
 */
import { DHT } from '../src/dht/dht.ts';
import type { Core } from '../src/core/types.ts';
import { TableMethod, type TableAnswerer } from '../src/core/answer-types.ts';
import type { RoutingTable } from '../src/core/routing-types.ts';
import type { Endpoint } from '../src/ground/address.ts';
import type { DatagramHandler, Transport } from '../src/transport/types.ts';

const FROM: Endpoint = { host: '192.0.2.1', port: 4000, family: 4 };

/** A transport that keeps the node's handler and drops what the node sends (counting it). */
class NullTransport implements Transport {
  handler: DatagramHandler | undefined;
  sent = 0;
  last: Uint8Array | undefined;
  local: Endpoint | undefined;
  async listen(onDatagram: DatagramHandler): Promise<Endpoint> {
    this.handler = onDatagram;
    return (this.local = { host: '127.0.0.1', port: 6881, family: 4 });
  }
  send(data: Uint8Array): void {
    this.sent++;
    this.last = data;
  }
  async close(): Promise<void> {}
}

/** `answers` with every scan declined: the message of the scan goes to the dispatcher. */
function declining(answers: TableAnswerer): TableAnswerer {
  return {
    scan: (datagram) => (answers.scan(datagram), TableMethod.None),
    get readOnly() {
      return answers.readOnly;
    },
    senderId: () => answers.senderId(),
    target: () => answers.target(),
    senderIdInto: (out) => answers.senderIdInto(out),
    targetInto: (out) => answers.targetInto(out),
    message: () => answers.message(),
    answer: (table, k, parts) => answers.answer(table, k, parts),
    answerScratch: (table, k, parts) => answers.answerScratch(table, k, parts),
    kept: () => answers.kept(),
  };
}

export interface AnswerPath {
  /** Deliver `query` n times; returns the datagrams sent. */
  run(n: number): number;
  stop(): Promise<void>;
}

/** Peers to store before measuring: `count` announces from FROM (ports 20000…) for `infohash`. */
export interface StoredPeers {
  infohash: Uint8Array;
  count: number;
}

/** A node on `core` with `nodes` random nodes in its table (and `stored` peers), answering `query` from FROM. */
export async function answerPath(core: Core, fast: boolean, query: Uint8Array, nodes: number, random: (n: number) => Uint8Array, stored?: StoredPeers): Promise<AnswerPath> {
  let table: RoutingTable | undefined;
  const node: Core = {
    ...core,
    createRoutingTable: (options) => (table = core.createRoutingTable(options)),
    answers: fast ? core.answers : declining(core.answers),
  };
  const transport = new NullTransport();
  const dht = new DHT({ core: node, transport, bootstrap: [], maintenance: false, maxQueriesPerIpPerSecond: 0 });
  await dht.start();
  for (let i = 0; i < nodes; i++) table!.add(random(20), random(6), Date.now(), true);
  const handler = transport.handler!;
  if (stored) {
    const id = random(20);
    const t = Uint8Array.of(0xff, 0);
    handler(core.encodeKrpc({ y: 'q', t, q: 'get_peers', a: { id, info_hash: stored.infohash } }), FROM);
    const answer = core.decodeKrpc(transport.last!);
    if (answer.y !== 'r' || !answer.r.token) throw new Error('answerPath: no token to announce with');
    const token = answer.r.token.slice();
    for (let i = 0; i < stored.count; i++) handler(core.encodeKrpc({ y: 'q', t, q: 'announce_peer', a: { id, info_hash: stored.infohash, port: 20_000 + i, token } }), FROM);
    if (dht.stats().peersStored !== stored.count) throw new Error(`answerPath: ${dht.stats().peersStored} peers stored, not ${stored.count}`);
  }
  return {
    run(n: number): number {
      for (let i = 0; i < n; i++) handler(query, FROM);
      return transport.sent;
    },
    stop: () => dht.stop(),
  };
}
