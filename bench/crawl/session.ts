/**
 * CPU of one BEP 9 peer session, in isolation: N sessions (connect, handshake,
 * extended handshake, ut_metadata pieces, SHA-1 verify) against honest local
 * seeders in a child process, measured with process.cpuUsage() in this one;
 * then the same session's parts apart, without sockets: the wire library fed
 * the seeder's recorded bytes, the verify, the parse of the info dictionary,
 * and the store's write of the torrent row (SQLite, batches of 100).
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
import { fetchFromPeer, type PeerSessionContext } from '../../src/crawl/metadata/peer-session.ts';
import { verifyInfo } from '../../src/crawl/metadata/verify.ts';
import { loadWireLibraries } from '../../src/crawl/metadata/wire-libraries.ts';
import { useGuardedMetadata } from '../../src/crawl/metadata/guarded-ut-metadata.ts';
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

function librarySession(tcp: TcpConnector, wire: PeerSessionContext['wire']): Session {
  const context: PeerSessionContext = {
    tcp,
    wire,
    peerId: new Uint8Array(20).fill(7),
    limits: { connectTimeoutMs: 5000, peerTimeoutMs: 20_000, maxMetadataSize: 10 * 1024 * 1024 },
    counters: { connecting: 0, open: 0, bytesReceived: 0 },
    memory: { reserve: () => true, release: () => {} },
  };
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);
  return async (infohash, peer) => {
    const r = await fetchFromPeer(infohash, peer, context, signal);
    return r.ok ? r.info : undefined;
  };
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
async function record(tcp: TcpConnector, wire: PeerSessionContext['wire'], peer: Peer): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const recording: TcpConnector = {
    connect: (to, handler, options) =>
      tcp.connect(to, { onData: (d) => (chunks.push(d.slice()), handler.onData(d)), onClose: (e) => handler.onClose(e) }, options),
  };
  const info = await librarySession(recording, wire)(fromHex(peer.infohash), peer);
  if (info === undefined) throw new Error('recording session failed');
  return chunks;
}

/** bittorrent-protocol + guarded ut_metadata alone: the recorded bytes in, the assembled dictionary out. */
async function replayLibrary(wire: PeerSessionContext['wire'], infohash: Uint8Array, chunks: Uint8Array[]): Promise<void> {
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
    await run(library, peers, 200); // warm-up
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const { usPerSession, failed } = await run(library, peers, SESSIONS);
      rounds.push(usPerSession);
      console.log(`round ${r + 1}: session (bittorrent-protocol + ut_metadata) ${usPerSession.toFixed(0)} µs CPU per verified session${failed ? `, ${failed} failed` : ''}`);
    }

    const floor: number[] = [];
    for (let r = 0; r < ROUNDS; r++) floor.push((await run(tcpFloorSession(), peers, SESSIONS)).usPerSession);
    console.log(`TCP floor (connect, write the handshake, first bytes back, destroy) per round: ${floor.map((f) => f.toFixed(0)).join(', ')} µs`);

    // The parts, without sockets.
    const recorded = await Promise.all(peers.map((p) => record(tcp, wire, p)));
    const hashes = peers.map((p) => fromHex(p.infohash));
    const infos = await Promise.all(peers.map((p) => librarySession(tcp, wire)(fromHex(p.infohash), p))) as Uint8Array[];
    const N = 4000;
    const wireUs = await perCallUs(N, (i) => replayLibrary(wire, hashes[i % peers.length]!, recorded[i % peers.length]!));
    const verifyUs = await perCallUs(N, (i) => {
      const k = i % peers.length;
      if (verifyInfo(hashes[k]!, infos[k]!) !== 'sha1') throw new Error('verify');
    });
    const parseUs = await perCallUs(N, (i) => {
      if (parseInfo(infos[i % peers.length]!) === undefined) throw new Error('parse');
    });
    const store = await openSqliteStore({ path: join(dir, 'store.sqlite') });
    const BATCH = 100;
    const records: TorrentRecord[] = peers.map((p, i) => {
      const t = parseInfo(infos[i]!)!;
      return { infohash: p.infohash, name: t.name, size: t.totalSize, files: t.files, fetchedAt: 0, peer: { host: p.host, port: p.port } };
    });
    let storeCpu = 0;
    let stored = 0;
    for (let b = 0; b < 20; b++) {
      const batch = records.slice(0, BATCH).map((r, i) => ({ ...r, infohash: (b * BATCH + i).toString(16).padStart(40, '0'), fetchedAt: Date.now() }));
      const start = process.cpuUsage();
      await store.write({ torrents: batch });
      if (b > 0) {
        storeCpu += cpuMs(start);
        stored += BATCH;
      }
    }
    await store.close();
    const storeUs = (storeCpu * 1000) / stored;
    const session = rounds.slice().sort((a, b) => a - b)[rounds.length >> 1]!;
    const rest = session - wireUs - verifyUs;
    console.log(`median session ${session.toFixed(0)} µs; of it, measured apart:`);
    console.log(`  bittorrent-protocol + ut_metadata (recorded bytes replayed) ${wireUs.toFixed(0)} µs (${((100 * wireUs) / session).toFixed(0)}%)`);
    console.log(`  SHA-1 verify ${verifyUs.toFixed(0)} µs (${((100 * verifyUs) / session).toFixed(0)}%)`);
    console.log(`  the rest: TCP connect/read/write/close + our session code ${rest.toFixed(0)} µs (${((100 * rest) / session).toFixed(0)}%)`);
    console.log(`after the session: parseInfo (bencode decode of the info dict) ${parseUs.toFixed(0)} µs; SQLite store write ${storeUs.toFixed(0)} µs per torrent (batches of ${BATCH})`);
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
