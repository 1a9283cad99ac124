#!/usr/bin/python3
"""
A loopback world of real BitTorrent clients: libtorrent 2.0 DHT nodes and
libtorrent seeders, each session on its own 127.B.x.1 address (its own /24:
libtorrent keeps one routing entry per /24 in a bucket and one node per /24 in
a lookup, and both restrictions stay on), driven over stdin/stdout in JSON lines
by test/interop/libtorrent/world.ts.

Run with Debian's python3-libtorrent (/usr/bin/python3). Settings changed from
libtorrent's defaults, and why:
  listen_interfaces        the session's own loopback address and port
  dht_bootstrap_nodes      none (the default is dht.libtorrent.org); nodes are
                           added with add_dht_node instead, because a bootstrap
                           "router" is never put in libtorrent's routing table
  enable_lsd/upnp/natpmp   off: multicast and gateways are not loopback
  alert_mask               what this script reports on
Everything in the DHT itself (dht_restrict_routing_ips, dht_restrict_search_ips,
dht_enforce_node_id, the DoS blocker, the upload quota, the sample interval)
is left at its default. libtorrent treats 127/8 as local, where BEP 42 is not
checked: that, and only that, is looser than on the internet.

Seeders serve torrents made here (files of random bytes): half v1 only, half
hybrid v1+v2. A seeder is started either at once or on the `start-seeders`
command, and announces each torrent as soon as its DHT is up.

Commands (one per line on stdin): `prepare-seeders`, `start-seeders`, `lookups N SEED`, `report`, `stop`.
Events (one JSON object per line on stdout): `ready`, `seeders-prepared`, `seeders-started`, `lookups-done`,
`report`, `error`. The script ends on `stop`, when stdin closes, or after
--max-seconds, whichever comes first.
"""
import argparse
import hashlib
import json
import os
import re
import select
import sys
import time

try:
    import libtorrent as lt
except ImportError as error:  # pragma: no cover - reported to the driver
    print(json.dumps({'event': 'error', 'message': f'python3-libtorrent is not importable here ({sys.executable}): {error}'}), flush=True)
    sys.exit(3)

PIECE = 16 * 1024
DEBUG = os.environ.get('BTDHT_WORLD_DEBUG') == '1'
ANNOUNCE_GAP = 1.0
# Before 'ready' only (the early seeders: the test claims their torrents are in the DHT before the crawl),
# a forced announce no member accepted after this long is forced again (libtorrent itself would wait its
# 15 min announce interval: a seeder's lookup can fail when a node's answers hit its DoS blocker). Never
# after: each re-announce is two more lookups (hybrids), more datagrams against the blockers.
REANNOUNCE_AFTER = 4.0


def emit(event, **fields):
    fields['event'] = event
    sys.stdout.write(json.dumps(fields) + '\n')
    sys.stdout.flush()


def settings(host, port, trace):
    mask = lt.alert.category_t.error_notification | lt.alert.category_t.status_notification | lt.alert.category_t.dht_notification
    if trace:
        mask |= lt.alert.category_t.dht_log_notification
    return {
        'listen_interfaces': f'{host}:{port}',
        'enable_dht': True,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'dht_bootstrap_nodes': '',
        'alert_mask': mask,
        'alert_queue_size': 100000,
    }


def make_torrents(root, count, rng_seed):
    """`count` torrents under root: even indexes v1 only, odd ones hybrid."""
    torrents = []
    rng = hashlib.sha256(rng_seed.encode())
    for i in range(count):
        kind = 'v1' if i % 2 == 0 else 'hybrid'
        name = f'lt-{kind}-{i:02d}'
        folder = os.path.join(root, name)
        os.makedirs(folder, exist_ok=True)
        for f in range(1 + i % 3):
            size = PIECE * (1 + (i + f) % 3) + 1000 * f
            with open(os.path.join(folder, f'part-{f}.bin'), 'wb') as out:
                data = bytearray()
                while len(data) < size:
                    rng.update(b'x')
                    data += rng.digest()
                out.write(bytes(data[:size]))
        fs = lt.file_storage()
        lt.add_files(fs, folder)
        flags = lt.create_torrent.v1_only if kind == 'v1' else 0
        ct = lt.create_torrent(fs, PIECE, flags)
        lt.set_piece_hashes(ct, root)
        ti = lt.torrent_info(ct.generate())
        hashes = ti.info_hashes()
        v1 = str(hashes.v1) if hashes.has_v1() else None
        v2 = str(hashes.v2)[:40] if hashes.has_v2() else None
        # Pad files (BEP 47: hybrids align files to pieces) are not the torrent's content.
        files = ti.files()
        real = [i for i in range(files.num_files()) if not files.file_flags(i) & lt.file_storage.flag_pad_file]
        torrents.append({'name': name, 'kind': kind, 'v1': v1, 'v2': v2, 'files': len(real), 'size': sum(files.file_size(i) for i in real), 'ti': ti})
    return torrents


class Evidence:
    """What libtorrent did with the watched address (the crawler), from its own DHT log."""

    PATTERNS = {
        'banned': re.compile(r'BANNING PEER \[ ip: ([0-9.]+)'),
        'evicted_changed_id': re.compile(r'evicting node \(changed ID\): .* ([0-9.]+)$'),
        'ignored_duplicate_ip': re.compile(r'ignoring node \(duplicate IP\): \S+ ([0-9.]+)'),
        'ignored_same_24': re.compile(r'ignoring node: \S+ ([0-9.]+) existing'),
        'search_duplicate_24': re.compile(r'traversal DUPLICATE node\. id: \S+ addr: ([0-9.]+)'),
    }

    def __init__(self, watch):
        self.watch = watch
        self.log = {k: 0 for k in self.PATTERNS}
        self.to_watch = {}
        self.from_watch = {}
        self.ids_seen_from_watch = set()
        self.announces_sent = []

    def on_log(self, line):
        for key, pattern in self.PATTERNS.items():
            m = pattern.search(line)
            if m and m.group(1) == self.watch:
                self.log[key] += 1

    def on_packet(self, message, buf):
        # "==> [ip:port] {...}" is outgoing, "<== [ip:port]" incoming
        m = re.match(r'(==>|<==) \[([0-9.]+):(\d+)\]', message)
        if not m or m.group(2) != self.watch:
            return
        try:
            decoded = lt.bdecode(buf)
        except Exception:
            return
        if not isinstance(decoded, dict):
            return
        y = decoded.get(b'y', b'?').decode('latin1')
        q = decoded.get(b'q', b'').decode('latin1')
        key = f'{y}:{q}' if y == 'q' else y
        bucket = self.to_watch if m.group(1) == '==>' else self.from_watch
        bucket[key] = bucket.get(key, 0) + 1
        if DEBUG and m.group(1) == '==>':
            a = decoded.get(b'a') or {}
            target = a.get(b'info_hash') or a.get(b'target') or b''
            sys.stderr.write(f'DEBUG {time.monotonic():.2f} to-watch {key} {target.hex()[:12]} bs={a.get(b"bs")}\n')
        if m.group(1) == '<==':
            body = decoded.get(b'a' if y == 'q' else b'r')
            if isinstance(body, dict) and isinstance(body.get(b'id'), bytes):
                self.ids_seen_from_watch.add(body[b'id'].hex())

    def report(self):
        return {'log': self.log, 'sentTo': self.to_watch, 'receivedFrom': self.from_watch, 'idsFrom': len(self.ids_seen_from_watch)}


class Member:
    def __init__(self, role, index, host, port, trace, watch):
        self.role = role
        self.index = index
        self.host = host
        self.port = port
        self.session = lt.session(settings(host, port, trace))
        self.evidence = Evidence(watch) if watch else None
        self.announces_in = []
        self.get_peers_in = 0
        self.bans = 0
        self.banned = []  # the IPs its DoS blocker banned (with --trace)
        self.listen_failed = None
        self.bootstrapped = False
        self.stats = {}
        self.handles = []
        self.torrents = []  # the world's torrent dicts, beside handles
        self.node_id = None

    def poll(self):
        for alert in self.session.pop_alerts():
            if isinstance(alert, lt.dht_pkt_alert):
                if self.evidence:
                    self.evidence.on_packet(alert.message(), alert.pkt_buf)
            elif isinstance(alert, lt.dht_log_alert):
                line = alert.log_message()
                if line.startswith('BANNING PEER'):
                    self.bans += 1
                    m = re.match(r'BANNING PEER \[ ip: ([0-9.]+)', line)
                    if m and len(self.banned) < 16:
                        self.banned.append(m.group(1))
                if self.evidence:
                    self.evidence.on_log(line)
                m = re.match(r'starting IPv4 DHT tracker with node id: ([0-9a-f]{40})', line)
                if m:
                    self.node_id = m.group(1)
            elif isinstance(alert, lt.dht_announce_alert):
                self.announces_in.append((str(alert.info_hash), alert.ip, alert.port, time.time()))
            elif isinstance(alert, lt.dht_get_peers_alert):
                self.get_peers_in += 1
            elif isinstance(alert, lt.dht_bootstrap_alert):
                self.bootstrapped = True
            elif isinstance(alert, lt.listen_failed_alert):
                self.listen_failed = alert.message()
            elif isinstance(alert, lt.session_stats_alert):
                self.stats = {name: value for name, value in alert.values.items() if name.startswith('dht.')}

    def summary(self):
        s = {
            'role': self.role,
            'host': self.host,
            'port': self.port,
            'dhtNodes': self.stats.get('dht.dht_nodes', 0),
            'dhtTorrents': self.stats.get('dht.dht_torrents', 0),
            'messagesInDropped': self.stats.get('dht.dht_messages_in_dropped', 0),
            'getPeersIn': self.stats.get('dht.dht_get_peers_in', 0),
            'announceIn': self.stats.get('dht.dht_announce_peer_in', 0),
            'announceOut': self.stats.get('dht.dht_announce_peer_out', 0),
            'sampleIn': self.stats.get('dht.dht_sample_infohashes_in', 0),
            'bans': self.bans,
            'banned': self.banned,
        }
        if self.evidence:
            s['watch'] = self.evidence.report()
        return s


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--base', type=int, required=True, help='second octet B of the 127.B.x.1 addresses')
    parser.add_argument('--port', type=int, required=True, help='the port every session listens on (each has its own address)')
    parser.add_argument('--nodes', type=int, default=5)
    parser.add_argument('--seeders', type=int, default=4)
    parser.add_argument('--torrents', type=int, default=20)
    parser.add_argument('--early-seeders', type=int, default=0, help='seeders started before `start-seeders`')
    parser.add_argument('--dir', required=True)
    parser.add_argument('--watch', default='', help='an address to report on (the crawler)')
    parser.add_argument('--trace', action='store_true', help='collect libtorrent DHT log evidence about --watch')
    parser.add_argument('--max-seconds', type=float, default=300)
    parser.add_argument('--seed', default='btdht')
    args = parser.parse_args()

    deadline = time.monotonic() + args.max_seconds
    watch = args.watch or None
    nodes = [Member('node', i, f'127.{args.base}.{10 + i}.1', args.port, args.trace, watch) for i in range(args.nodes)]
    torrents = make_torrents(args.dir, args.torrents, args.seed)

    def all_members():
        return nodes + seeders + list(prepared.values())

    seeders = []

    prepared = {}

    def seeder_session(j):
        member = Member('seeder', j, f'127.{args.base}.{100 + j}.1', args.port, args.trace, watch)
        for n in nodes:
            member.session.add_dht_node((n.host, n.port))
        return member

    def start_seeder(j):
        member = prepared.pop(j, None) or seeder_session(j)
        for t in torrents[j::args.seeders]:
            atp = lt.add_torrent_params()
            atp.ti = t['ti']
            atp.save_path = args.dir
            atp.flags |= lt.torrent_flags.seed_mode
            atp.flags &= ~lt.torrent_flags.auto_managed
            atp.flags &= ~lt.torrent_flags.paused
            handle = member.session.add_torrent(atp)
            member.handles.append(handle)
            member.torrents.append(t)
            t['startedAt'] = round(time.time() * 1000)
            t['seeder'] = j
            t['peer'] = {'host': member.host, 'port': args.port}
        seeders.append(member)

    # Join the nodes into one DHT: each learns every other (pinged, then added).
    for n in nodes:
        for other in nodes:
            if other is not n:
                n.session.add_dht_node((other.host, other.port))
    for j in range(args.early_seeders):
        start_seeder(j)

    def announce_staggered(members):
        # One torrent per seeder at a time, ANNOUNCE_GAP apart, as a client adding torrents over
        # time would: all at once, a seeder's burst of get_peers gets every node it asks to
        # answer it past libtorrent's DoS blocker limit (50 datagrams in 10 s), on both sides.
        rounds = max((len(m.handles) for m in members), default=0)
        for r in range(rounds):
            for m in members:
                if r < len(m.handles):
                    m.handles[r].force_dht_announce()
                    m.torrents[r]['announcedAt'] = round(time.time() * 1000)
                    m.torrents[r]['forcedAt'] = time.monotonic()
            poll_all(ANNOUNCE_GAP)

    def accepted(t):
        if t.get('accepted'):
            return True
        t['accepted'] = any(h == t['v1'] or h == t['v2'] for m in all_members() for h, _, _, _ in m.announces_in)
        return t['accepted']

    def reannounce_unaccepted():
        # Announced torrents that no member accepted yet: forced again, one per seeder per call.
        now = time.monotonic()
        for m in seeders:
            for r, t in enumerate(m.torrents):
                if t.get('forcedAt') is None or now - t['forcedAt'] < REANNOUNCE_AFTER or accepted(t):
                    continue
                m.handles[r].force_dht_announce()
                t['forcedAt'] = now
                t['reannounced'] = t.get('reannounced', 0) + 1
                break

    def wait_until_accepted(members, seconds):
        # Every torrent of `members` accepted by some member (re-forced as needed), `seconds` at most.
        end = time.monotonic() + seconds
        while time.monotonic() < end and not all(accepted(t) for m in members for t in m.torrents):
            reannounce_unaccepted()
            poll_all(0.2)

    def wait_for_dht(members):
        # Each has a node in its routing table (10 s at most).
        started_by = time.monotonic() + 10
        while time.monotonic() < started_by:
            for m in members:
                m.session.post_session_stats()
            poll_all(0.2)
            if all(m.stats.get('dht.dht_nodes', 0) >= 1 for m in members):
                break

    def poll_all(seconds):
        end = time.monotonic() + seconds
        while True:
            for m in all_members():
                m.poll()
                if m.listen_failed:
                    emit('error', message=f'{m.role} {m.host}:{m.port}: {m.listen_failed}')
                    sys.exit(4)
            now = time.monotonic()
            if now >= end:
                return
            time.sleep(min(0.05, end - now))

    # Ready when every node has a peer in its table (their own lookups then fill the rest).
    ready_by = time.monotonic() + 20
    while time.monotonic() < ready_by:
        for m in all_members():
            m.session.post_session_stats()
        poll_all(0.25)
        if all(m.stats.get('dht.dht_nodes', 0) >= min(2, len(nodes) - 1) for m in all_members()):
            break
    announce_staggered(seeders)
    wait_until_accepted(seeders, 30)

    def first_announce_in(ih):
        # When any member first accepted an announce_peer for this hash (wall-clock ms), else None.
        times = [at for m in all_members() for h, _, _, at in m.announces_in if h == ih]
        return round(min(times) * 1000) if times else None

    def describe():
        return [{'name': t['name'], 'kind': t['kind'], 'v1': t['v1'], 'v2': t['v2'], 'files': t['files'], 'size': t['size'], 'seeder': t.get('seeder', -1), 'peer': t.get('peer'),
                 'startedAt': t.get('startedAt'), 'announcedAt': t.get('announcedAt'), 'reannounced': t.get('reannounced', 0),
                 'announceInAt': {h: first_announce_in(h) for h in (t['v1'], t['v2']) if h}} for t in torrents]

    emit('ready', nodes=[{'host': n.host, 'port': n.port, 'id': n.node_id} for n in nodes], torrents=describe(), earlySeeders=args.early_seeders,
         seeders=[{'host': f'127.{args.base}.{100 + j}.1', 'port': args.port} for j in range(args.seeders)])

    def report():
        for m in all_members():
            m.session.post_session_stats()
        poll_all(0.3)
        announced_to = {}
        for m in all_members():
            for ih, ip, port, _ in m.announces_in:
                announced_to.setdefault(ih, set()).add(m.host)
        emit('report', members=[m.summary() for m in all_members()], announcedInfohashes=len(announced_to), torrents=describe())

    buffer = b''
    while time.monotonic() < deadline:
        poll_all(0.1)
        readable, _, _ = select.select([sys.stdin], [], [], 0)
        if not readable:
            continue
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:
            break  # the driver is gone
        buffer += chunk
        while b'\n' in buffer:
            line, buffer = buffer.split(b'\n', 1)
            command = line.decode().strip()
            if command == 'prepare-seeders':
                # The late seeders' sessions, in the DHT but holding no torrent yet: `start-seeders`
                # then only adds and announces their torrents (no bootstrap wait after it).
                for j in range(len(seeders) + len(prepared), args.seeders):
                    prepared[j] = seeder_session(j)
                wait_for_dht(list(prepared.values()))
                emit('seeders-prepared', count=len(prepared))
            elif command == 'start-seeders':
                before = len(seeders)
                for j in range(before, args.seeders):
                    start_seeder(j)
                wait_for_dht(seeders[before:])
                announce_staggered(seeders[before:])
                emit('seeders-started', torrents=describe())
            elif command.startswith('lookups '):
                # `lookups N SEED`: N lookups for infohashes sha1(f'{SEED}-{i}'), node i % nodes doing
                # the i-th: even ones a get_peers lookup, odd ones a magnet download (which announces), 20 a second.
                _, count, seed = command.split(' ', 2)
                count = int(count)
                for i in range(count):
                    ih = lt.sha1_hash(hashlib.sha1(f'{seed}-{i}'.encode()).digest())
                    node = nodes[i % len(nodes)]
                    if i % 2 == 0:
                        node.session.dht_get_peers(ih)
                    else:
                        # The Python binding has no dht_announce flags: a magnet download announces instead
                        # (get_peers, then announce_peer to the closest nodes), as a real client does.
                        atp = lt.add_torrent_params()
                        atp.info_hashes = lt.info_hash_t(ih)
                        atp.save_path = args.dir
                        atp.flags &= ~lt.torrent_flags.auto_managed
                        atp.flags &= ~lt.torrent_flags.paused
                        node.session.add_torrent(atp)
                    poll_all(0.05)
                poll_all(5)
                emit('lookups-done', count=count)
            elif command == 'report':
                report()
            elif command == 'stop':
                report()
                return
    report()


if __name__ == '__main__':
    main()
