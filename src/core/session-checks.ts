import type { CachedStore } from './cached-store.js';
import type { Clock } from './clock.js';
import { isSessionLive, needsTouch, type SessionPolicy } from './sessions.js';
import type { SessionWithEmail } from './store.js';

/** What a session check needs beyond the session it checks. */
export interface SessionCheckDeps {
  readonly store: Pick<CachedStore, 'touchSession'>;
  readonly clock: Clock;
  readonly config: SessionPolicy;
}

const ENDED = Promise.resolve(false);
const IN_USE = Promise.resolve(true);

/**
 * True when the session is within its idle timeout and absolute lifetime now; records the
 * use, at most once a minute (`needsTouch`), so that a session in use does not go idle. Recording it is also
 * when a cached copy meets the store: a session the store no longer has has ended.
 */
export function isSessionInUse({ store, clock, config }: SessionCheckDeps, session: SessionWithEmail): Promise<boolean> {
  const now = clock.now();
  if (!isSessionLive(session, now, config)) return ENDED;
  // Most checks: no write, and no async step of their own on the session check's hot path.
  return needsTouch(session, now, config) ? store.touchSession(session, now) : IN_USE;
}
