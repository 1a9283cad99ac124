/**
 * `btdht node` as a process: a dual-stack node prints one listening line per
 * address family (BEP 32) and stops cleanly on SIGINT; a bad family flag
 * combination is a clear error. The state file: a foreign file or a missing
 * folder is refused before binding (exit 2, the file untouched); a state that
 * cannot be saved at stop exits 1 and never says "stopped". --config with
 * flags over it, --log-format json, the status line. Loopback only, bounded
 * in time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseState } from '../../src/dht/state.ts';

const CLI = fileURLToPath(new URL('./fixtures/run-cli.ts', import.meta.url));

function runNode(args: string[], expected: number): { lines: Promise<string[]>; stop: () => Promise<{ code: number | null; stderr: string }>; stderr: () => string } {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'node', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 45_000);
  const lines = new Promise<string[]>((resolve) => {
    const check = (): void => {
      const done = stdout.split('\n').filter((line) => line.startsWith('listening'));
      if (done.length >= expected || proc.exitCode !== null || proc.signalCode !== null) resolve(done);
    };
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      check();
    });
    proc.once('exit', check);
  });
  return {
    lines,
    stderr: () => stderr,
    stop: async () => {
      proc.kill('SIGINT');
      const code = await exited;
      clearTimeout(killer);
      return { code, stderr };
    },
  };
}

describe('btdht node', () => {
  it('prints a listening line for IPv4 and one for IPv6, one id, one port', { timeout: 30_000 }, async () => {
    const run = runNode(['--host', '127.0.0.1', '--host6', '::1', '--port', '0', '--bootstrap', ''], 2);
    const lines = await run.lines;
    const { code, stderr } = await run.stop();
    expect(lines).toHaveLength(2);
    const [four, six] = lines.map((line) => /^listening (\S+):(\d+) IPv(\d) id=([0-9a-f]{40})$/.exec(line));
    expect(four?.[1]).toBe('127.0.0.1');
    expect(four?.[3]).toBe('4');
    expect(six?.[1]).toBe('[::1]');
    expect(six?.[3]).toBe('6');
    expect(six?.[2]).toBe(four?.[2]);
    expect(six?.[4]).toBe(four?.[4]);
    expect(stderr).toMatch(/ info  stopped nodes=0$/m);
    expect(code).toBe(0);
  });

  it('--no-ipv4 --host6 ::1 runs an IPv6-only node', { timeout: 30_000 }, async () => {
    const run = runNode(['--no-ipv4', '--host6', '::1', '--port', '0', '--bootstrap', ''], 1);
    const lines = await run.lines;
    await run.stop();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^listening \[::1\]:\d+ IPv6 id=/);
  });

  it('both families off is refused with a clear message', { timeout: 30_000 }, async () => {
    const run = runNode(['--no-ipv4', '--no-ipv6', '--bootstrap', ''], 1);
    const lines = await run.lines;
    const { code, stderr } = await run.stop();
    expect(lines).toHaveLength(0);
    expect(stderr).toMatch(/ipv4 and ipv6 are both off/);
    expect(code).toBe(2);
  });
});

describe('btdht node: state file, config file, logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'btdht-node-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = ['--host', '127.0.0.1', '--port', '0', '--bootstrap', ''];

  it('refuses a state file that is not ours, or a folder that does not exist, before binding (exit 2)', { timeout: 60_000 }, async () => {
    const foreign = join(dir, 'package.json');
    const text = JSON.stringify({ name: 'someone-else', version: '0.1.0' }, null, 2);
    writeFileSync(foreign, text);
    const [refused, nowhere] = [runNode([...base, '--state', foreign], 1), runNode([...base, '--state', join(dir, 'no', 'such', 's.json')], 1)];
    expect(await refused.lines).toEqual([]);
    expect(await nowhere.lines).toEqual([]);
    const [a, b] = await Promise.all([refused.stop(), nowhere.stop()]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/package\.json is not a btdht state file/);
    expect(readFileSync(foreign, 'utf8')).toBe(text);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/its folder .*no[/\\]such does not exist/);
  });

  it('a state that cannot be saved at stop exits 1 and is reported, never "stopped"', { timeout: 60_000 }, async () => {
    const folder = mkdtempSync(join(dir, 'gone-'));
    const file = join(folder, 'state.json');
    const run = runNode([...base, '--state', file, '--state-save-interval-ms', '0'], 1);
    expect(await run.lines).toHaveLength(1);
    rmSync(folder, { recursive: true, force: true });
    const { code, stderr } = await run.stop();
    expect(code).toBe(1);
    expect(stderr).toMatch(/saving state to .*state\.json failed/);
    expect(stderr).not.toMatch(/stopped/);
  });

  it('reads --config (flags override it), logs JSON lines and a status line, saves the state on the period', { timeout: 60_000 }, async () => {
    const config = join(dir, 'node.json');
    const state = join(dir, 'state.json');
    writeFileSync(config, JSON.stringify({ logFormat: 'json', statusIntervalMs: 300, stateFile: state, stateSaveIntervalMs: 200, k: 8, port: 1 }));
    // --port on the command line overrides the config's 1 (a port we could not bind).
    const run = runNode(['--config', config, '--host', '127.0.0.1', '--port', '0', '--bootstrap', ''], 1);
    const [listening] = await run.lines;
    expect(listening).toMatch(/^listening 127\.0\.0\.1:\d+ IPv4/);
    const deadline = Date.now() + 20_000;
    const seen = (): boolean => (run.stderr().match(/"event":"status"/g)?.length ?? 0) >= 2 && /"event":"state.saved"/.test(run.stderr());
    while (!seen() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const { code, stderr } = await run.stop();
    expect(code).toBe(0);
    const events = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; level: string; time: string; nodes4?: number; queriesInPerSec?: number });
    const status = events.filter((event) => event.event === 'status');
    expect(status.length).toBeGreaterThanOrEqual(1);
    expect(status[0]).toMatchObject({ level: 'info', nodes4: 0, queriesInPerSec: 0 });
    expect(events.filter((event) => event.event === 'state.saved').length).toBeGreaterThanOrEqual(2); // periodic, then at stop
    expect(events.at(-1)).toMatchObject({ event: 'stopped', level: 'info' });
    expect(parseState(readFileSync(state, 'utf8')).id).toHaveLength(20);
  });

  it('a config file error names the key, the value and what is allowed (exit 2; the cases: config-file.test.ts)', { timeout: 60_000 }, async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ alhpa: 3 }));
    const run = runNode(['--config', file, ...base], 1);
    expect(await run.lines).toEqual([]);
    const { code, stderr } = await run.stop();
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.json: unknown key "alhpa" \(did you mean "alpha"\?\)/);
  });
});
