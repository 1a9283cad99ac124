/**
 * `btdht node` as a process: a dual-stack node prints one listening line per
 * address family (BEP 32) and stops cleanly on SIGINT; a bad family flag
 * combination is a clear error. Loopback only, bounded in time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('./fixtures/run-cli.ts', import.meta.url));

function runNode(args: string[], expected: number): { lines: Promise<string[]>; stop: () => Promise<{ code: number | null; stderr: string }> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'node', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  const lines = new Promise<string[]>((resolve) => {
    const check = (): void => {
      const done = stdout.split('\n').filter((line) => line.startsWith('listening'));
      if (done.length >= expected || proc.exitCode !== null) resolve(done);
    };
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      check();
    });
    proc.once('exit', check);
  });
  return {
    lines,
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
    expect(stderr).toMatch(/stopped: 0 nodes/);
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
    expect(code).toBe(1);
  });
});
