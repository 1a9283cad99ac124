/**
 * The benchmark's control channel between bench/node.ts (the client) and one
 * server child process (node IPC). Only control goes here; the load itself is
 * UDP on loopback.
 */

/** Server → client. */
export type ServerMessage =
  | { type: 'ready'; host: string; port: number; detail: string }
  | { type: 'cpu'; user: number; system: number }
  | { type: 'error'; message: string };

/** Client → server. */
export type ClientMessage = { type: 'cpu' } | { type: 'stop' };

/** Loopback addresses nobody listens on, for the 1,000 nodes put in each table (127.3.0.0/16). */
export function fakeNodeHost(i: number): string {
  return `127.3.${(i >> 8) & 0xff}.${i & 0xff}`;
}

/** Serve the control channel: report readiness, answer CPU reads, stop on request. */
export function serve(ready: { host: string; port: number; detail: string }, stop: () => Promise<void>): void {
  const send = (message: ServerMessage): void => {
    process.send?.(message);
  };
  process.on('message', (message: ClientMessage) => {
    if (message.type === 'cpu') {
      // Every thread of this process (main, GC, libuv), as the OS accounts it, in µs.
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', user, system });
    } else if (message.type === 'stop') {
      void stop().finally(() => {
        // A normal exit, so --cpu-prof writes its profile.
        process.disconnect?.();
        process.exit(0);
      });
    }
  });
  send({ type: 'ready', ...ready });
}

/** Report a setup failure to the client and exit. */
export function fail(error: unknown): never {
  process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ServerMessage);
  process.exit(1);
}
