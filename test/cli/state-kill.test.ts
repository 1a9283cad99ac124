/**
 * `btdht node --state F` killed with SIGKILL at random moments, again and
 * again: every time, F loads, the node restarted on it comes back under the
 * same id, and the state is at most one save period old — no older than the
 * last save the node reported before the kill, and its age at the kill within
 * the longest gap the node itself left between two saves (the period plus a
 * save's time plus timer lateness, all read from its own log). A loopback
 * swarm of 8 nodes fills the killed node's table. Bounded: 5 kills.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prng, fuzzSeed } from '../helpers/fuzz.ts';
import type { DHT } from '../../src/dht/dht.ts';
import { loadState } from '../../src/dht/state.ts';
import { toHex } from '../../src/util/hex.ts';
import { startSwarm } from './fixtures/swarm.ts';

const CLI = fileURLToPath(new URL('./fixtures/run-cli.ts', import.meta.url));
const KILLS = 5;
const PERIOD_MS = 400;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Saved {
  taken: number;
  ms: number;
}

describe('btdht node under SIGKILL', () => {
  const swarm: DHT[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'btdht-kill-'));

  beforeAll(async () => {
    await startSwarm(8, swarm);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(swarm.map((dht) => dht.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it(`the state always loads and is at most one save period old (${KILLS} kills)`, { timeout: 170_000 }, async () => {
    const seed = fuzzSeed();
    console.log(`state-kill seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const prng = new Prng(seed);
    const file = join(dir, 'state.json');
    let id: string | undefined;
    const ages: number[] = [];
    for (let round = 0; round < KILLS; round++) {
      const args = ['node', '--host', '127.0.0.30', '--port', '0', '--bootstrap', `127.0.0.1:${swarm[0]!.address().port}`, '--state', file, '--state-save-interval-ms', String(PERIOD_MS), '--log-format', 'json', '--status-interval-ms', '0'];
      const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const killer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
      const saves: Saved[] = [];
      let listening: string | undefined;
      let pending = '';
      proc.stderr.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const event = JSON.parse(line) as { event: string; taken?: string; ms?: number };
          if (event.event === 'state.saved') saves.push({ taken: Date.parse(event.taken!), ms: event.ms! });
        }
      });
      proc.stdout.on('data', (chunk: Buffer) => (listening ??= /id=([0-9a-f]{40})/.exec(chunk.toString())?.[1]));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
      // Two saves seen, so the node's own save rhythm is known; then a random moment within the next period and a half.
      const deadline = Date.now() + 50_000;
      while ((saves.length < 2 || listening === undefined) && Date.now() < deadline) await sleep(20);
      expect(saves.length, 'saves before the kill').toBeGreaterThanOrEqual(2);
      // The restarted node loaded the state: same id as before.
      if (id !== undefined) expect(listening).toBe(id);
      await sleep(prng.int(PERIOD_MS * 1.5));
      const reported = saves.length;
      const lastReported = saves[reported - 1]!.taken;
      const killedAt = Date.now();
      proc.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      clearTimeout(killer);

      const state = await loadState(file);
      expect(state).toBeDefined();
      id = toHex(state!.id);
      expect(state!.saved).toBeGreaterThanOrEqual(lastReported);
      let longestGap = 0;
      for (let i = 1; i < saves.length; i++) longestGap = Math.max(longestGap, saves[i]!.taken - saves[i - 1]!.taken);
      const age = killedAt - state!.saved!;
      ages.push(age);
      expect(age).toBeLessThanOrEqual(Math.max(longestGap, PERIOD_MS) + Math.max(...saves.map((s) => s.ms)));
      if (round > 0) expect(state!.nodes.length).toBeGreaterThan(0);
      expect(readdirSync(dir).filter((name) => name !== 'state.json' && name !== 'state.json.tmp')).toEqual([]);
    }
    console.log(`state-kill: ${KILLS} kills, state age at kill ${ages.map((a) => `${a} ms`).join(', ')} (save period ${PERIOD_MS} ms)`);
  });
});
