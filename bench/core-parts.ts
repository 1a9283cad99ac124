/**
 * `npx tsx bench/core-parts.ts`: where the time of the two `npm run bench`
 * goals still short of 10× goes on the wasm core (ping decode, closest-8 at
 * K = 8), each part timed cumulatively in the same process and interleaved
 * with the anchor, so each row minus the one above is the cost of one step.
 * Reaches into the backend's internals (casts): a diagnostic, not an API.
 */
import bencode from 'bencode';
import KBucket from 'k-bucket';
import { loadCore } from '../src/core/index.ts';
import { bufferOf, byteOffsetOf } from '../src/ground/views.ts';
import type { CoreMemory } from '../src/core/wasm/memory.ts';
import type { KrpcDecoder } from '../src/core/wasm/krpc-decode.ts';
import type { ResultPool } from '../src/core/encode/pool.ts';
import type { RoutingTable } from '../src/core/routing-types.ts';
import { compare, keepAlive, table, type Result } from './harness.ts';

const core = await loadCore('wasm');
const { decoder, mem } = core.answers as unknown as { decoder: KrpcDecoder; mem: CoreMemory };
const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const results: Result[] = [];

// Ping decode: copy in + scan, then the datagram's memory, then the two views, then the message.
const ping = core.encodeKrpc({ y: 'q', t: Uint8Array.of(0x61, 0x61), q: 'ping', a: { id: random(20) } });
const SLOTS = mem.slots >>> 2;
const SLOT_T = 8;
const SLOT_ID = 26;
results.push(
  compare({
    operation: 'ping decode, cumulative parts',
    anchor: { name: 'bencode.decode', run: (n) => { let r; for (let i = 0; i < n; i++) r = bencode.decode(ping); return r; } },
    ours: [
      { name: '1. copy into linear memory + wasm scan', run: (n) => { let r = 0; for (let i = 0; i < n; i++) r += decoder.scan(ping); return r; } },
      {
        name: '2. + the datagram\'s buffer and byteOffset',
        run: (n) => {
          let r;
          for (let i = 0; i < n; i++) {
            decoder.scan(ping);
            r = bufferOf(ping);
            r = byteOffsetOf(ping) + (r.byteLength & 1);
          }
          return r;
        },
      },
      {
        name: '3. + the views of t and a.id',
        run: (n) => {
          let r;
          for (let i = 0; i < n; i++) {
            decoder.scan(ping);
            const buffer = bufferOf(ping);
            const base = byteOffsetOf(ping);
            const s = mem.i32;
            r = new Uint8Array(buffer, base + s[SLOTS + SLOT_T]!, s[SLOTS + SLOT_T + 1]! - s[SLOTS + SLOT_T]!);
            r = new Uint8Array(buffer, base + s[SLOTS + SLOT_ID]!, s[SLOTS + SLOT_ID + 1]! - s[SLOTS + SLOT_ID]!);
          }
          return r;
        },
      },
      { name: '4. decodeKrpc (+ the message objects)', run: (n) => { let r; for (let i = 0; i < n; i++) r = core.decodeKrpc(ping); return r; } },
    ],
  }),
);

// closest-8 at K = 8: the wasm call, then the host's checks and target words, then the result copy.
const id = random(20);
const kbucket = new KBucket({ localNodeId: id, numberOfNodesPerKBucket: 8 });
const routing = core.createRoutingTable({ id });
for (let i = 0; i < 20_000; i++) {
  const nodeId = random(20);
  const address = random(6);
  kbucket.add({ id: nodeId, address });
  routing.add(nodeId, address, 0, true);
}
const internals = routing as unknown as RoutingTable & { pointer: number; results: ResultPool; closestView(target: Uint8Array, k: number): Uint8Array };
const targets = Array.from({ length: 256 }, () => random(20));
// The targets already in linear memory (in WORK's upper half, which an 8-node selection leaves alone).
const placed = mem.work + 32768;
targets.forEach((target, i) => mem.u8.set(target, placed + i * 20));
const wasmCall = (i: number): number => mem.exports.tableClosest(internals.pointer, placed + (i & 255) * 20, 8, mem.output, mem.work, 1);
// The common case's export as closest / closestView / closestInto call it: the target's first 8 bytes as two words.
const words = targets.flatMap((t) => [t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24), t[4]! | (t[5]! << 8) | (t[6]! << 16) | (t[7]! << 24)]);
const nearestCall = (i: number): number => mem.exports.tableNearestWords(internals.pointer, words[(i & 255) * 2]!, words[(i & 255) * 2 + 1]!, 8, mem.output);
const ANSWER = 8 * 26;
const fixed = new Uint8Array(new ArrayBuffer(1 << 20));
results.push(
  compare({
    operation: `closest 8, K=8 (${routing.size} nodes), cumulative parts`,
    anchor: { name: 'k-bucket closest(8)', run: (n) => { let r; for (let i = 0; i < n; i++) r = kbucket.closest(targets[i & 255]!, 8); return r; } },
    ours: [
      { name: '1. the general wasm call, tableClosest (target already in linear memory, a walk from the root)', run: (n) => { let r = 0; for (let i = 0; i < n; i++) r += wasmCall(i); return r; } },
      { name: "1b. the common case's wasm call, tableNearestWords (two words ready; the top index)", run: (n) => { let r = 0; for (let i = 0; i < n; i++) r += nearestCall(i); return r; } },
      { name: '2. closestView: + argument checks, the target\'s first 8 bytes as two words, a view of OUTPUT', run: (n) => { let r; for (let i = 0; i < n; i++) r = internals.closestView(targets[i & 255]!, 8); return r; } },
      { name: '2b. closestView + out.set into one 208-byte buffer', run: (n) => { const out = new Uint8Array(ANSWER); for (let i = 0; i < n; i++) out.set(internals.closestView(targets[i & 255]!, 8)); return out; } },
      { name: '2c. closestInto (the same, as the API)', run: (n) => { const out = new Uint8Array(ANSWER); let r = 0; for (let i = 0; i < n; i++) r += routing.closestInto(targets[i & 255]!, 8, out); return r; } },
      {
        name: '3. wasm call + result copy into one reused buffer (set + new view)',
        run: (n) => {
          let r;
          const out = mem.outputViews.get(ANSWER);
          for (let i = 0; i < n; i++) {
            wasmCall(i);
            const at = (i & 1023) * ANSWER;
            fixed.set(out, at);
            r = new Uint8Array(fixed.buffer, at, ANSWER);
          }
          return r;
        },
      },
      { name: '4. wasm call + ResultPool.take (+ a new 32 KiB chunk per 157)', run: (n) => { let r; for (let i = 0; i < n; i++) { wasmCall(i); r = internals.results.take(mem.outputViews.get(ANSWER)); } return r; } },
      { name: '5. closest', run: (n) => { let r; for (let i = 0; i < n; i++) r = routing.closest(targets[i & 255]!, 8); return r; } },
    ],
  }),
);

console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z; medians of 9 interleaved rounds\n`);
console.log(table(results));
keepAlive();
