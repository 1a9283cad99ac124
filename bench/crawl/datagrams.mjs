// Loaded with `node --import` into the crawler's process by bench/crawl.ts
// --datagrams: counts every UDP datagram the process sends and receives at the
// socket (dgram), decoded, by kind — 'q:<method>' for a query, 'r:<method>' for
// an answer (the method of the query it answers), 'e:<method>' for an error —
// and, for what it sends, by which of its ids it went under; then how many
// destinations each query method reached and how many were asked more than
// once, or under more than one id. Written as one JSON line to fd 4 at exit.
// It decodes each datagram, so its CPU is not the crawler's: leave it off when
// measuring CPU.
import dgram from 'node:dgram';
import { writeSync } from 'node:fs';
import bencode from 'bencode';

const out = { sent: {}, received: {}, sentById: {}, destinations: {}, ids: 0 };
/** `${host}|${port}|${t}` → method, for our queries (their answers) and theirs (our answers). */
const ours = new Map();
const theirs = new Map();
/** query method → destination → { n, ids: Set } */
const perDestination = new Map();
const ids = new Set();

const bump = (table, key) => void (table[key] = (table[key] ?? 0) + 1);
const text = (v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : undefined);
const hex = (v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex').slice(0, 8) : '?');
const cap = (map) => {
  if (map.size > 200_000) map.delete(map.keys().next().value);
};

function decode(data) {
  try {
    const m = bencode.decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    return m !== null && typeof m === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

function kindOf(m, key, table) {
  const y = text(m.y);
  const t = text(m.t) ?? '';
  if (y === 'q') {
    const method = text(m.q) ?? '?';
    table.set(`${key}|${t}`, method);
    cap(table);
    return { kind: `q:${method}`, method, id: m.a?.id };
  }
  const method = table.get(`${key}|${t}`) ?? '?';
  table.delete(`${key}|${t}`);
  if (y === 'r') return { kind: `r:${method}`, id: m.r?.id };
  if (y === 'e') return { kind: `e:${method}` };
  return { kind: 'other' };
}

const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (data, port, host, ...rest) {
  const m = data instanceof Uint8Array && typeof port === 'number' ? decode(data) : undefined;
  if (m !== undefined) {
    const key = `${host}|${port}`;
    const y = text(m.y);
    const { kind, id, method } = kindOf(m, key, y === 'q' ? ours : theirs);
    bump(out.sent, kind);
    if (id instanceof Uint8Array) {
      ids.add(hex(id));
      out.sentById[kind] ??= {};
      bump(out.sentById[kind], hex(id));
    }
    if (method !== undefined) {
      let byDest = perDestination.get(method);
      if (byDest === undefined) perDestination.set(method, (byDest = new Map()));
      let d = byDest.get(key);
      if (d === undefined) byDest.set(key, (d = { n: 0, ids: new Set() }));
      d.n++;
      d.ids.add(hex(id));
    }
  } else bump(out.sent, 'undecoded');
  return send.call(this, data, port, host, ...rest);
};

const emit = dgram.Socket.prototype.emit;
dgram.Socket.prototype.emit = function (event, data, rinfo, ...rest) {
  if (event === 'message' && data instanceof Uint8Array) {
    const m = decode(data);
    if (m !== undefined) {
      const key = `${rinfo.address}|${rinfo.port}`;
      const y = text(m.y);
      bump(out.received, kindOf(m, key, y === 'q' ? theirs : ours).kind);
    } else bump(out.received, 'undecoded');
  }
  return emit.call(this, event, data, rinfo, ...rest);
};

process.on('exit', () => {
  out.ids = ids.size;
  for (const [method, byDest] of perDestination) {
    let again = 0;
    let severalIds = 0;
    let most = 0;
    for (const d of byDest.values()) {
      if (d.n > 1) again++;
      if (d.ids.size > 1) severalIds++;
      most = Math.max(most, d.n);
    }
    out.destinations[method] = { destinations: byDest.size, askedAgain: again, underSeveralIds: severalIds, mostToOne: most };
  }
  // Per id: how many datagrams, whatever the kind.
  try {
    writeSync(4, `${JSON.stringify(out)}\n`);
  } catch {
    // nobody listening
  }
});
