/** The floor: a bare node:dgram socket that sends every datagram back as is (no parsing, no state). */
import { createSocket } from 'node:dgram';
import { fail, serve } from './protocol.ts';

try {
  const socket = createSocket('udp4');
  socket.on('message', (data, from) => socket.send(data, from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  // The same kernel queue as our transport asks for, so the floor loses no burst either.
  socket.setRecvBufferSize(4 * 1024 * 1024);
  serve({ host: '127.0.0.1', port: socket.address().port, detail: 'node:dgram echo' }, () => new Promise((resolve) => socket.close(() => resolve())));
} catch (error) {
  fail(error);
}
