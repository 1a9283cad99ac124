/**
 * A DHT node as a separate process for the footprint load: `btdht node`
 * (bin/btdht.js, the compiled program as installed, defaults, standalone
 * on a loopback address), the
 * same with V8's default nursery growth (src/cli/young-generation.ts turned
 * off), or the bittorrent-dht anchor; its address from the listening line it prints, and
 * its resident memory as the OS sees it (VmRSS in /proc/<pid>/status).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type NodeKind = 'btdht' | 'btdht-v8-nursery' | 'bittorrent-dht';
export const NODE_KINDS: readonly NodeKind[] = ['btdht', 'btdht-v8-nursery', 'bittorrent-dht'];

const LABELS: Record<NodeKind, string> = {
  btdht: 'btdht node (defaults)',
  'btdht-v8-nursery': "btdht node (defaults, V8's nursery growth: BTDHT_YOUNG_GENERATION=v8)",
  'bittorrent-dht': 'bittorrent-dht 11.0.12 (defaults)',
};

/** The program an operator runs: the compiled CLI (`npm run build:ts` first). */
const BIN = fileURLToPath(new URL('../../bin/btdht.js', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../../dist/bin/btdht.cjs', import.meta.url)); // the bundle bin/btdht.js runs, built last
const SOURCES = fileURLToPath(new URL('../../src/', import.meta.url));
const ANCHOR = fileURLToPath(new URL('./bittorrent-dht-node.ts', import.meta.url));

export interface NodeProcess {
  kind: NodeKind;
  label: string;
  pid: number;
  host: string;
  port: number;
  /** What it printed on stderr so far. */
  stderr(): string;
  /** SIGINT, then SIGKILL after `graceMs`; the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

/** Resident set size of `pid` in bytes (VmRSS), or undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Start a node bound to `host` (port chosen by the OS). `extraArgs` go to
 * `btdht node` after the defaults (none: the defaults are what is measured).
 */
export async function startNode(kind: NodeKind, host: string, extraArgs: string[] = [], timeoutMs = 30_000): Promise<NodeProcess> {
  if (kind !== 'bittorrent-dht') assertBuilt();
  const args =
    kind !== 'bittorrent-dht'
      ? [...(process.env.FP_FLAGS ? process.env.FP_FLAGS.split(' ') : []), BIN, 'node', '--host', host, '--port', '0', '--bootstrap', '', ...extraArgs]
      : ['--import', 'tsx', ANCHOR, host];
  const env = kind === 'btdht-v8-nursery' ? { ...process.env, BTDHT_YOUNG_GENERATION: 'v8' } : process.env;
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind}: no listening line within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^listening (\S+):(\d+) IPv4/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[2]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${kind}: exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  return {
    kind,
    label: LABELS[kind],
    pid: child.pid!,
    host,
    port,
    stderr: () => stderr,
    stop: (graceMs = 10_000) => stopChild(child, exited, graceMs),
  };
}

/** dist/ must be built from today's src/: the benchmark measures the compiled program. */
function assertBuilt(): void {
  let built: number;
  try {
    built = statSync(DIST_MAIN).mtimeMs;
  } catch {
    throw new Error(`${DIST_MAIN} is missing: run npm run build:ts first`);
  }
  const newer = (readdirSync(SOURCES, { recursive: true }) as string[]).find((file) => file.endsWith('.ts') && statSync(SOURCES + file).mtimeMs > built);
  if (newer !== undefined) throw new Error(`src/${newer} is newer than dist/: run npm run build:ts first`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
