/**
 * Drives world.py: a loopback world of libtorrent 2.0 DHT nodes and seeders
 * (Debian's python3-libtorrent), each on its own 127.B.x.1 address. Used by the
 * libtorrent interop suite and by `npm run bench:harvest-mixed`.
 *
 * The Python is /usr/bin/python3 unless BTDHT_PYTHON names another; if it
 * cannot import libtorrent, `startLibtorrentWorld` rejects saying how to get it
 * (a test never skips for it).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./world.py', import.meta.url));

export interface WorldNode {
  host: string;
  port: number;
}

export interface WorldTorrent {
  name: string;
  kind: 'v1' | 'hybrid';
  /** SHA-1 infohash (hex). */
  v1: string;
  /** Truncated SHA-256 infohash (hex), hybrids only. */
  v2: string | null;
  files: number;
  size: number;
  /** Seeder index, -1 before its seeder started. */
  seeder: number;
  peer: WorldNode | null;
  /** Wall-clock ms: when its seeder added it, when it asked libtorrent to announce it (null: not yet). */
  startedAt: number | null;
  announcedAt: number | null;
  /** Announces forced again because no member had accepted the last one after 4 s. */
  reannounced: number;
  /** Per infohash (v1, and v2 for hybrids): when a member of the world first accepted an announce_peer for it (wall-clock ms), null if none did. */
  announceInAt: Record<string, number | null>;
}

/** What libtorrent did with the watched address (from its DHT log and packet alerts). */
export interface WatchEvidence {
  log: Record<'banned' | 'evicted_changed_id' | 'ignored_duplicate_ip' | 'ignored_same_24' | 'search_duplicate_24', number>;
  /** Datagrams libtorrent sent to the watched address: 'q:<method>' for queries, 'r' / 'e' for answers. */
  sentTo: Record<string, number>;
  /** Datagrams it accepted from the watched address (after its DoS blocker). */
  receivedFrom: Record<string, number>;
  /** Distinct node ids it saw the watched address use. */
  idsFrom: number;
}

export interface WorldMember {
  role: 'node' | 'seeder';
  host: string;
  port: number;
  dhtNodes: number;
  dhtTorrents: number;
  messagesInDropped: number;
  getPeersIn: number;
  announceIn: number;
  announceOut: number;
  sampleIn: number;
  /** Sources its DoS blocker banned (from its DHT log: only with `trace`). */
  bans: number;
  /** The IPs it banned (with `trace`). */
  banned: string[];
  watch?: WatchEvidence;
}

export interface WorldReport {
  members: WorldMember[];
  /** Distinct infohashes announced to any member. */
  announcedInfohashes: number;
  torrents: WorldTorrent[];
}

export interface WorldOptions {
  nodes?: number;
  seeders?: number;
  torrents?: number;
  /** Seeders started (and announced) before `startSeeders()`. */
  earlySeeders?: number;
  /** An address to report on (the crawler's), with libtorrent's DHT log when `trace`. */
  watch?: string;
  trace?: boolean;
  /** The world ends itself after this long (default 300 s). */
  maxSeconds?: number;
  /** Second octet of every address (default random): lets a caller place its own node beside them. */
  base?: number;
}

export interface LibtorrentWorld {
  readonly base: number;
  readonly port: number;
  readonly nodes: WorldNode[];
  readonly seeders: WorldNode[];
  torrents: WorldTorrent[];
  /**
   * Start the sessions of the seeders not started yet, in the DHT but with no
   * torrent: `startSeeders` then only adds and announces their torrents.
   * Resolves once each has a node in its routing table.
   */
  prepareSeeders(): Promise<void>;
  /** Start the seeders not started yet; resolves once they asked libtorrent to announce each torrent (force_dht_announce). */
  startSeeders(): Promise<WorldTorrent[]>;
  report(): Promise<WorldReport>;
  /**
   * Every libtorrent node looks up its share of `count` infohashes, sha1(`${seed}-${i}`):
   * even i get_peers, odd i announce. Resolves when they have had 5 s to finish.
   */
  lookups(count: number, seed: string): Promise<void>;
  /** Ends the world (final report) and removes its files. Idempotent. */
  stop(): Promise<WorldReport | undefined>;
}

/** The Python to run world.py with. */
export function worldPython(): string {
  return process.env['BTDHT_PYTHON'] ?? '/usr/bin/python3';
}

/** Throws, saying what to install, unless the Python can import libtorrent. */
export function checkLibtorrent(): void {
  const python = worldPython();
  const probe = spawnSync(python, ['-c', 'import libtorrent; print(libtorrent.__version__)'], { encoding: 'utf8', timeout: 15_000 });
  if (probe.status !== 0) {
    const why = probe.error ? probe.error.message : probe.stderr.trim().split('\n').pop();
    throw new Error(
      `libtorrent interop needs Python with libtorrent 2.x: ${python} could not import it (${why}). ` +
        'Install Debian\'s python3-libtorrent (apt-get install python3-libtorrent) or set BTDHT_PYTHON to a Python that has it.',
    );
  }
  const version = probe.stdout.trim();
  if (!/^2\./.test(version)) throw new Error(`libtorrent interop needs libtorrent 2.x, ${python} has ${version}`);
}

/** Start a world; resolves once every node has peers in its table and the early seeders announced. */
export async function startLibtorrentWorld(options: WorldOptions = {}): Promise<LibtorrentWorld> {
  checkLibtorrent();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const base = options.base ?? 64 + Math.floor(Math.random() * 180);
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    try {
      return await launch(options, base, port);
    } catch (error) {
      lastError = error;
      if (!(error instanceof BindError) || options.base !== undefined) throw error;
    }
  }
  throw lastError;
}

class BindError extends Error {}

type Event = { event: string } & Record<string, unknown>;

async function launch(options: WorldOptions, base: number, port: number): Promise<LibtorrentWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'btdht-lt-world-'));
  const args = [
    SCRIPT,
    '--base', String(base),
    '--port', String(port),
    '--dir', dir,
    '--nodes', String(options.nodes ?? 5),
    '--seeders', String(options.seeders ?? 4),
    '--torrents', String(options.torrents ?? 20),
    '--early-seeders', String(options.earlySeeders ?? 0),
    '--max-seconds', String(options.maxSeconds ?? 300),
  ];
  if (options.watch !== undefined) args.push('--watch', options.watch);
  if (options.trace) args.push('--trace');
  const child: ChildProcessWithoutNullStreams = spawn(worldPython(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: Event[] = [];
  const waiters: { event: string; resolve: (e: Event) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  let stderr = '';
  let exited = false;
  let buffered = '';
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (process.env['BTDHT_WORLD_DEBUG'] === '1') process.stderr.write(chunk);
    stderr = (stderr + chunk).slice(-4000);
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let parsed: Event;
      try {
        parsed = JSON.parse(line) as Event;
      } catch {
        continue;
      }
      const at = waiters.findIndex((w) => w.event === parsed.event || parsed.event === 'error');
      if (at >= 0) {
        const [w] = waiters.splice(at, 1);
        clearTimeout(w!.timer);
        if (parsed.event === 'error' && w!.event !== 'error') w!.reject(new WorldError(String(parsed['message'])));
        else w!.resolve(parsed);
      } else events.push(parsed);
    }
  });
  child.once('exit', (code) => {
    exited = true;
    for (const w of waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`libtorrent world exited (code ${code}) before '${w.event}': ${stderr.trim().slice(-1500)}`));
    }
  });
  child.stdin.on('error', () => {}); // the world may end first

  const next = (event: string, ms: number): Promise<Event> => {
    const queued = events.findIndex((e) => e.event === event || e.event === 'error');
    if (queued >= 0) {
      const [e] = events.splice(queued, 1);
      return e!.event === 'error' ? Promise.reject(new WorldError(String(e!['message']))) : Promise.resolve(e!);
    }
    if (exited) return Promise.reject(new Error(`libtorrent world has exited: ${stderr.trim().slice(-1500)}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = waiters.findIndex((w) => w.timer === timer);
        if (at >= 0) waiters.splice(at, 1);
        reject(new Error(`libtorrent world: no '${event}' within ${ms} ms`));
      }, ms);
      waiters.push({ event, resolve, reject, timer });
    });
  };
  const send = (command: string): void => {
    if (!exited) child.stdin.write(`${command}\n`);
  };
  let stopped: Promise<WorldReport | undefined> | undefined;
  const stop = (): Promise<WorldReport | undefined> => {
    stopped ??= (async () => {
      let report: WorldReport | undefined;
      if (!exited) {
        send('stop');
        report = (await next('report', 10_000).catch(() => undefined)) as WorldReport | undefined;
        const ended = await Promise.race([exit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
        if (!ended) {
          child.kill('SIGKILL');
          await exit;
        }
      }
      await rm(dir, { recursive: true, force: true });
      return report;
    })();
    return stopped;
  };

  let ready: Event;
  try {
    ready = await next('ready', 60_000);
  } catch (error) {
    await stop();
    if (error instanceof WorldError && /listen|bind|address/i.test(error.message)) throw new BindError(error.message);
    throw error;
  }
  const world: LibtorrentWorld = {
    base,
    port,
    nodes: ready['nodes'] as WorldNode[],
    seeders: ready['seeders'] as WorldNode[],
    torrents: ready['torrents'] as WorldTorrent[],
    async prepareSeeders() {
      send('prepare-seeders');
      await next('seeders-prepared', 30_000);
    },
    async startSeeders() {
      send('start-seeders');
      const started = await next('seeders-started', 30_000);
      world.torrents = started['torrents'] as WorldTorrent[];
      return world.torrents;
    },
    async lookups(count, seed) {
      send(`lookups ${count} ${seed}`);
      await next('lookups-done', 60_000 + count * 200);
    },
    async report() {
      send('report');
      return (await next('report', 10_000)) as unknown as WorldReport;
    },
    stop,
  };
  return world;
}

class WorldError extends Error {}
