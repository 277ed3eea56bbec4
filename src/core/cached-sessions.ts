import type { AuthDeps } from './auth.js';
import { CacheUnavailableError, cacheKeyOf } from './cache.js';
import { isSessionLive, needsTouch } from './sessions.js';
import type { SessionRef, SessionWithEmail } from './store.js';

/**
 * The session under `key`, from the cache or else from the store (and then cached). A cache
 * that cannot be reached is skipped: the store answers, and the cache is tried again next time.
 */
export function readSession(
  deps: AuthDeps,
  key: string,
  fromStore: () => Promise<SessionWithEmail | null>,
): Promise<SessionWithEmail | null> {
  // The hottest path: without a cache it is the store's one read and nothing else.
  return deps.cache.enabled ? readThrough(deps, key, fromStore) : fromStore();
}

async function readThrough(
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

const ENDED = Promise.resolve(false);
const IN_USE = Promise.resolve(true);

/**
 * True when the session is within its idle timeout and absolute lifetime now; records the
 * use, at most once a minute, so that a session in use does not go idle. Recording it is also
 * when a cached copy meets the store: a session the store no longer has has ended.
 */
export function isSessionInUse(deps: AuthDeps, session: SessionWithEmail): Promise<boolean> {
  const now = deps.clock.now();
  if (!isSessionLive(session, now, deps.config)) return ENDED;
  // Most checks: no write, and no async step of their own on the session check's hot path.
  return needsTouch(session, now) ? touch(deps, session, now) : IN_USE;
}

async function touch(deps: AuthDeps, session: SessionWithEmail, now: Date): Promise<boolean> {
  const { store, cache } = deps;
  const key = cacheKeyOf(session);
  if (!(await store.touchSession(session.id, now))) {
    await tryMarkEnded(deps, [key]);
    return false;
  }
  if (cache.enabled) await ignoringOutage(() => cache.update(key, { ...session, lastSeenAt: now }), undefined);
  return true;
}

/**
 * Marks sessions ended in the cache before the store ends them; throws `CacheUnavailableError`
 * when the cache cannot take the marks, so that the caller changes nothing and answers 503.
 */
export async function markEnded({ cache }: AuthDeps, sessions: readonly SessionRef[]): Promise<void> {
  if (cache.enabled && sessions.length > 0) await cache.markEnded(sessions.map(cacheKeyOf));
}

/** Marks cache keys ended if the cache can be reached; returns whether it could. */
export async function tryMarkEnded({ cache }: AuthDeps, keys: readonly string[]): Promise<boolean> {
  if (!cache.enabled || keys.length === 0) return true;
  return ignoringOutage(async () => (await cache.markEnded(keys), true), false);
}

async function ignoringOutage<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof CacheUnavailableError) return fallback;
    throw error;
  }
}

/**
 * Ends one session: marks it ended in the cache if it can, then deletes it in the store, so
 * that it ends even while the cache is away. When the cache could not be told, throws
 * `CacheUnavailableError` after the store has ended it: a cached copy may live out its minute
 * on other instances, and the caller hears 503 rather than a plain success. Returns whether
 * the store still had the session.
 */
export async function endSession(deps: AuthDeps, session: SessionRef): Promise<boolean> {
  const marked = await tryMarkEnded(deps, [cacheKeyOf(session)]);
  const deleted = await deps.store.deleteSession(session.id);
  if (!marked) throw new CacheUnavailableError('the session has ended, but the cache could not be told');
  return deleted;
}
