import type { Clock } from './clock.js';
import { toEmailKey } from './emails.js';
import { AuthError } from './errors.js';
import { checkNewPassword, checkPresentedPassword, type PasswordPolicy } from './password-rules.js';
import type { PasswordHasher } from './passwords.js';
import { isResetTokenUsable, newResetToken } from './reset-tokens.js';
import { hashSecret, isSecretShaped, generateId } from './secrets.js';
import { idleCutoff, isSessionLive, needsTouch, newCookieSession, type SessionPolicy } from './sessions.js';
import { StoreConflictError, type PurgeCounts, type Store, type User } from './store.js';

export interface AuthConfig extends SessionPolicy {
  /** How long a reset token stays usable. */
  readonly resetTokenTtlSeconds: number;
  readonly password: PasswordPolicy;
}

export interface AuthDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly config: AuthConfig;
}

/** Who is behind a live session. Only `validateSessionToken` makes one. */
export interface Principal {
  readonly userId: string;
  readonly sessionId: string;
  /** The user's email as stored. */
  readonly email: string;
}

/** The use cases of Sesame. Failures are `AuthError`s; the store's own errors pass through. */
export interface Auth {
  /** Registers a user. Throws `email_taken` when the email key exists, `invalid_input` for a bad email or password. */
  register(email: string, password: string): Promise<void>;

  /**
   * Checks the credentials and starts a cookie session; returns the session token for the
   * cookie. `previousSessionToken` (the cookie the client still holds, if any) is ended:
   * a new log-in always gets a new session token (ASVS 7.2.4). Throws `invalid_credentials`
   * for an unknown email or a wrong password alike, after the same hashing work.
   */
  logIn(email: string, password: string, previousSessionToken: string | null): Promise<{ sessionToken: string }>;

  /** The principal behind a live cookie session, or null. The hot path: one indexed read, a write at most once a minute. */
  validateSessionToken(sessionToken: string): Promise<Principal | null>;

  /** Ends the principal's session. Throws `invalid_session` when it has already ended. */
  logOut(principal: Principal): Promise<void>;

  /**
   * Changes the principal's password given the current one, and ends every other session of
   * the user (ASVS 7.4.3). Throws `invalid_credentials` for a wrong current password.
   */
  changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void>;

  /** Issues a reset token, replacing any earlier one. Throws `email_not_registered` (compat contract). */
  requestPasswordReset(email: string): Promise<{ resetToken: string }>;

  /**
   * Sets a new password with a reset token issued for this email, consumes the token and
   * ends every session of the user. Throws `invalid_reset_token` otherwise.
   */
  resetPassword(email: string, resetToken: string, newPassword: string): Promise<void>;

  /** Deletes expired sessions and reset tokens. */
  purgeExpired(): Promise<PurgeCounts>;

  /** Resolves when the store answers. */
  checkReady(): Promise<void>;
}

/**
 * Builds the use cases over a store, a clock and a hasher. Every secret it issues is 256
 * random bits stored as SHA-256; every check that involves a password costs one password
 * verification whether or not the email exists; every write that depends on an earlier read
 * is a compare-and-set in the store.
 */
export function createAuth({ store, clock, hasher, config }: AuthDeps): Auth {
  const invalidCredentials = () => new AuthError('invalid_credentials', 'wrong email or password');
  const invalidSession = () => new AuthError('invalid_session', 'no valid session');
  const invalidResetToken = () => new AuthError('invalid_reset_token', 'invalid or expired reset token');
  const emailTaken = () => new AuthError('email_taken', 'email already registered');

  /** Rehashes a legacy or outdated hash after a successful check. */
  async function upgradePasswordIfNeeded(user: User, password: string): Promise<void> {
    if (!hasher.needsRehash(user.password, config.password.normalization)) return;
    try {
      const next = await hasher.hash(password, config.password.normalization);
      // Of concurrent log-ins one upgrades; the others find the hash changed and leave it.
      await store.upgradePassword(user.id, user.password, next, clock.now());
    } catch (error) {
      // A busy hasher must not fail the log-in: the upgrade happens at a later one.
      if (!(error instanceof AuthError)) throw error;
    }
  }

  return {
    async register(email, password) {
      const emailKey = toEmailKey(email);
      checkNewPassword(password, 'password', config.password);
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
          createdAt: now,
          updatedAt: now,
        });
      } catch (error) {
        if (error instanceof StoreConflictError) throw emailTaken();
        throw error;
      }
    },

    async logIn(email, password, previousSessionToken) {
      const emailKey = toEmailKey(email);
      checkPresentedPassword(password, 'password');
      const user = await store.findUserByEmailKey(emailKey);
      const matches = user ? await hasher.verify(password, user.password) : await hasher.verifyNothing(password);
      if (!user || !matches) throw invalidCredentials();
      await upgradePasswordIfNeeded(user, password);
      const { session, token } = newCookieSession(user.id, clock.now(), config);
      const replacesTokenHash =
        previousSessionToken !== null && isSecretShaped(previousSessionToken) ? hashSecret(previousSessionToken) : null;
      const started = await store.insertSession(session, {
        passwordVersion: user.passwordVersion,
        endOtherCookieSessions: config.singleCookieSession,
        replacesTokenHash,
      });
      if (!started) throw invalidCredentials();
      return { sessionToken: token };
    },

    async validateSessionToken(sessionToken) {
      if (!isSecretShaped(sessionToken)) return null;
      const session = await store.findSessionByTokenHash(hashSecret(sessionToken));
      if (session?.kind !== 'cookie') return null;
      const now = clock.now();
      if (!isSessionLive(session, now, config)) return null;
      if (needsTouch(session, now)) await store.touchSession(session.id, now);
      return { userId: session.userId, sessionId: session.id, email: session.email };
    },

    async logOut(principal) {
      if (!(await store.deleteSession(principal.sessionId))) throw invalidSession();
    },

    async changePassword(principal, currentPassword, newPassword) {
      checkPresentedPassword(currentPassword, 'password');
      checkNewPassword(newPassword, 'new_password', config.password);
      const user = await store.findUserById(principal.userId);
      if (!user) throw invalidSession();
      if (!(await hasher.verify(currentPassword, user.password))) throw invalidCredentials();
      const stored = await hasher.hash(newPassword, config.password.normalization);
      // A reset or a log-out while the new password was hashing wins over this change.
      const changed = await store.changePassword(user.id, user.passwordVersion, stored, principal.sessionId, clock.now());
      if (!changed) throw invalidSession();
    },

    async requestPasswordReset(email) {
      const user = await store.findUserByEmailKey(toEmailKey(email));
      if (!user) throw new AuthError('email_not_registered', 'email not registered');
      const { token, record } = newResetToken(user.id, clock.now(), config.resetTokenTtlSeconds);
      await store.saveResetToken(record);
      return { resetToken: token };
    },

    async resetPassword(email, resetToken, newPassword) {
      const emailKey = toEmailKey(email);
      checkNewPassword(newPassword, 'new_password', config.password);
      // An empty or malformed token can match nothing, not even a user without a pending reset.
      if (!isSecretShaped(resetToken)) throw invalidResetToken();
      const tokenHash = hashSecret(resetToken);
      const [user, record] = await Promise.all([
        store.findUserByEmailKey(emailKey),
        store.findResetTokenByHash(tokenHash),
      ]);
      if (!user || !record || !isResetTokenUsable(record, user.id, clock.now())) throw invalidResetToken();
      const stored = await hasher.hash(newPassword, config.password.normalization);
      // The store consumes the token atomically: of concurrent resets with one token, one wins.
      if (!(await store.resetPassword(user.id, tokenHash, stored, clock.now()))) throw invalidResetToken();
    },

    purgeExpired() {
      const now = clock.now();
      return store.purgeExpired(now, idleCutoff(now, config));
    },

    checkReady() {
      return store.ping();
    },
  };
}
