import { CacheUnavailableError, cacheKeyOf, cookieCacheKey, tokenCacheKey, type SessionCache } from './cache.js';
import type { Clock } from './clock.js';
import { noMetrics, type Metrics } from './metrics.js';
import type { InsertSessionOptions, Session, SessionRef, SessionWithEmail, Store } from './store.js';
import { UnmarkedEnds } from './unmarked-ends.js';

/** What the use cases call on the store unchanged: nothing here ends a session or reads one for a check. */
type Delegated =
  | 'insertUser'
  | 'findUserByEmailKey'
  | 'findUserById'
  | 'setUserClaims'
  | 'upgradePassword'
  | 'findSessionById'
  | 'rotateRefreshToken'
  | 'confirmRefreshToken'
  | 'saveResetToken'
  | 'saveResetRequest'
  | 'findResetTokenByHash'
  | 'purgeExpired'
  | 'listUsers'
  | 'listSessionDetails'
  | 'ping';

/**
 * The store as the use cases see it, keeping the shared cache of live sessions coherent in one
 * place. The rule (DESIGN.md §1): a session is marked ended in the cache before the store ends
 * it, so a cached copy is never served once its end was acknowledged; and an ended session is
 * marked rather than removed, so a check that read it from the store just before cannot put
 * it back. How strictly depends on what ends it:
 *
 * - a password change or reset (`changePassword`, `resetPassword`), and an operator's change
 *   that ends a user's sessions (`updateUser` disabling or changing the email, `setPassword`,
 *   `deleteUser`, `deleteUserSessions`), end sessions only once the cache has taken their marks: when it cannot, it throws `CacheUnavailableError` and nothing
 *   changes (a 503 is better than sessions the user ended staying alive elsewhere);
 * - a log-out or revocation (`deleteSession`) ends the session in the store whatever the cache
 *   says, then throws `CacheUnavailableError` when the cache could not be told, since a cached
 *   copy may live out its minute on other instances;
 * - a log-in (`insertSession`) must work while the cache is away: the sessions it ends are
 *   marked where the cache can be reached.
 *
 * A session whose mark the cache could not take is never served from the cache by this
 * instance for as long as a cached copy may live: it is read from the store. Its mark is sent
 * again once the cache answers, so that other instances stop serving it too.
 *
 * Without a cache every method is the store's own.
 */
export interface CachedStore
  extends Pick<Store, Delegated | 'insertSession' | 'changePassword' | 'resetPassword' | 'updateUser' | 'setPassword' | 'deleteUser' | 'deleteUserSessions'> {
  /**
   * The cookie session with this token hash: the cached copy, else the store's (then cached);
   * null when it is marked ended or the store has none. Expiry is the caller's to judge.
   */
  readCookieSession(tokenHash: string): Promise<SessionWithEmail | null>;

  /**
   * The session with this id as an access-token check needs it, read like `readCookieSession`.
   * A cached copy's refresh state may be behind: the refresh grant reads `findSessionById`.
   */
  readTokenSession(sessionId: string): Promise<SessionWithEmail | null>;

  /**
   * Records a use of the session at `seenAt` and moves the cached copy's last use. False when
   * the store no longer has the session, which is then marked ended in the cache: recording a
   * use is when a cached copy meets the store.
   */
  touchSession(session: SessionWithEmail, seenAt: Date): Promise<boolean>;

  /** Ends one session (a log-out, a revocation), as above. Returns whether the store still had it. */
  deleteSession(session: SessionRef): Promise<boolean>;
}

/** The store, wrapped so that every session it ends is ended in `cache` first; `clock` times what the cache was not told. */
export function withSessionCache(store: Store, cache: SessionCache, clock: Clock, metrics: Metrics = noMetrics): CachedStore {
  return new CacheCoherentStore(store, cache, clock, metrics);
}

class CacheCoherentStore implements CachedStore {
  readonly #store: Store;
  readonly #cache: SessionCache;
  readonly #unmarked: UnmarkedEnds;
  readonly #metrics: Metrics;
  #isResending = false;

  constructor(store: Store, cache: SessionCache, clock: Clock, metrics: Metrics) {
    this.#store = store;
    this.#cache = cache;
    this.#metrics = metrics;
    this.#unmarked = new UnmarkedEnds(clock, cache.entryLifetimeMs);
  }

  readCookieSession(tokenHash: string): Promise<SessionWithEmail | null> {
    // The hottest path: without a cache it is the store's one read and nothing else.
    if (!this.#cache.enabled) return this.#store.findSessionByTokenHash(tokenHash);
    return this.#readThrough(cookieCacheKey(tokenHash), () => this.#store.findSessionByTokenHash(tokenHash));
  }

  readTokenSession(sessionId: string): Promise<SessionWithEmail | null> {
    if (!this.#cache.enabled) return this.#store.findSessionById(sessionId);
    return this.#readThrough(tokenCacheKey(sessionId), () => this.#store.findSessionById(sessionId));
  }

  async touchSession(session: SessionWithEmail, seenAt: Date): Promise<boolean> {
    const key = cacheKeyOf(session);
    if (!(await this.#store.touchSession(session.id, seenAt))) {
      await this.#tryMarkEnded([key]);
      return false;
    }
    if (this.#cache.enabled) await ignoringOutage(() => this.#cache.update(key, { ...session, lastSeenAt: seenAt }), undefined);
    return true;
  }

  async deleteSession(session: SessionRef): Promise<boolean> {
    const marked = await this.#tryMarkEnded([cacheKeyOf(session)]);
    const deleted = await this.#store.deleteSession(session.id);
    if (!marked) throw new CacheUnavailableError('the session has ended, but the cache could not be told');
    return deleted;
  }

  async insertSession(session: Session, options: InsertSessionOptions): Promise<readonly SessionRef[] | null> {
    if (this.#cache.enabled) {
      const others = options.endOtherCookieSessions
        ? (await this.#store.listUserSessions(session.userId)).filter((other) => other.kind === 'cookie')
        : [];
      const replaced = options.replacesTokenHash === null ? [] : [cookieCacheKey(options.replacesTokenHash)];
      await this.#tryMarkEnded([...others.map(cacheKeyOf), ...replaced]);
    }
    const ended = await this.#store.insertSession(session, options);
    // Sessions started while this one was checked were not marked ahead; mark them now if possible.
    if (ended) await this.#tryMarkEnded(ended.map(cacheKeyOf));
    return ended;
  }

  changePassword: Store['changePassword'] = async (userId, expectedVersion, password, keepSessionId, at, notice) => {
    await this.#markEndedAhead(userId, keepSessionId);
    const ended = await this.#store.changePassword(userId, expectedVersion, password, keepSessionId, at, notice);
    if (ended) await this.#tryMarkEnded(ended.map(cacheKeyOf));
    return ended;
  };

  resetPassword: Store['resetPassword'] = (userId, tokenHash, password, at, notice) =>
    this.#endingEverySession(userId, () => this.#store.resetPassword(userId, tokenHash, password, at, notice));

  updateUser: Store['updateUser'] = async (userId, changes, at) => {
    const endsSessions = (changes.disabledAt !== undefined && changes.disabledAt !== null) || changes.email !== undefined;
    if (!endsSessions) return this.#store.updateUser(userId, changes, at);
    return this.#endingEverySession(userId, () => this.#store.updateUser(userId, changes, at));
  };

  setPassword: Store['setPassword'] = (userId, password, at, notice) =>
    this.#endingEverySession(userId, () => this.#store.setPassword(userId, password, at, notice));

  deleteUser: Store['deleteUser'] = (userId, notice) => this.#endingEverySession(userId, () => this.#store.deleteUser(userId, notice));

  deleteUserSessions: Store['deleteUserSessions'] = async (userId) =>
    (await this.#endingEverySession(userId, () => this.#store.deleteUserSessions(userId))) ?? [];

  insertUser: Store['insertUser'] = (user) => this.#store.insertUser(user);
  findUserByEmailKey: Store['findUserByEmailKey'] = (emailKey) => this.#store.findUserByEmailKey(emailKey);
  findUserById: Store['findUserById'] = (userId) => this.#store.findUserById(userId);
  setUserClaims: Store['setUserClaims'] = (userId, claims, at) => this.#store.setUserClaims(userId, claims, at);
  upgradePassword: Store['upgradePassword'] = (userId, current, next, at) => this.#store.upgradePassword(userId, current, next, at);
  findSessionById: Store['findSessionById'] = (sessionId) => this.#store.findSessionById(sessionId);
  rotateRefreshToken: Store['rotateRefreshToken'] = (sessionId, parentHash, childHash, at) =>
    this.#store.rotateRefreshToken(sessionId, parentHash, childHash, at);
  confirmRefreshToken: Store['confirmRefreshToken'] = (sessionId, refreshHash, at) => this.#store.confirmRefreshToken(sessionId, refreshHash, at);
  saveResetToken: Store['saveResetToken'] = (token) => this.#store.saveResetToken(token);
  saveResetRequest: Store['saveResetRequest'] = (token, message) => this.#store.saveResetRequest(token, message);
  findResetTokenByHash: Store['findResetTokenByHash'] = (tokenHash) => this.#store.findResetTokenByHash(tokenHash);
  purgeExpired: Store['purgeExpired'] = (now, idleCutoff) => this.#store.purgeExpired(now, idleCutoff);
  listUsers: Store['listUsers'] = (query) => this.#store.listUsers(query);
  listSessionDetails: Store['listSessionDetails'] = (userId) => this.#store.listSessionDetails(userId);
  ping: Store['ping'] = () => this.#store.ping();

  /** A cache that cannot be reached is skipped: the store answers, and the cache is tried again next time. */
  async #readThrough(key: string, fromStore: () => Promise<SessionWithEmail | null>): Promise<SessionWithEmail | null> {
    if (!this.#unmarked.isEmpty) {
      this.#resendMarks();
      // What the cache holds for it may say "live": this instance ended it.
      if (this.#unmarked.has(key)) return fromStore();
    }
    const cached = await ignoringOutage(() => this.#cache.get(key), null);
    this.#metrics.sharedCacheLookup(cached !== null);
    if (cached === 'ended') return null;
    if (cached) return cached;
    const session = await fromStore();
    if (session) await ignoringOutage(() => this.#cache.put(key, session), undefined);
    return session;
  }

  /** Sends the marks the cache could not take before, one batch at a time, in the background. */
  #resendMarks(): void {
    if (this.#isResending) return;
    const keys = this.#unmarked.keys();
    if (keys.length === 0) return;
    this.#isResending = true;
    void this.#cache.markEnded(keys).then(
      () => {
        this.#unmarked.delete(keys);
        this.#isResending = false;
      },
      // Still away (or failing): tried again at a later read.
      () => (this.#isResending = false),
    );
  }

  /** Runs `end`, which ends every session of the user, with the marks taken ahead as for a password reset. */
  async #endingEverySession(userId: string, end: () => Promise<readonly SessionRef[] | null>): Promise<readonly SessionRef[] | null> {
    await this.#markEndedAhead(userId, null);
    const ended = await end();
    // Sessions started between the marks and the transaction: marked now, where the cache can be reached.
    if (ended) await this.#tryMarkEnded(ended.map(cacheKeyOf));
    return ended;
  }

  /** Marks every session of the user but `keepSessionId` ended; throws `CacheUnavailableError` when the cache cannot take the marks. */
  async #markEndedAhead(userId: string, keepSessionId: string | null): Promise<void> {
    if (!this.#cache.enabled) return;
    const ending = (await this.#store.listUserSessions(userId)).filter((session) => session.id !== keepSessionId);
    if (ending.length > 0) await this.#cache.markEnded(ending.map(cacheKeyOf));
  }

  /** Marks cache keys ended if the cache can be reached, else remembers them; returns whether it could. */
  async #tryMarkEnded(keys: readonly string[]): Promise<boolean> {
    if (!this.#cache.enabled || keys.length === 0) return true;
    const isMarked = await ignoringOutage(async () => (await this.#cache.markEnded(keys), true), false);
    if (!isMarked) this.#unmarked.add(keys);
    return isMarked;
  }
}

async function ignoringOutage<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof CacheUnavailableError) return fallback;
    throw error;
  }
}
