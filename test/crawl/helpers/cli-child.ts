/** Run the `btdht` command (from the sources, through tsx) in a child process and read what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

export interface CliChild {
  process: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(args: string[]): CliChild {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { process: child, stdout: () => out, stderr: () => err, exited };
}

/** Run to the end; kill it after `ms` if it has not exited by itself. */
export async function runCli(args: string[], ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = startCli(args);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), ms);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  return { code, signal, stdout: child.stdout(), stderr: child.stderr() };
}

/** Poll `check` every 100 ms until it returns true; throws with `what` after `ms` (and what `printed` returns then, e.g. the child's stderr). */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string, printed?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${printed ? `; it printed:\n${printed()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
