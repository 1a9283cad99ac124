/**
 * `npm run bench`: the core's hot paths against the packages JavaScript users
 * pick today, measured side by side in one run. Prints a Markdown table.
 */
import bencode from 'bencode';
import KBucket from 'k-bucket';
import { createHash } from 'node:crypto';
import { loadCore } from '../src/core/index.ts';
import type { Core } from '../src/core/types.ts';
import { compare, keepAlive, table, type Result } from './harness.ts';
import { answerPath } from './answer-path.ts';

const cores: Core[] = [await loadCore('wasm'), await loadCore('js')];
const goal = (core: Core, wasm: number, js?: number): number | undefined => (core.backend === 'wasm' ? wasm : js);

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return bytes;
}

const id = randomBytes(20);
const t = new Uint8Array([0x61, 0x61]);
const results: Result[] = [];

// KRPC decode of a ping query: the most common datagram on the DHT.
const ping = cores[0]!.encodeKrpc({ y: 'q', t, q: 'ping', a: { id } });
results.push(
  compare({
    operation: 'KRPC decode: ping query',
    anchor: { name: 'bencode.decode', run: (n) => { let r; for (let i = 0; i < n; i++) r = bencode.decode(ping); return r; } },
    ours: cores.map((core) => ({
      name: `decodeKrpc (${core.backend})`,
      goal: goal(core, 10, 3),
      run: (n: number) => { let r; for (let i = 0; i < n; i++) r = core.decodeKrpc(ping); return r; },
    })),
  }),
);

// KRPC decode of a get_peers response with 50 values and a token.
const values = Array.from({ length: 50 }, () => randomBytes(6));
const token = randomBytes(8);
const nodes = randomBytes(26 * 8);
const getPeersResponse = cores[0]!.encodeKrpc({ y: 'r', t, r: { id, token, values } });
results.push(
  compare({
    operation: 'KRPC decode: get_peers response, 50 values',
    anchor: { name: 'bencode.decode', run: (n) => { let r; for (let i = 0; i < n; i++) r = bencode.decode(getPeersResponse); return r; } },
    ours: cores.map((core) => ({
      name: `decodeKrpc (${core.backend})`,
      goal: goal(core, 10, 3),
      run: (n: number) => { let r; for (let i = 0; i < n; i++) r = core.decodeKrpc(getPeersResponse); return r; },
    })),
  }),
);

// KRPC encode of the same response.
const plain = { t, y: 'r', r: { id, token, values } };
results.push(
  compare({
    operation: 'KRPC encode: get_peers response, 50 values',
    anchor: { name: 'bencode.encode', run: (n) => { let r; for (let i = 0; i < n; i++) r = bencode.encode(plain); return r; } },
    ours: cores.map((core) => ({
      name: `encodeKrpc (${core.backend})`,
      goal: goal(core, 10, 3),
      run: (n: number) => { let r; for (let i = 0; i < n; i++) r = core.encodeKrpc({ y: 'r', t, r: { id, token, values } }); return r; },
    })),
  }),
);

// KRPC encode of a find_node response (8 nodes): the hottest answer.
results.push(
  compare({
    operation: 'KRPC encode: find_node response, 8 nodes',
    anchor: { name: 'bencode.encode', run: (n) => { let r; for (let i = 0; i < n; i++) r = bencode.encode({ t, y: 'r', r: { id, nodes } }); return r; } },
    ours: cores.map((core) => ({
      name: `encodeKrpc (${core.backend})`,
      goal: goal(core, 10, 3),
      run: (n: number) => { let r; for (let i = 0; i < n; i++) r = core.encodeKrpc({ y: 'r', t, r: { id, nodes } }); return r; },
    })),
  }),
);

// SHA-1 of a token-sized input: IPv4 address + port + 18-byte secret = 24 bytes.
const tokenInput = randomBytes(24);
results.push(
  compare({
    operation: 'SHA-1, 24 bytes',
    anchor: { name: 'node:crypto createHash', run: (n) => { let r; for (let i = 0; i < n; i++) r = createHash('sha1').update(tokenInput).digest(); return r; } },
    ours: cores.map((core) => ({
      name: `sha1 (${core.backend})`,
      goal: goal(core, 5),
      run: (n: number) => { let r; for (let i = 0; i < n; i++) r = core.sha1(tokenInput); return r; },
    })),
  }),
);

// closest-8 over a table holding the same ids as k-bucket: once with k-bucket at
// K = 8 like ours, once at its default of 20 per bucket (what its users run).
const kbucket8 = new KBucket({ localNodeId: id, numberOfNodesPerKBucket: 8 });
const kbucket20 = new KBucket({ localNodeId: id });
const tables = cores.map((core) => core.createRoutingTable({ id }));
for (let i = 0; i < 20_000; i++) {
  const nodeId = randomBytes(20);
  const address = randomBytes(6);
  kbucket8.add({ id: nodeId, address });
  kbucket20.add({ id: nodeId, address });
  for (const table of tables) table.add(nodeId, address, 0, true);
}
const targets = Array.from({ length: 256 }, () => randomBytes(20));
for (const [kbucket, k] of [[kbucket8, 8], [kbucket20, 20]] as const) {
  results.push(
    compare({
      operation: `closest 8 (ours: ${tables[0]!.size} nodes; k-bucket K=${k}: ${kbucket.count()} nodes)`,
      anchor: { name: `k-bucket closest(8), K=${k}`, run: (n) => { let r; for (let i = 0; i < n; i++) r = kbucket.closest(targets[i & 255]!, 8); return r; } },
      ours: cores.map((core, c) => ({
        name: `closest (${core.backend})`,
        goal: goal(core, 10, 10),
        run: (n: number) => { let r; for (let i = 0; i < n; i++) r = tables[c]!.closest(targets[i & 255]!, 8); return r; },
      })),
    }),
  );
}

// The same selection written into a buffer the caller owns (closestInto, like
// TextEncoder.encodeInto): a datagram writer's or a lookup's own bytes, reused
// call after call; no result allocated, later calls never change bytes it kept elsewhere.
const intoBuffers = cores.map(() => new Uint8Array(8 * 26));
results.push(
  compare({
    operation: "closest 8, K=8, into the caller's buffer",
    anchor: { name: 'k-bucket closest(8), K=8', run: (n) => { let r; for (let i = 0; i < n; i++) r = kbucket8.closest(targets[i & 255]!, 8); return r; } },
    ours: cores.map((core, c) => ({
      name: `closestInto (${core.backend})`,
      goal: goal(core, 10, 10),
      run: (n: number) => { const out = intoBuffers[c]!; let r = 0; for (let i = 0; i < n; i++) r += tables[c]!.closestInto(targets[i & 255]!, 8, out); return r; },
    })),
  }),
);

// Where closest's time goes on wasm: the same selection left as a view of linear
// memory (what a table answer copies straight into its datagram), no result copy.
const wasmTable = tables[0] as unknown as { closestView?: (target: Uint8Array, k: number) => Uint8Array };
if (wasmTable.closestView) {
  const view = wasmTable.closestView.bind(wasmTable);
  results.push(
    compare({
      operation: 'closest 8, K=8, as a view of linear memory (no result copy; the table answer path)',
      anchor: { name: 'k-bucket closest(8), K=8', run: (n) => { let r; for (let i = 0; i < n; i++) r = kbucket8.closest(targets[i & 255]!, 8); return r; } },
      ours: [{ name: 'closestView (wasm)', run: (n: number) => { let r; for (let i = 0; i < n; i++) r = view(targets[i & 255]!, 8); return r; } }],
    }),
  );
}

// The receive path without the socket: a query in, its answer out (bench/answer-path.ts).
const queries = [
  ['ping', cores[0]!.encodeKrpc({ y: 'q', t, q: 'ping', a: { id: randomBytes(20) } })],
  ['find_node', cores[0]!.encodeKrpc({ y: 'q', t, q: 'find_node', a: { id: randomBytes(20), target: randomBytes(20) } })],
  ['get_peers', cores[0]!.encodeKrpc({ y: 'q', t, q: 'get_peers', a: { id: randomBytes(20), info_hash: randomBytes(20) } })],
  ['get_peers (50 stored peers)', cores[0]!.encodeKrpc({ y: 'q', t, q: 'get_peers', a: { id: randomBytes(20), info_hash: id } })],
] as const;
for (const core of cores) {
  for (const [method, query] of queries) {
    const stored = method.includes('stored') ? { infohash: id, count: 50 } : undefined;
    const dispatcher = await answerPath(core, false, query, 1000, randomBytes, stored);
    const tableAnswer = await answerPath(core, true, query, 1000, randomBytes, stored);
    results.push(
      compare({
        operation: `answer a ${method} query, no socket (${core.backend} core)`,
        anchor: { name: 'decode → dispatcher → encode', run: (n) => dispatcher.run(n) },
        ours: [{ name: `table answer (${core.backend})`, run: (n: number) => tableAnswer.run(n) }],
      }),
    );
    await dispatcher.stop();
    await tableAnswer.stop();
  }
}

console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}; medians of 9 interleaved rounds\n`);
console.log(table(results));
keepAlive();
