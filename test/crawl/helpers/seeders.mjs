// Child process: real BitTorrent seeders written by others. create-torrent makes
// the torrents from files written here; webtorrent (1.9.7: the last line that
// runs on Node 20 without a native WebRTC build) seeds them over TCP and answers
// ut_metadata. Plain JS run by node, kept out of the test process so the
// fetcher's CPU is measured alone. Reports each torrent as webtorrent parsed it
// (the reference the fetcher is checked against), then waits for 'stop'.
//
// argv[2]: JSON { dir, hosts: string[], torrents: number }
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import createTorrent from 'create-torrent';
import WebTorrent from 'webtorrent';

const config = JSON.parse(process.argv[2]);

// Loopback only: webtorrent listens on every interface; pin each client's
// listen(port, cb) to its own 127.x address.
let bindHost;
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (bindHost !== undefined && typeof args[0] === 'number' && typeof args[1] === 'function') {
    return listen.call(this, args[0], bindHost, args[1]);
  }
  return listen.apply(this, args);
};

/** Files of torrent i, varied: single files, small folders, one folder big enough for multi-piece metadata. */
function writeContent(i) {
  const name = `btdht-seed-${i}-${randomBytes(3).toString('hex')}`;
  const base = join(config.dir, `t${i}`);
  mkdirSync(base, { recursive: true });
  const root = join(base, name);
  if (i === 1) {
    // ~400 files: an info dictionary over 16 KiB, so BEP 9 needs several pieces.
    mkdirSync(root);
    for (let f = 0; f < 400; f++) writeFileSync(join(root, `file-with-a-longish-name-${String(f).padStart(4, '0')}.bin`), randomBytes(16 + f));
  } else if (i % 5 === 0) {
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'a.txt'), randomBytes(1000 + i));
    writeFileSync(join(root, 'sub', 'b.bin'), randomBytes(20_000 + i));
    writeFileSync(join(root, 'sub', 'c.bin'), randomBytes(5));
  } else {
    writeFileSync(root, randomBytes(1000 + i * 3777));
  }
  return { name, base, root };
}

function makeTorrent(root, name) {
  return new Promise((resolve, reject) => {
    createTorrent(root, { name, announceList: [], urlList: [], private: false, createdBy: 'btdht-test' }, (err, buf) =>
      // create-torrent 6 gives a Uint8Array; webtorrent 1.x's parse-torrent wants a Buffer.
      err ? reject(err) : resolve(Buffer.from(buf)),
    );
  });
}

const clients = config.hosts.map((host) => {
  bindHost = host;
  const client = new WebTorrent({ dht: false, tracker: false, lsd: false, utp: false, webSeeds: false });
  bindHost = undefined;
  client.on('error', (err) => process.send({ type: 'error', message: String(err) }));
  return { client, host };
});

function seed({ client, host }, torrentBuf, base) {
  return new Promise((resolve, reject) => {
    const t = client.add(torrentBuf, { path: base, announce: [] });
    t.once('error', reject);
    t.once('done', () => {
      const port = client.address().port;
      resolve({
        infohash: t.infoHash,
        name: t.name,
        length: t.length,
        files: t.files.map((f) => ({ path: f.path, length: f.length })),
        peer: { host, port },
      });
    });
  });
}

async function main() {
  const made = [];
  for (let i = 0; i < config.torrents; i++) {
    const { name, base, root } = writeContent(i);
    made.push({ buf: await makeTorrent(root, name), base });
  }
  const torrents = await Promise.all(made.map(({ buf, base }, i) => seed(clients[i % clients.length], buf, base)));
  process.send({ type: 'ready', torrents });
}

process.on('message', (message) => {
  if (message === 'stop') {
    let left = clients.length;
    for (const { client } of clients) client.destroy(() => --left === 0 && process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  }
});
process.on('disconnect', () => process.exit(0));

main().catch((err) => {
  process.send({ type: 'error', message: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});
