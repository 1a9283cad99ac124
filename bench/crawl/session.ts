/**
 * CPU of one BEP 9 peer session, in isolation: N sessions (connect, handshake,
 * extended handshake, ut_metadata pieces, SHA-1 verify) against honest local
 * seeders in a child process, measured with process.cpuUsage() in this one.
 * Two sessions side by side, round by round: ours (src/crawl/metadata/
 * peer-session.ts over peer-wire.ts) and the anchor, the same session over
 * bittorrent-protocol + ut_metadata (bench/crawl/library-session.ts, what the
 * fetcher used up to session 4). Then a TCP floor, and the parts apart without
 * sockets: each wire fed a seeder's recorded bytes, the verify, the parse of
 * the info dictionary, and the store's write of the torrent row (SQLite,
 * batches of 100).
 *
 *   npx tsx bench/crawl/session.ts [--sessions 2000] [--concurrency 20] [--rounds 3]
 */
import { fork } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { connect as netConnect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex } from '../../src/util/hex.ts';
import { parseInfo } from '../../src/crawl/metadata/info-dict.ts';
import { fetchFromPeer, type PeerSessionContext, type PeerSessionResult } from '../../src/crawl/metadata/peer-session.ts';
import { verifyInfo } from '../../src/crawl/metadata/verify.ts';
import { loadWireLibraries } from '../../src/crawl/metadata/wire-libraries.ts';
import { PeerWire } from '../../src/crawl/metadata/peer-wire.ts';
import type { WireLibraries } from '../../src/crawl/metadata/wire-libraries.ts';
import { useGuardedMetadata } from './guarded-ut-metadata.ts';
import { fetchFromPeerWithLibraries, type LibrarySessionContext } from './library-session.ts';
import { createTcpConnector } from '../../src/transport/detect-tcp.ts';
import type { TcpConnector } from '../../src/transport/tcp.ts';
import { openSqliteStore } from '../../src/crawl/store/index.ts';
import type { TorrentRecord } from '../../src/crawl/store/types.ts';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
const SESSIONS = option('sessions', 2000);
const CONCURRENCY = option('concurrency', 20);
const ROUNDS = option('rounds', 3);
const SEEDERS = 4;
const TORRENTS = 200;

interface Peer {
  infohash: string;
  host: string;
  port: number;
  infoBytes: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

type Session = (infohash: Uint8Array, peer: Peer) => Promise<Uint8Array | undefined>;

/** `count` sessions, `CONCURRENCY` at a time: µs CPU per verified session. */
async function run(session: Session, peers: Peer[], count: number): Promise<{ usPerSession: number; failed: number }> {
  const hashes = peers.map((p) => fromHex(p.infohash));
  let next = 0;
  let failed = 0;
  const start = process.cpuUsage();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++ % peers.length;
      if ((await session(hashes[i]!, peers[i]!)) === undefined) failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { usPerSession: (cpuMs(start) * 1000) / Math.max(1, count - failed), failed };
}

const LIMITS = { connectTimeoutMs: 5000, peerTimeoutMs: 20_000, maxMetadataSize: 10 * 1024 * 1024 };

type SessionFn<C> = (infohash: Uint8Array, peer: Peer, context: C, signal: AbortSignal) => Promise<PeerSessionResult>;

/** A session function bound to a context of its own (no caps that the bench would hit), as Session. */
function bind<C extends PeerSessionContext>(session: SessionFn<C>, context: Omit<C, keyof PeerSessionContext> & { tcp: TcpConnector }): Session {
  const full = {
    peerId: new Uint8Array(20).fill(7),
    limits: LIMITS,
    counters: { connecting: 0, open: 0, bytesReceived: 0 },
    memory: { reserve: () => true, release: () => {} },
    ...context,
  } as unknown as C;
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);
  return async (infohash, peer) => {
    const r = await session(infohash, peer, full, signal);
    return r.ok ? r.info : undefined;
  };
}

const leanSession = (tcp: TcpConnector): Session => bind(fetchFromPeer, { tcp });
const librarySession = (tcp: TcpConnector, wire: WireLibraries): Session => bind<LibrarySessionContext>(fetchFromPeerWithLibraries, { tcp, wire });

/** PeerWire alone: the recorded bytes in, the assembled dictionary out (synchronous). */
function replayLean(infohash: Uint8Array, chunks: Uint8Array[]): void {
  let done = false;
  const wire = new PeerWire(infohash, new Uint8Array(20).fill(7), {
    send: () => {},
    announce: () => true,
    assembled: () => (done = true),
    fail: (reason) => {
      throw new Error(`lean replay failed: ${reason}`);
    },
  });
  wire.opening();
  for (const c of chunks) wire.receive(c);
  if (!done) throw new Error('lean replay did not assemble');
}

/**
 * The floor under any session over node:net: connect, write the 68-byte
 * handshake, wait for the seeder's first bytes, destroy, see the close.
 */
function tcpFloorSession(): Session {
  return (infohash, peer) =>
    new Promise((resolve) => {
      const handshake = new Uint8Array(68);
      handshake[0] = 19;
      handshake.set(new TextEncoder().encode('BitTorrent protocol'), 1);
      handshake[25] = 0x10;
      handshake.set(infohash, 28);
      const socket = netConnect({ host: peer.host, port: peer.port, family: 4, noDelay: true });
      socket.once('connect', () => socket.write(handshake));
      socket.once('data', () => socket.destroy());
      socket.once('error', () => {});
      socket.once('close', () => resolve(handshake));
    });
}

/** The seeder's bytes of one session, as they arrived (to replay them without a socket). */
async function record(tcp: TcpConnector, make: (tcp: TcpConnector) => Session, peer: Peer): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const recording: TcpConnector = {
    connect: (to, handler, options) =>
      tcp.connect(to, { onData: (d) => (chunks.push(d.slice()), handler.onData(d)), onClose: (e) => handler.onClose(e) }, options),
  };
  const info = await make(recording)(fromHex(peer.infohash), peer);
  if (info === undefined) throw new Error('recording session failed');
  return chunks;
}

/** bittorrent-protocol + guarded ut_metadata alone: the recorded bytes in, the assembled dictionary out. */
async function replayLibrary(wire: WireLibraries, infohash: Uint8Array, chunks: Uint8Array[]): Promise<void> {
  const w = new wire.Wire('tcpOutgoing');
  w.on('data', () => {});
  w.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    useGuardedMetadata(wire, w, { announce: () => true, assembled: () => resolve(), fail: reject });
    w.handshake(infohash, new Uint8Array(20).fill(7), { dht: true });
    for (const c of chunks) w.write(c);
  });
  w.destroy();
}

async function perCallUs(n: number, body: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(200, n); i++) await body(i); // warm
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await body(i);
  return (cpuMs(start) * 1000) / n;
}

const STORE_BATCH = 100;

/** CPU per torrent row written by the SQLite store, 19 batches timed after one warm-up; optionally with its FTS5 triggers dropped. */
async function storeWriteUs(path: string, records: TorrentRecord[], fts: boolean): Promise<number> {
  const store = await openSqliteStore({ path });
  if (!fts) {
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(path);
    raw.exec('DROP TRIGGER torrents_fts_insert');
    raw.close();
  }
  let cpu = 0;
  let stored = 0;
  for (let b = 0; b < 20; b++) {
    const batch = records.slice(0, STORE_BATCH).map((r, i) => ({ ...r, infohash: (b * STORE_BATCH + i).toString(16).padStart(40, '0'), fetchedAt: Date.now() }));
    const start = process.cpuUsage();
    await store.write({ torrents: batch });
    if (b > 0) {
      cpu += cpuMs(start);
      stored += STORE_BATCH;
    }
  }
  await store.close();
  return (cpu * 1000) / stored;
}

function pct(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(0)}%`;
}

async function main(): Promise<void> {
  const child = fork(new URL('./session-seeders.ts', import.meta.url).pathname, [JSON.stringify({ seeders: SEEDERS, torrents: TORRENTS, seed: 5 })], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const peers = await new Promise<Peer[]>((resolve, reject) => {
    child.once('message', (m: { peers: Peer[] }) => resolve(m.peers));
    child.once('exit', (code) => reject(new Error(`seeders exited ${code}`)));
  });
  const dir = mkdtempSync(join(tmpdir(), 'btdht-session-bench-'));
  try {
    const tcp = await createTcpConnector();
    const wire = await loadWireLibraries();
    const sizes = peers.map((p) => p.infoBytes).sort((a, b) => a - b);
    console.log(`node ${process.version}; ${TORRENTS} demo torrents (info ${sizes[0]}..${sizes.at(-1)} B, median ${sizes[sizes.length >> 1]}) on ${SEEDERS} MetadataSeeders in a child; ${SESSIONS} sessions × ${ROUNDS} rounds, ${CONCURRENCY} at a time`);
    const library = librarySession(tcp, wire);
    const lean = leanSession(tcp);
    // Cold: the first sessions of a process (a crawl of a few hundred torrents runs mostly here).
    const cold = { lean: await run(lean, peers, 200), library: await run(library, peers, 200) };
    console.log(`cold (first 200 sessions of each): lean ${cold.lean.usPerSession.toFixed(0)} µs, library ${cold.library.usPerSession.toFixed(0)} µs per verified session`);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first: load drifts within a round.
      const order = r % 2 === 0 ? ([lean, library] as const) : ([library, lean] as const);
      const first = await run(order[0], peers, SESSIONS);
      const second = await run(order[1], peers, SESSIONS);
      const [x, y] = r % 2 === 0 ? [first, second] : [second, first];
      if (x.failed + y.failed > 0) throw new Error(`failed sessions: lean ${x.failed}, library ${y.failed}`);
      a.push(x.usPerSession);
      b.push(y.usPerSession);
      console.log(`round ${r + 1}: lean ${x.usPerSession.toFixed(0)} µs, bittorrent-protocol + ut_metadata ${y.usPerSession.toFixed(0)} µs per verified session: ${(y.usPerSession / x.usPerSession).toFixed(2)}×`);
    }
    const median = (xs: number[]): number => xs.slice().sort((p, q) => p - q)[xs.length >> 1]!;
    console.log(`median of ${ROUNDS} rounds: lean ${median(a).toFixed(0)} µs, library ${median(b).toFixed(0)} µs (${(median(b) / median(a)).toFixed(2)}×); ratio per round ${a.map((x, i) => (b[i]! / x).toFixed(2)).join(', ')}`);
    const floor: number[] = [];
    for (let r = 0; r < ROUNDS; r++) floor.push((await run(tcpFloorSession(), peers, SESSIONS)).usPerSession);
    console.log(`TCP floor (connect, write the handshake, first bytes back, destroy) per round: ${floor.map((f) => f.toFixed(0)).join(', ')} µs`);

    // The parts, without sockets.
    const recorded = await Promise.all(peers.map((p) => record(tcp, (t) => librarySession(t, wire), p)));
    const recordedLean = await Promise.all(peers.map((p) => record(tcp, leanSession, p)));
    const hashes = peers.map((p) => fromHex(p.infohash));
    const infos = (await Promise.all(peers.map((p) => lean(fromHex(p.infohash), p)))) as Uint8Array[];
    const N = 4000;
    const wireUs = await perCallUs(N, (i) => replayLibrary(wire, hashes[i % peers.length]!, recorded[i % peers.length]!));
    const leanWireUs = await perCallUs(N, (i) => replayLean(hashes[i % peers.length]!, recordedLean[i % peers.length]!));
    const verifyUs = await perCallUs(N, (i) => {
      const k = i % peers.length;
      if (verifyInfo(hashes[k]!, infos[k]!) !== 'sha1') throw new Error('verify');
    });
    const parseUs = await perCallUs(N, (i) => {
      if (parseInfo(infos[i % peers.length]!) === undefined) throw new Error('parse');
    });
    const records: TorrentRecord[] = peers.map((p, i) => {
      const t = parseInfo(infos[i]!)!;
      return { infohash: p.infohash, name: t.name, size: t.totalSize, files: t.files, fetchedAt: 0, peer: { host: p.host, port: p.port } };
    });
    // The store's write per torrent, with its full-text index triggers and (beside it) without.
    const storeRuns: Record<'fts' | 'noFts', number[]> = { fts: [], noFts: [] };
    for (let r = 0; r < 4; r++) {
      const fts = r % 2 === 0;
      storeRuns[fts ? 'fts' : 'noFts'].push(await storeWriteUs(join(dir, `store-${r}.sqlite`), records, fts));
    }
    const storeUs = median(storeRuns.fts);
    const floorUs = median(floor);
    for (const [name, session, wireCost] of [['lean', median(a), leanWireUs], ['library', median(b), wireUs]] as const) {
      const rest = session - wireCost - verifyUs - floorUs;
      console.log(`${name} session ${session.toFixed(0)} µs = TCP floor ${floorUs.toFixed(0)} (${pct(floorUs, session)}) + wire (recorded bytes replayed) ${wireCost.toFixed(1)} (${pct(wireCost, session)}) + SHA-1 verify ${verifyUs.toFixed(1)} (${pct(verifyUs, session)}) + the rest (more writes/reads than the floor, session code, timers) ${rest.toFixed(0)} (${pct(rest, session)})`);
    }
    console.log(`after the session: parseInfo (bencode decode of the info dict) ${parseUs.toFixed(0)} µs; SQLite store write ${storeUs.toFixed(0)} µs per torrent (batches of ${STORE_BATCH}; runs ${storeRuns.fts.map((x) => x.toFixed(0)).join(', ')}), without the FTS5 triggers ${storeRuns.noFts.map((x) => x.toFixed(0)).join(', ')} µs`);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
