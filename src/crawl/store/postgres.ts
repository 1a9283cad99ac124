/**
 * CrawlStore on PostgreSQL, for crawls that outgrow one machine: any number of
 * crawler processes, on one host or many, write into one database. Every row is
 * keyed by infohash and every write is an upsert (INSERT ... ON CONFLICT), so
 * concurrent writers never make duplicate rows and never lose a counter. A batch
 * is one transaction and one statement per table (arrays through unnest); rows
 * are sorted by infohash so writers lock in the same order, and the rare
 * deadlock or serialization failure is retried. pg is loaded on first open.
 */
import type { Pool, PoolClient } from 'pg';
import { aggregateBatch, checkInfohash, formatPeer } from './aggregate.ts';
import { toInfohashRow } from './rows.ts';
import type { InfohashSqlRow } from './rows.ts';
import { cleanTorrent } from './clean.ts';
import type { CrawlBatch, CrawlStore, InfohashRow, PruneLimits, StoreCounts, StoredTorrent, SwarmRecord, UnfetchedQuery } from './types.ts';
import { checkPruneLimits, PRUNE_BATCH, pruneOrder, torrentsToRemove } from './prune.ts';
import { lookupHash } from './keys.ts';
import { checkSchemaName, createPostgresPool } from './postgres-pool.ts';
import { migratePostgres } from './postgres-schema.ts';
import { checkSwarmRecord, storedTorrentRow, toStoredTorrent, type TorrentSqlRow } from './torrent-rows.ts';

export interface PostgresStoreOptions {
  /** postgres://user@host:port/db */
  url: string;
  /** Schema holding the tables (created if missing; default 'public'). */
  schema?: string;
  /** Connections in the pool (default 4). */
  poolSize?: number;
}

/** Deadlock and serialization failures: the transaction can simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_TRIES = 6;

/** Every column but the search vector (large, and only for the index's queries). */
const TORRENT_COLUMNS = 'id, infohash, infohash_v2, name, size, file_count, files, kind, first_seen, fetched_at, peer, seeders, leechers, swarm_checked_at';

/**
 * Open a PostgreSQL crawl store, creating its schema and tables if missing.
 * @example
 * import { openPostgresStore } from 'btdht/crawl';
 * const store = await openPostgresStore({ url: 'postgres://user@localhost/crawl', schema: 'btdht' });
 * await store.close();
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<CrawlStore> {
  const schema = options.schema ?? 'public';
  checkSchemaName(schema);
  const pool = await createPostgresPool(options.url, options.poolSize ?? 4);
  const store = new PostgresCrawlStore(pool, schema);
  try {
    await store.createSchema();
  } catch (error) {
    await pool.end();
    throw error;
  }
  return store;
}

// Not exported: its constructor's type is pg's, kept out of our declarations.
class PostgresCrawlStore implements CrawlStore {
  readonly kind = 'postgres' as const;
  readonly #pool: Pool;
  readonly #schema: string;
  readonly #s: string;
  #closed: Promise<void> | undefined;

  constructor(pool: Pool, schema: string) {
    this.#pool = pool;
    this.#schema = schema;
    this.#s = `"${schema}"`;
  }

  /** Idempotent, and safe when several processes start at once (an advisory lock serializes them). */
  async createSchema(): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('btdht.crawl.schema'))`);
      await migratePostgres(client, this.#schema);
    });
  }

  async write(batch: CrawlBatch): Promise<void> {
    const rows = aggregateBatch(batch);
    const s = this.#s;
    const torrents = rows.torrents.map((t) => ({ ...storedTorrentRow(cleanTorrent(t)), peer: formatPeer(t.peer) }));
    await this.#transaction(async (client) => {
      if (rows.observations.length > 0) {
        const o = rows.observations;
        // Newest peers first, distinct, at most 8 (MAX_KNOWN_PEERS).
        await client.query(
          `INSERT INTO ${s}.infohashes AS t (infohash, first_seen, last_seen, times_seen, seen_get_peers, seen_announce, seen_sample, peers)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::jsonb[])
           ON CONFLICT (infohash) DO UPDATE SET
             first_seen = LEAST(t.first_seen, EXCLUDED.first_seen),
             last_seen = GREATEST(t.last_seen, EXCLUDED.last_seen),
             times_seen = t.times_seen + EXCLUDED.times_seen,
             seen_get_peers = t.seen_get_peers + EXCLUDED.seen_get_peers,
             seen_announce = t.seen_announce + EXCLUDED.seen_announce,
             seen_sample = t.seen_sample + EXCLUDED.seen_sample,
             peers = CASE WHEN EXCLUDED.peers = '[]'::jsonb THEN t.peers ELSE (
               SELECT COALESCE(jsonb_agg(value ORDER BY rank), '[]'::jsonb) FROM (
                 SELECT value, min(rank) AS rank FROM (
                   SELECT value, ord AS rank FROM jsonb_array_elements_text(EXCLUDED.peers) WITH ORDINALITY AS n(value, ord)
                   UNION ALL
                   SELECT value, ord + 1000 AS rank FROM jsonb_array_elements_text(t.peers) WITH ORDINALITY AS p(value, ord)
                 ) AS u GROUP BY value ORDER BY rank LIMIT 8
               ) AS kept
             ) END`,
          [
            o.map((r) => r.infohash),
            o.map((r) => r.firstSeen),
            o.map((r) => r.lastSeen),
            o.map((r) => r.timesSeen),
            o.map((r) => r.seenGetPeers),
            o.map((r) => r.seenAnnounce),
            o.map((r) => r.seenSample),
            o.map((r) => r.peers),
          ],
        );
      }
      if (torrents.length > 0) {
        // A hybrid found by either hash lands on one row (keyed by its v1 hash); a
        // conflict on either unique hash is a torrent already stored: the first write wins.
        await client.query(
          `INSERT INTO ${s}.torrents (infohash, infohash_v2, name, size, file_count, files, kind, first_seen, fetched_at, peer)
           SELECT x.infohash, x.infohash_v2, x.name, x.size, x.file_count, x.files, x.kind,
             LEAST(x.fetched_at, COALESCE((SELECT min(i.first_seen) FROM ${s}.infohashes i WHERE i.infohash IN (x.infohash, x.v2_key)), x.fetched_at)),
             x.fetched_at, x.peer
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[], $7::jsonb[], $8::text[], $9::bigint[], $10::text[])
             WITH ORDINALITY AS x(infohash, infohash_v2, v2_key, name, size, file_count, files, kind, fetched_at, peer, n)
           ORDER BY x.n
           ON CONFLICT DO NOTHING`,
          [
            torrents.map((t) => t.infohash),
            torrents.map((t) => t.infohashV2),
            torrents.map((t) => t.v2Key),
            torrents.map((t) => t.name),
            torrents.map((t) => t.size),
            torrents.map((t) => t.fileCount),
            torrents.map((t) => t.files),
            torrents.map((t) => t.kind),
            torrents.map((t) => t.fetchedAt),
            torrents.map((t) => t.peer),
          ],
        );
        // Every DHT hash of each torrent, in infohash order (the lock order of every writer).
        const keys = new Map<string, number>();
        for (const t of torrents) for (const infohash of t.dhtKeys) if (!keys.has(infohash)) keys.set(infohash, t.fetchedAt);
        const fetched = [...keys].map(([infohash, at]) => ({ infohash, at })).sort((a, b) => (a.infohash < b.infohash ? -1 : 1));
        await client.query(
          `INSERT INTO ${s}.infohashes AS t (infohash, first_seen, last_seen, fetched_at)
           SELECT i, f, f, f FROM unnest($1::text[], $2::bigint[]) AS x(i, f)
           ON CONFLICT (infohash) DO UPDATE SET fetched_at = COALESCE(t.fetched_at, EXCLUDED.fetched_at)`,
          [fetched.map((k) => k.infohash), fetched.map((k) => k.at)],
        );
      }
      if (rows.failures.length > 0) {
        const f = rows.failures;
        await client.query(
          `INSERT INTO ${s}.infohashes AS t (infohash, first_seen, last_seen, fetch_attempts, last_attempt_at, last_failure)
           SELECT i, a, a, n, a, r FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[]) AS x(i, n, a, r)
           ON CONFLICT (infohash) DO UPDATE SET
             fetch_attempts = t.fetch_attempts + EXCLUDED.fetch_attempts,
             last_attempt_at = GREATEST(t.last_attempt_at, EXCLUDED.last_attempt_at),
             last_failure = EXCLUDED.last_failure`,
          [f.map((r) => r.infohash), f.map((r) => r.attempts), f.map((r) => r.lastAttemptAt), f.map((r) => r.lastFailure)],
        );
      }
    });
  }

  async isFetched(infohash: string): Promise<boolean> {
    checkInfohash(infohash);
    // Every DHT hash of a stored torrent is marked fetched, and stays so when retention removes it.
    const result = await this.#pool.query(`SELECT 1 FROM ${this.#s}.infohashes WHERE infohash = $1 AND fetched_at IS NOT NULL`, [infohash]);
    return (result.rowCount ?? 0) > 0;
  }

  async fetchedAmong(infohashes: readonly string[]): Promise<Set<string>> {
    for (const infohash of infohashes) checkInfohash(infohash);
    if (infohashes.length === 0) return new Set();
    const result = await this.#pool.query<{ infohash: string }>(
      `SELECT infohash FROM ${this.#s}.infohashes WHERE infohash = ANY($1::text[]) AND fetched_at IS NOT NULL`,
      [infohashes],
    );
    return new Set(result.rows.map((row) => row.infohash));
  }

  async listUnfetched(query: UnfetchedQuery): Promise<InfohashRow[]> {
    const result = await this.#pool.query<InfohashSqlRow>(
      `SELECT * FROM ${this.#s}.infohashes
       WHERE fetched_at IS NULL AND fetch_attempts < $1 AND (last_attempt_at IS NULL OR last_attempt_at <= $2)
       ORDER BY last_seen DESC LIMIT $3`,
      [
        Math.min(query.maxAttempts ?? 2_147_483_647, 2_147_483_647),
        query.attemptedBefore ?? Number.MAX_SAFE_INTEGER,
        Math.max(0, Math.floor(query.limit)),
      ],
    );
    return result.rows.map(toInfohashRow);
  }

  async getInfohash(infohash: string): Promise<InfohashRow | undefined> {
    const result = await this.#pool.query<InfohashSqlRow>(`SELECT * FROM ${this.#s}.infohashes WHERE infohash = $1`, [infohash]);
    const row = result.rows[0];
    return row === undefined ? undefined : toInfohashRow(row);
  }

  async getTorrent(infohash: string): Promise<StoredTorrent | undefined> {
    const hash = lookupHash(infohash);
    if (hash === undefined) return undefined;
    const result =
      hash.full === undefined
        ? await this.#pool.query<TorrentSqlRow>(`SELECT ${TORRENT_COLUMNS} FROM ${this.#s}.torrents WHERE infohash = $1 OR substr(infohash_v2, 1, 40) = $1`, [hash.short])
        : await this.#pool.query<TorrentSqlRow>(`SELECT ${TORRENT_COLUMNS} FROM ${this.#s}.torrents WHERE infohash_v2 = $1`, [hash.full]);
    const row = result.rows[0];
    return row === undefined ? undefined : toStoredTorrent(row);
  }

  async recordSwarm(records: readonly SwarmRecord[]): Promise<number> {
    for (const record of records) checkSwarmRecord(record);
    if (records.length === 0) return 0;
    // Oldest first: of two records for one torrent, the newer one stays.
    const sorted = [...records].sort((a, b) => a.at - b.at);
    let updated = 0;
    await this.#transaction(async (client) => {
      updated = 0;
      for (const r of sorted) {
        const hash = lookupHash(r.infohash)!;
        const where = hash.full === undefined ? '(infohash = $4 OR substr(infohash_v2, 1, 40) = $4)' : 'infohash_v2 = $4';
        const result = await client.query(
          `UPDATE ${this.#s}.torrents SET seeders = $1, leechers = $2, swarm_checked_at = $3
           WHERE ${where} AND (swarm_checked_at IS NULL OR swarm_checked_at <= $3)`,
          [r.seeders, r.leechers, r.at, hash.full ?? hash.short],
        );
        updated += result.rowCount ?? 0;
      }
    });
    return updated;
  }

  async counts(): Promise<StoreCounts> {
    const result = await this.#pool.query<{ infohashes: number; torrents: number }>(
      `SELECT (SELECT count(*) FROM ${this.#s}.infohashes) AS infohashes, (SELECT count(*) FROM ${this.#s}.torrents) AS torrents`,
    );
    const row = result.rows[0]!;
    return { infohashes: row.infohashes, torrents: row.torrents };
  }

  /** Tables and indexes, free space inside them included (PostgreSQL reuses it after vacuum). */
  usedBytes(): Promise<number> {
    return this.sizeBytes();
  }

  async prune(limits: PruneLimits): Promise<number> {
    checkPruneLimits(limits);
    const torrents = Number((await this.#pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${this.#s}.torrents`)).rows[0]!.n);
    let left = torrentsToRemove(torrents, limits.maxBytes !== undefined ? await this.sizeBytes() : undefined, limits);
    let removed = 0;
    while (left > 0) {
      const batch = Math.min(left, PRUNE_BATCH);
      let changes = 0;
      await this.#transaction(async (client) => {
        const result = await client.query(
          `DELETE FROM ${this.#s}.torrents WHERE id IN (SELECT id FROM ${this.#s}.torrents ORDER BY ${pruneOrder(limits.by, 'postgres')} LIMIT $1 FOR UPDATE SKIP LOCKED)`,
          [batch],
        );
        changes = result.rowCount ?? 0;
      });
      if (changes === 0) break;
      removed += changes;
      left -= changes;
    }
    return removed;
  }

  async sizeBytes(): Promise<number> {
    const result = await this.#pool.query<{ bytes: string }>(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS bytes FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'`,
      [this.#s],
    );
    return Number(result.rows[0]!.bytes);
  }

  close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    return this.#closed;
  }

  async #transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        await work(client);
        await client.query('COMMIT');
        return;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection itself is gone: do not return it to the pool
        }
        const code = (error as { code?: unknown }).code;
        if (attempt >= MAX_TRIES || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      } finally {
        client.release(broken);
      }
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20 * attempt));
    }
  }
}

