import type { AuthDeps } from './auth.js';
import { CacheUnavailableError, cacheKeyOf } from './cache.js';
import { isSessionLive, needsTouch } from './sessions.js';
import type { SessionRef, SessionWithEmail } from './store.js';

/**
 * The session under `key`, from the cache or else from the store (and then cached). A cache
 * that cannot be reached is skipped: the store answers, and the cache is tried again next time.
 */
export async function readSession(
  { cache }: AuthDeps,
  key: string,
  fromStore: () => Promise<SessionWithEmail | null>,
): Promise<SessionWithEmail | null> {
  const cached = await ignoringOutage(() => cache.get(key), null);
  if (cached === 'ended') return null;
  if (cached) return cached;
  const session = await fromStore();
  if (session) await ignoringOutage(() => cache.put(key, session), undefined);
  return session;
}

/**
 * True when the session is within its idle timeout and absolute lifetime now; records the
 * use, at most once a minute, so that a session in use does not go idle.
 */
export async function isSessionInUse(deps: AuthDeps, session: SessionWithEmail): Promise<boolean> {
  const { store, cache, clock, config } = deps;
  const now = clock.now();
  if (!isSessionLive(session, now, config)) return false;
  if (needsTouch(session, now)) {
    await store.touchSession(session.id, now);
    await ignoringOutage(() => cache.update(cacheKeyOf(session), { ...session, lastSeenAt: now }), undefined);
  }
  return true;
}

/**
 * Marks sessions ended in the cache. Called before the store ends them, and again after with
 * what it actually ended; when the cache cannot be written this throws, and the request fails
 * (503) rather than leave an instance believing an ended session is live.
 */
export async function markEnded(deps: AuthDeps, sessions: readonly SessionRef[]): Promise<void> {
  await markKeysEnded(deps, sessions.map(cacheKeyOf));
}

/** `markEnded` by cache keys. */
export async function markKeysEnded({ cache }: AuthDeps, keys: readonly string[]): Promise<void> {
  if (cache.enabled && keys.length > 0) await cache.markEnded(keys);
}

async function ignoringOutage<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof CacheUnavailableError) return fallback;
    throw error;
  }
}
