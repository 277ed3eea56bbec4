import type { SessionRef, SessionWithEmail } from './store.js';

/** The cache cannot be reached or refused a command. */
export class CacheUnavailableError extends Error {
  override readonly name = 'CacheUnavailableError';
}

/**
 * The port of a cache of live sessions shared by every instance (Redis). It is never the only
 * copy of anything: an empty cache changes no answer, only how fast it comes. An ended session
 * is marked ended rather than removed, so that an instance that read it from the store just
 * before it ended cannot put it back.
 */
export interface SessionCache {
  /** False for the absent cache: there is then nothing to keep in step. */
  readonly enabled: boolean;
  /** How long, in ms, a cached session may stay cached after it was last written, marks aside. */
  readonly entryLifetimeMs: number;
  /** The cached session, `'ended'` when it is marked so, null when it is not cached. Throws `CacheUnavailableError`. */
  get(key: string): Promise<SessionWithEmail | 'ended' | null>;
  /** Caches a live session, unless its key is marked ended. Throws `CacheUnavailableError`. */
  put(key: string, session: SessionWithEmail): Promise<void>;
  /**
   * Replaces a cached session whose last use moved, unless it is not cached or marked ended;
   * never extends how long it stays cached. Throws `CacheUnavailableError`.
   */
  update(key: string, session: SessionWithEmail): Promise<void>;
  /** Marks sessions ended, whatever is cached under their keys. Throws `CacheUnavailableError` when it cannot. */
  markEnded(keys: readonly string[]): Promise<void>;
  /** Resolves when the cache answers; throws `CacheUnavailableError` when it does not. */
  ping(): Promise<void>;
  /** Releases the connection. */
  close(): Promise<void>;
}

/** The cache key of a session: a cookie session is looked up by its token hash, a token session by its id. */
export function cacheKeyOf(session: SessionRef): string {
  // A console session is read by its cookie's hash, as a cookie session is.
  return session.kind === 'token' ? tokenCacheKey(session.id) : cookieCacheKey(session.tokenHash ?? '');
}

export function cookieCacheKey(tokenHash: string): string {
  return `session:cookie:${tokenHash}`;
}

export function tokenCacheKey(sessionId: string): string {
  return `session:token:${sessionId}`;
}

/** No cache: every read misses and there is nothing to mark. */
export const noCache: SessionCache = {
  enabled: false,
  entryLifetimeMs: 0,
  get: () => Promise.resolve(null),
  put: () => Promise.resolve(),
  update: () => Promise.resolve(),
  markEnded: () => Promise.resolve(),
  ping: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
