import { noCache, type SessionCache } from '../core/cache.js';
import type { Store } from '../core/store.js';

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

/** The shared session cache: a Redis URL and the prefix of every key, or none. */
export type CacheConfig = { readonly url: string; readonly keyPrefix: string } | null;

/** A store the CLI can also migrate. */
export interface EngineStore extends Store {
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
}

/**
 * Opens the store for `database`. Each engine's driver is imported only when chosen, so an
 * install never loads drivers it does not use. Connections are made at the first query.
 */
export async function openStore(database: DatabaseConfig): Promise<EngineStore> {
  const { SqlStore } = await import('./sql/sql-store.js');
  switch (database.engine) {
    case 'sqlite': {
      const { openSqlite } = await import('./sql/sqlite-dialect.js');
      return new SqlStore(openSqlite(database.path));
    }
    case 'postgres': {
      const { openPostgres } = await import('./sql/postgres-dialect.js');
      return new SqlStore(openPostgres(database.url, database.poolSize, database.timeoutSeconds * 1000));
    }
    case 'mysql': {
      const { openMysql } = await import('./sql/mysql-dialect.js');
      return new SqlStore(openMysql(database.url, database.poolSize, database.timeoutSeconds * 1000));
    }
  }
}

// How long start-up waits for the cache before serving without it (it keeps connecting).
const CACHE_CONNECT_TIMEOUT_MS = 2_000;

/** Opens the session cache, or the absent one. The cache may come and go; the store answers while it is away. */
export async function openCache(cache: CacheConfig): Promise<SessionCache> {
  if (cache === null) return noCache;
  const { RedisCache } = await import('./cache/redis-cache.js');
  const redis = new RedisCache(cache.url, cache.keyPrefix);
  await redis.connected(CACHE_CONNECT_TIMEOUT_MS);
  return redis;
}
