/**
 * The crawler against real clients: libtorrent 2.0 DHT nodes and libtorrent
 * seeders (Debian's python3-libtorrent) on loopback, each on its own /24,
 * libtorrent's routing restrictions, BEP 42 check and DoS blocker at their
 * defaults (test/interop/libtorrent/world.py). Half the seeders announce
 * before the crawler exists (their infohashes are in the nodes' BEP 51 sample
 * sets); the other half start after the crawl has begun, when every node has
 * already built its sample set, so only the get_peers / announce_peer traffic
 * the crawler sees can find them. All 20 distinct torrents (10 v1, 10 hybrid)
 * must be fetched and verified within 30 s of the crawl's start; then each
 * one's swarm health (a BEP 33 scrape: its seeder counted) reaches the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DHT } from '../../src/dht/dht.ts';
import { Crawler, type CrawlFetchEvent } from '../../src/crawl/crawler.ts';
import { openSqliteStore, type CrawlStore } from '../../src/crawl/store/index.ts';
import type { FetchedTorrent } from '../../src/crawl/metadata/types.ts';
import { createUdpTransport } from '../../src/transport/index.ts';
import { startLibtorrentWorld, type LibtorrentWorld, type WorldTorrent } from './libtorrent/world.ts';
import { traceSends } from './libtorrent/send-trace.ts';

const CRAWL_DEADLINE_MS = 30_000;
const EARLY_SEEDERS = 2;

describe('crawler against libtorrent nodes and seeders', () => {
  let world: LibtorrentWorld;
  let dir: string;

  beforeAll(async () => {
    const base = 64 + Math.floor(Math.random() * 180);
    world = await startLibtorrentWorld({ nodes: 5, seeders: 4, torrents: 20, earlySeeders: EARLY_SEEDERS, base, watch: `127.${base}.1.1`, maxSeconds: 180, trace: process.env['BTDHT_WORLD_TRACE'] === '1' });
    // The late seeders' sessions join the DHT now, holding no torrent: after the crawl starts
    // they only add and announce their torrents (no bootstrap on the crawl's clock).
    // The early half announced, as the test claims: a member of the world accepted each announce.
    const unannounced = world.torrents.filter((t) => t.seeder >= 0 && Object.values(t.announceInAt).every((at) => at === null));
    expect(unannounced.map((t) => t.name), 'early torrents no world member accepted an announce for').toEqual([]);
    await world.prepareSeeders();
    dir = mkdtempSync(join(tmpdir(), 'btdht-lt-crawl-'));
  }, 90_000);

  afterAll(async () => {
    await world?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fetches and verifies all 20 distinct torrents (v1 and hybrid) within 30 s', async () => {
    const host = `127.${world.base}.1.1`;
    // What we send each libtorrent member, replayed against its DoS blocker (by kind and id with the trace).
    const sends = traceSends(await createUdpTransport({ host, port: 0 }), process.env['BTDHT_WORLD_TRACE'] === '1');
    const dht = new DHT({ transport: sends.transport, ids: 16, bootstrap: world.nodes.map((n) => ({ host: n.host, port: n.port })) });
    await dht.start();
    let store: CrawlStore | undefined;
    let crawler: Crawler | undefined;
    const fetched = new Map<string, FetchedTorrent>();
    const fetchedAt = new Map<string, number>();
    const attempts = new Map<string, (CrawlFetchEvent & { at: number })[]>();
    let startedAt = 0;
    try {
      store = await openSqliteStore({ path: join(dir, 'crawl.sqlite'), synchronous: 'normal' });
      // Every torrent scraped at once (default 2): a scrape waits out the 2 s timeouts of the seeders
      // whose DoS blockers banned the crawler (~10-15 s a round here), so 20 checks in rounds of 8 took > 30 s.
      crawler = new Crawler(dht, { store, torrentsDir: join(dir, 'torrents'), swarmConcurrency: 20, onTorrent: (t) => {
        fetched.set(t.infohash, t);
        fetchedAt.set(t.infohash, Date.now());
      } });
      crawler.on('fetch', (e) => attempts.set(e.infohash, [...(attempts.get(e.infohash) ?? []), { ...e, at: Date.now() }]));
      startedAt = Date.now();
      await crawler.start();
      // The late half: announced into a DHT whose nodes have built their sample sets.
      const torrents = await world.startSeeders();
      const seedersStartedIn = Date.now() - startedAt;
      expect(torrents.every((t) => t.seeder >= 0)).toBe(true);
      const distinct = (): number => torrents.filter((t) => fetched.has(t.v1) || (t.v2 !== null && fetched.has(t.v2))).length;
      while (distinct() < torrents.length && Date.now() - startedAt < CRAWL_DEADLINE_MS) await new Promise((r) => setTimeout(r, 200));
      const elapsed = Date.now() - startedAt;
      const report = await world.report();
      const stats = crawler.stats();
      const rel = (ms: number | null | undefined): string => (ms == null ? '-' : `+${((ms - startedAt) / 1000).toFixed(1)}s`);
      const explain = (t: WorldTorrent): string => {
        const late = t.seeder >= EARLY_SEEDERS ? 'late' : 'early';
        const hashes = [t.v1, ...(t.v2 !== null ? [t.v2] : [])].map((h) => {
          const k = crawler!.inspect(h);
          const tries = (attempts.get(h) ?? []).map((a) => `#${a.attempt} ${a.outcome} at ${rel(a.at)} in ${a.durationMs} ms [${(a.peers ?? []).map((p) => `${p.peer.host}:${p.outcome} slot ${p.waitedMs ?? '?'} ms + ${p.ms ?? '?'} ms`).join(' ')}]${a.retry ? ' (retry)' : ''}`);
          const sources = k.bySource ? Object.entries(k.bySource).filter(([, n]) => n > 0).map(([s, n]) => `${s}×${n}`).join(' ') : '';
          return (
            `${h.slice(0, 8)}: ${k.harvest}${k.firstSeen ? ` first ${rel(k.firstSeen)}` : ''} ${sources} announcers ${k.announcers ?? 0}; ` +
            `announce accepted in world ${rel(t.announceInAt[h])}; queue ${k.queue ? JSON.stringify(k.queue) : 'none'}; settled ${k.settled}; ` +
            `fetched ${rel(fetchedAt.get(h))}; attempts ${tries.join('; ') || 'none'}`
          );
        });
        return `${t.name} seeder ${t.seeder} (${late}) added ${rel(t.startedAt)} announced ${rel(t.announcedAt)}${t.reannounced > 0 ? ` (re-announced ×${t.reannounced})` : ''} | ${hashes.join(' | ')}`;
      };
      const missing = torrents.filter((t) => !fetched.has(t.v1) && !(t.v2 !== null && fetched.has(t.v2)));
      console.log(
        `libtorrent crawl: ${distinct()}/${torrents.length} distinct torrents in ${(elapsed / 1000).toFixed(1)} s; ` +
          `harvest ${JSON.stringify(stats.infohashes.unique)} seen ${JSON.stringify(stats.infohashes.seen)}; ` +
          `fetched ${stats.metadata.fetched}, failures ${JSON.stringify(stats.metadata.failures)}, peer failures ${JSON.stringify(stats.metadata.peerFailures)}, penalized ${stats.metadata.penalized}, retries ${stats.metadata.retries}, woken ${stats.metadata.woken}, joined ${stats.metadata.joined}, lookups ${stats.metadata.lookups}; ` +
          `seeders started (startSeeders resolved) at +${(seedersStartedIn / 1000).toFixed(1)} s; missing ${missing.map((t) => t.name).join(', ') || 'none'}\n` +
          `per torrent (times from the crawl's start): ${torrents.map((t) => explain(t)).join('\n  ')}\n` +
          `world: ${JSON.stringify(report.members.map((m) => ({ role: m.role, host: m.host, announceIn: m.announceIn, dropped: m.messagesInDropped, banned: m.banned, watch: m.watch })))}\n` +
          `our sends per member (max in 10 s; when its DoS blocker would ban us): ${JSON.stringify(sends.report())}`,
      );
      expect(missing.map((t) => `${t.name}: ${explain(t)}`)).toEqual([]);
      expect(elapsed).toBeLessThanOrEqual(CRAWL_DEADLINE_MS);
      // Verified against the hash it was fetched by; hybrids by either of theirs.
      for (const t of torrents) {
        const got = fetched.get(t.v1) ?? (t.v2 !== null ? fetched.get(t.v2) : undefined);
        expect(got?.name).toBe(t.name);
        expect(got?.totalSize).toBe(t.size);
        expect(got?.files.length).toBe(t.files);
        expect(got?.verifiedBy).toBe(got?.infohash === t.v1 ? 'sha1' : 'sha256');
      }
      // Swarm health: each torrent's BEP 33 scrape reaches the store (its seeder announced as a seed).
      const health = async () => Promise.all(torrents.map((t) => store!.getTorrent(t.v1)));
      const swarmBy = Date.now() + 30_000;
      let rows = await health();
      while (rows.some((r) => r?.swarmCheckedAt == null) && Date.now() < swarmBy) {
        await new Promise((r) => setTimeout(r, 500));
        rows = await health();
      }
      const node = dht.stats();
      console.log(`dht: queries out ${JSON.stringify(node.queriesOut)} answered ${JSON.stringify(node.responsesIn)} timeouts ${JSON.stringify(node.timeouts)} drops ${JSON.stringify(node.drops)} queries in ${JSON.stringify(node.queriesIn)}`);
      console.log(`swarm health: ${JSON.stringify(crawler.stats().swarm)}; seeders ${rows.map((r) => r?.seeders).join(',')}; checked at ${rows.map((r) => (r?.swarmCheckedAt == null ? '-' : `+${((r.swarmCheckedAt - startedAt) / 1000).toFixed(1)}s`)).join(',')}`);
      for (const [i, row] of rows.entries()) {
        expect(row?.swarmCheckedAt, torrents[i]!.name).toBeTypeOf('number');
        expect(row?.seeders, torrents[i]!.name).toBeGreaterThanOrEqual(1);
      }
    } finally {
      await crawler?.stop();
      await store?.close();
      await dht.stop();
    }
  }, 150_000);
});
