// Loaded with `node --import` by bench/crawl/start-cost.ts: writes the
// process's CPU time (process.cpuUsage, user + system, since the process
// began) when it first sends a UDP datagram — a crawl's first query — and at
// exit, as one JSON line to fd 3.
import dgram from 'node:dgram';
import { writeSync } from 'node:fs';

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
let firstSend;
const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (...args) {
  firstSend ??= cpuMs();
  return send.apply(this, args);
};
process.on('exit', () => {
  try {
    writeSync(3, `${JSON.stringify({ firstSend: firstSend ?? null, exit: cpuMs() })}\n`);
  } catch {
    // nobody listening
  }
});
