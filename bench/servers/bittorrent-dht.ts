/** webtorrent's bittorrent-dht 11.0.12 with 1,000 nodes offered to its table (addNode). */
import { randomBytes } from 'node:crypto';
import BtDHT from 'bittorrent-dht';
import { fail, fakeNodeHost, serve } from './protocol.ts';

const NODES = Number(process.argv[2] ?? 1000);

try {
  const dht = new BtDHT({ bootstrap: false });
  dht.on('warning', () => {});
  await new Promise<void>((resolve) => dht.listen(0, '127.0.0.1', () => resolve()));
  for (let i = 0; i < NODES; i++) dht.addNode({ id: randomBytes(20), host: fakeNodeHost(i), port: 6881 });
  serve(
    { host: '127.0.0.1', port: dht.address().port, detail: `bittorrent-dht 11.0.12, ${NODES} nodes offered, ${dht.nodes.count()} in its table (k = 20)` },
    () => new Promise((resolve) => dht.destroy(() => resolve())),
  );
} catch (error) {
  fail(error);
}
