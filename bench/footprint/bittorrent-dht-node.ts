/**
 * The anchor of the footprint benchmark: webtorrent's bittorrent-dht 11.0.12
 * with its defaults, standalone on a loopback address, printing a listening
 * line like `btdht node` does; stops on SIGINT/SIGTERM.
 */
import BtDHT from 'bittorrent-dht';

const host = process.argv[2] ?? '127.0.0.1';
const dht = new BtDHT({ bootstrap: false });
dht.on('warning', () => {});
dht.on('error', (error: Error) => {
  console.error(`bittorrent-dht: ${error.message}`);
  process.exit(1);
});
dht.listen(0, host, () => {
  console.log(`listening ${host}:${dht.address().port} IPv4`);
});
const stop = (): void => dht.destroy(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
