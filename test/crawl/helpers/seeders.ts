/** Start webtorrent seeders in a child process (see seeders.mjs) and learn what they seed. */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PeerAddress } from '../../../src/crawl/metadata/types.ts';

export interface SeededTorrent {
  infohash: string;
  name: string;
  /** Total size as webtorrent parsed it. */
  length: number;
  /** webtorrent's paths: the torrent name first for multi-file torrents. */
  files: Array<{ path: string; length: number }>;
  peer: PeerAddress;
}

export interface Seeders {
  torrents: SeededTorrent[];
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./seeders.mjs', import.meta.url));

export async function startSeeders(options: { torrents: number; hosts: string[]; timeoutMs?: number }): Promise<Seeders> {
  const dir = mkdtempSync(join(tmpdir(), 'btdht-seeders-'));
  const child: ChildProcess = fork(SCRIPT, [JSON.stringify({ dir, hosts: options.hosts, torrents: options.torrents })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.send('stop');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const torrents = await new Promise<SeededTorrent[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('seeders: not ready in time')), options.timeoutMs ?? 60_000);
      child.on('message', (message: { type: string; torrents?: SeededTorrent[]; message?: string }) => {
        if (message.type === 'ready' && message.torrents !== undefined) {
          clearTimeout(timer);
          resolve(message.torrents);
        } else if (message.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`seeders: ${message.message}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`seeders exited early (${code})`));
      });
    });
    return { torrents, stop: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
