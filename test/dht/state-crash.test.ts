/**
 * The state file survives a process killed while saving: a child process
 * (fixtures/save-loop.ts) saves a 5,000-node (~470 KB) state in a loop; we SIGKILL it —
 * at a random moment, or right when its temp file appears (mid-write) — and
 * load the file. It must parse, hold the whole node list, and be the last
 * save the child reported or the one after it (whose rename may have landed
 * just before the kill). Repeated, alternating both kinds of kill.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Prng, fuzzSeed } from '../helpers/fuzz.ts';
import { loadState } from '../../src/dht/state.ts';

const NODES = 5_000;
const KILLS = 8;
const child = fileURLToPath(new URL('./fixtures/save-loop.ts', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('state file under SIGKILL', () => {
  it(`a save killed ${KILLS} times leaves the previous state readable`, { timeout: 120_000 }, async () => {
    const seed = fuzzSeed();
    console.log(`state-crash seed ${seed} (replay with FUZZ_SEED=${seed})`);
    const prng = new Prng(seed);
    const dir = await mkdtemp(join(tmpdir(), 'btdht-crash-'));
    const file = join(dir, 'dht.json');
    let generation = 0;
    let midWrite = 0;
    try {
      for (let round = 0; round < KILLS; round++) {
        const proc = spawn(process.execPath, ['--import', 'tsx', child, file, String(generation), String(NODES)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let reported = generation;
        let output = '';
        proc.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const lines = output.split('\n');
          output = lines.pop()!;
          for (const line of lines) reported = Number(line.slice('saved '.length));
        });
        const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_, signal) => resolve(signal)));
        // Wait for a first complete save (bounded), so there is a previous state to keep.
        const deadline = Date.now() + 30_000;
        while (reported === generation && Date.now() < deadline) await sleep(5);
        expect(reported).toBeGreaterThan(generation);
        if (round % 2 === 0) {
          await sleep(prng.int(1_000));
        } else {
          // Kill while the temp file is being written: poll for it, then strike within a few ms.
          const until = Date.now() + 5_000;
          while (!existsSync(`${file}.tmp`) && Date.now() < until) await sleep(1);
          await sleep(prng.int(3));
        }
        const tempAtKill = existsSync(`${file}.tmp`);
        proc.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');
        if (tempAtKill) midWrite++;
        const state = await loadState(file);
        expect(state).toBeDefined();
        const loaded = new DataView(state!.id.buffer, state!.id.byteOffset).getUint32(0);
        expect(loaded).toBeGreaterThanOrEqual(reported);
        expect(loaded).toBeLessThanOrEqual(reported + 1);
        expect(state!.nodes).toHaveLength(NODES);
        // At most one stray file: the fixed temp name, overwritten by the next save.
        const files = (await readdir(dir)).sort();
        expect(files.filter((name) => name !== 'dht.json' && name !== 'dht.json.tmp')).toEqual([]);
        generation = loaded;
      }
      console.log(`state-crash: ${KILLS} kills, ${midWrite} with a save in progress, every time the last complete state loaded (generation ${generation})`);
      expect(midWrite).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
