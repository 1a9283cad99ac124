// Loaded with `node --import` into the crawler's process by bench/crawl.ts:
// writes the process's own CPU time (process.cpuUsage: user + system, and
// system alone: the kernel's share, e.g. loopback delivery of each datagram) and RSS
// as one JSON line to file descriptor 3 every BTDHT_PROBE_MS ms, and once more
// as the process exits. Plain JS, so it adds no compiler to what is measured.
import { writeSync } from 'node:fs';

const every = Number(process.env.BTDHT_PROBE_MS ?? 1000);
const started = performance.now();
function sample(final) {
  const cpu = process.cpuUsage();
  const line = JSON.stringify({ t: Math.round(performance.now() - started), cpuMs: (cpu.user + cpu.system) / 1000, systemMs: cpu.system / 1000, rss: process.memoryUsage.rss(), final });
  try {
    writeSync(3, `${line}\n`);
  } catch {
    // the parent went away: nothing to report to
  }
}
sample(false);
setInterval(() => sample(false), every).unref();
process.on('exit', () => sample(true));
