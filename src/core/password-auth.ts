import type { Auth, CoreDeps } from './auth.js';
import { cacheKeyOf, cookieCacheKey } from './cache.js';
import { endSession, isSessionInUse, markEnded, readSession, tryMarkEnded } from './cached-sessions.js';
import { checkCredentials, checkCurrentPassword, invalidCredentials } from './credentials.js';
import { toEmailKey } from './emails.js';
import { AuthError } from './errors.js';
import { checkNewPassword, checkPresentedPassword } from './password-rules.js';
import { isResetTokenUsable, newResetToken } from './reset-tokens.js';
import { generateId, hashSecret, isSecretShaped } from './secrets.js';
import { newCookieSession } from './sessions.js';
import { StoreConflictError } from './store.js';

type PasswordUseCases = Pick<
  Auth,
  'register' | 'logIn' | 'validateSessionToken' | 'logOut' | 'changePassword' | 'requestPasswordReset' | 'resetPassword'
>;

/** The use cases of the session API (DESIGN.md §2): accounts, cookie sessions, passwords. */
export function createPasswordAuth(deps: CoreDeps): PasswordUseCases {
  const { store, clock, hasher, cache, config, limits, audit, outbox } = deps;

  /**
   * The user's sessions but `keepSessionId`, marked ended ahead of a password change or reset
   * that ends them; when the cache cannot take the marks, this throws and nothing changes.
   */
  async function markOthersEnded(userId: string, keepSessionId: string | null): Promise<void> {
    if (!cache.enabled) return;
    const sessions = await store.listUserSessions(userId);
    await markEnded(deps, sessions.filter((session) => session.id !== keepSessionId));
  }
  const invalidSession = () => new AuthError('invalid_session', 'no valid session');
  const invalidResetToken = () => new AuthError('invalid_reset_token', 'invalid or expired reset token');
  const emailTaken = () => new AuthError('email_taken', 'email already registered');

  return {
    async register(email, password) {
      const emailKey = toEmailKey(email);
      checkNewPassword(password, 'password', config.password, email);
      // Registration reveals an existing email by contract, so skipping the hash costs no secrecy.
      if (await store.findUserByEmailKey(emailKey)) throw emailTaken();
      const stored = await hasher.hash(password, config.password.normalization);
      const now = clock.now();
      try {
        await store.insertUser({
          id: generateId(),
          email,
          emailKey,
          password: stored,
          passwordVersion: 0,
          claims: null,
          createdAt: now,
          updatedAt: now,
        });
      } catch (error) {
        if (error instanceof StoreConflictError) throw emailTaken();
        throw error;
      }
    },

    async logIn(email, password, previousSessionToken, client) {
      const user = await checkCredentials(deps, email, password, client, 'cookie');
      const { session, secret } = newCookieSession(user.id, clock.now(), config);
      const replacesTokenHash =
        previousSessionToken !== null && isSecretShaped(previousSessionToken) ? hashSecret(previousSessionToken) : null;
      // A log-in must work while the cache is away, so the sessions it replaces are marked
      // ended where the cache can be reached; a copy it could not mark lives out its minute.
      if (cache.enabled) {
        const others = config.singleCookieSession ? (await store.listUserSessions(user.id)).filter((other) => other.kind === 'cookie') : [];
        const replaced = replacesTokenHash === null ? [] : [cookieCacheKey(replacesTokenHash)];
        await tryMarkEnded(deps, [...others.map(cacheKeyOf), ...replaced]);
      }
      const ended = await store.insertSession(session, {
        passwordVersion: user.passwordVersion,
        endOtherCookieSessions: config.singleCookieSession,
        replacesTokenHash,
      });
      // A reset or password change between the check and here made the checked password stale.
      if (!ended) throw invalidCredentials();
      await tryMarkEnded(deps, ended.map(cacheKeyOf));
      audit({ event: 'login_succeeded', userId: user.id, sessionId: session.id, via: 'cookie', client: client.address });
      return { sessionToken: secret };
    },

    async validateSessionToken(sessionToken) {
      if (!isSecretShaped(sessionToken)) return null;
      const tokenHash = hashSecret(sessionToken);
      const session = await readSession(deps, cookieCacheKey(tokenHash), () => store.findSessionByTokenHash(tokenHash));
      if (session?.kind !== 'cookie' || !(await isSessionInUse(deps, session))) return null;
      return { userId: session.userId, sessionId: session.id, email: session.email };
    },

    async logOut(principal, client) {
      const session = await store.findSessionById(principal.sessionId);
      if (!session || !(await endSession(deps, session))) throw invalidSession();
      audit({ event: 'logged_out', userId: principal.userId, sessionId: principal.sessionId, client: client.address });
    },

    async changePassword(principal, currentPassword, newPassword, client) {
      checkPresentedPassword(currentPassword, 'password');
      checkNewPassword(newPassword, 'new_password', config.password, principal.email);
      const user = await checkCurrentPassword(deps, principal.email, currentPassword, client, async () => {
        const found = await store.findUserById(principal.userId);
        if (!found) throw invalidSession();
        return found;
      });
      const stored = await hasher.hash(newPassword, config.password.normalization);
      await markOthersEnded(user.id, principal.sessionId);
      // A reset or a log-out while the new password was hashing wins over this change.
      const now = clock.now();
      const notice = outbox?.message({ type: 'password.changed', data: { user_id: user.id, email: user.email, reason: 'change' } }, now);
      const ended = await store.changePassword(user.id, user.passwordVersion, stored, principal.sessionId, now, notice);
      if (!ended) throw invalidSession();
      outbox?.wake();
      // Sessions started while the change ran were not marked ahead; mark them now if possible.
      await tryMarkEnded(deps, ended.map(cacheKeyOf));
      audit({ event: 'password_changed', userId: user.id, sessionId: principal.sessionId, endedSessions: ended.length, client: client.address });
    },

    async requestPasswordReset(email, client) {
      const emailKey = toEmailKey(email);
      await limits.beforeResetRequest(emailKey, client);
      const user = await store.findUserByEmailKey(emailKey);
      audit({ event: 'reset_requested', account: limits.accountOf(emailKey), userId: user?.id ?? null, client: client.address });
      const now = clock.now();
      if (config.resetTokenDelivery === 'webhook') {
        // Never fall back to answering with the token: configuration pairs the two.
        if (!outbox) throw new Error('reset-token delivery by webhook needs an outbox');
        // Known or not, the same transaction runs and one message goes into the outbox, so the
        // answer, its status and the work behind it are the same either way (ASVS 6.3.8).
        if (!user) {
          await store.saveResetRequest(null, outbox.message({ type: 'password_reset.unknown_email', data: { email } }, now));
        } else {
          const { token, record } = newResetToken(user.id, now, config.resetTokenTtlSeconds);
          const data = { user_id: user.id, email: user.email, reset_token: token, expires_at: record.expiresAt.toISOString() };
          await store.saveResetRequest(record, outbox.message({ type: 'password_reset.requested', data }, now));
        }
        outbox.wake();
        return { resetToken: null };
      }
      if (!user) throw new AuthError('email_not_registered', 'email not registered');
      const { token, record } = newResetToken(user.id, now, config.resetTokenTtlSeconds);
      await store.saveResetToken(record);
      return { resetToken: token };
    },

    async resetPassword(email, resetToken, newPassword, client) {
      const emailKey = toEmailKey(email);
      checkNewPassword(newPassword, 'new_password', config.password, email);
      // An empty or malformed token can match nothing, not even a user without a pending reset.
      if (!isSecretShaped(resetToken)) throw invalidResetToken();
      const tokenHash = hashSecret(resetToken);
      const [user, record] = await Promise.all([
        store.findUserByEmailKey(emailKey),
        store.findResetTokenByHash(tokenHash),
      ]);
      if (!user || !record || !isResetTokenUsable(record, user.id, clock.now())) throw invalidResetToken();
      const stored = await hasher.hash(newPassword, config.password.normalization);
      await markOthersEnded(user.id, null);
      // The store consumes the token atomically: of concurrent resets with one token, one wins.
      const now = clock.now();
      const notice = outbox?.message({ type: 'password.changed', data: { user_id: user.id, email: user.email, reason: 'reset' } }, now);
      const ended = await store.resetPassword(user.id, tokenHash, stored, now, notice);
      if (!ended) throw invalidResetToken();
      outbox?.wake();
      await tryMarkEnded(deps, ended.map(cacheKeyOf));
      await limits.afterReset(emailKey, client);
      audit({ event: 'password_reset', userId: user.id, endedSessions: ended.length, client: client.address });
    },
  };
}
