import type { AttemptCounters } from '../core/attempt-counters.js';
import { noCache, type SessionCache } from '../core/cache.js';
import type { Store } from '../core/store.js';
import { unreported, type AvailabilityReport } from './availability.js';
import type { StatementTimings } from './statement-timings.js';

/** Which engine and where. A union, so each engine carries exactly the settings it needs. */
export type DatabaseConfig =
  | { readonly engine: 'sqlite'; readonly path: string }
  | {
      readonly engine: 'postgres' | 'mysql';
      readonly url: string;
      readonly poolSize: number;
      /** How long connecting or one operation may take before it is answered as unavailable. */
      readonly timeoutSeconds: number;
    };

/** Redis, for the shared session cache and attempt counters: a URL and the prefix of every key, or none. */
export type CacheConfig = { readonly url: string; readonly keyPrefix: string } | null;

/** What an engine can tell of itself for the metrics, null where it cannot. */
export interface StoreStats {
  readonly poolInUse: number | null;
  /** The in-process session copy's counts since start (SQLite). */
  readonly sessionCache: { readonly hits: number; readonly misses: number } | null;
  /** Outbox messages not yet delivered, and when the oldest was written; null when the database did not answer. */
  readonly outbox: { readonly waiting: number; readonly oldestCreatedAt: Date | null } | null;
}

/** A store the CLI can also migrate, and the metrics can look into. */
export interface EngineStore extends Store {
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Read when the metrics are scraped: cheap, one small query on the outbox. */
  stats(): Promise<StoreStats>;
  /** Tells `timings` how long each hot operation takes from now on; until then nothing is timed. */
  timeStatementsIn(timings: StatementTimings): void;
}

/**
 * Opens the store for `database`. Each engine's driver is imported only when chosen, so an
 * install never loads drivers it does not use. Connections are made at the first query.
 * Whether the database answers goes to `report`.
 */
export async function openStore(database: DatabaseConfig, report: AvailabilityReport = unreported): Promise<EngineStore> {
  const { SqlStore } = await import('./sql/sql-store.js');
  switch (database.engine) {
    case 'sqlite': {
      const { openSqlite } = await import('./sql/sqlite/sqlite-dialect.js');
      return new SqlStore(openSqlite(database.path), report);
    }
    case 'postgres': {
      const { openPostgres } = await import('./sql/postgres/postgres-dialect.js');
      return new SqlStore(openPostgres(database.url, database.poolSize, database.timeoutSeconds * 1000), report);
    }
    case 'mysql': {
      const { openMysql } = await import('./sql/mysql/mysql-dialect.js');
      return new SqlStore(openMysql(database.url, database.poolSize, database.timeoutSeconds * 1000), report);
    }
  }
}

// How long start-up waits for the cache before serving without it (it keeps connecting).
const CACHE_CONNECT_TIMEOUT_MS = 2_000;

/** What Redis holds for every instance, or nothing when there is no Redis. */
export interface SharedState {
  readonly cache: SessionCache;
  /** Null: each process counts attempts itself. */
  readonly counters: AttemptCounters | null;
}

/**
 * Opens the session cache and the attempt counters on one Redis connection, or neither. Redis
 * may come and go; the store answers while it is away, and each process counts attempts
 * itself. Closing the cache closes the connection. Whether Redis answers goes to `report`.
 */
export async function openCache(cache: CacheConfig, report: AvailabilityReport = unreported): Promise<SharedState> {
  if (cache === null) return { cache: noCache, counters: null };
  const [{ RedisCache }, { RedisCounters }, { connectRedis, waitForRedis }] = await Promise.all([
    import('./cache/redis-cache.js'),
    import('./cache/redis-counters.js'),
    import('./cache/redis-connection.js'),
  ]);
  const redis = connectRedis(cache.url, cache.keyPrefix, report);
  await waitForRedis(redis, CACHE_CONNECT_TIMEOUT_MS);
  return { cache: new RedisCache(redis), counters: new RedisCounters(redis) };
}
