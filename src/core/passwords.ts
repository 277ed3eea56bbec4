import { auditOrigin, type Client } from './audit.js';
import { checkCurrentPassword } from './credentials.js';
import type { CoreDeps, Principal } from './deps.js';
import { toEmailKey } from './emails.js';
import { AuthError } from './errors.js';
import { checkNewPassword, checkPresentedPassword } from './password-rules.js';
import { isResetTokenUsable, newResetToken } from './reset-tokens.js';
import { hashSecret, isSecretShaped } from './secrets.js';

/** Setting a new password: changed by its owner, or reset with a token sent to the email. */
export interface Passwords {
  /**
   * Changes the principal's password given the current one, and ends every other session of
   * the user (ASVS 7.4.3). Throws `invalid_credentials` for a wrong current password, and
   * `invalid_session` when a reset or a log-out overtook the change.
   */
  changePassword(principal: Principal, currentPassword: string, newPassword: string, client: Client): Promise<void>;

  /**
   * Issues a reset token, replacing any earlier one, and returns it (`response` delivery).
   * Throws `email_not_registered` (compat contract), and `rate_limited` when the client asked
   * too often. With `webhook` or `email` delivery the token goes only to the receiver or the
   * user's mailbox, through the outbox,
   * and the answer is `null` whether or not the email is registered.
   */
  requestPasswordReset(email: string, client: Client): Promise<{ resetToken: string | null }>;

  /**
   * Sets a new password with a reset token issued for this email, consumes the token and
   * ends every session of the user, and clears the account's failed password checks. Throws
   * `invalid_reset_token` otherwise, and `rate_limited` when the client presented too many bad
   * reset tokens: no account's failures ever refuse it, so an owner gets back in.
   */
  resetPassword(email: string, resetToken: string, newPassword: string, client: Client): Promise<void>;
}

type PasswordDeps = Pick<CoreDeps, 'clock' | 'hasher' | 'limits' | 'audit' | 'outbox'> & {
  readonly store: Pick<
    CoreDeps['store'],
    'findUserById' | 'findUserByEmailKey' | 'changePassword' | 'saveResetToken' | 'saveResetRequest' | 'findResetTokenByHash' | 'resetPassword'
  >;
  readonly config: Pick<CoreDeps['config'], 'password' | 'resetTokenDelivery' | 'resetTokenTtlSeconds'>;
};

export function createPasswords(deps: PasswordDeps): Passwords {
  const { store, clock, hasher, config, limits, audit, outbox } = deps;
  const invalidSession = () => new AuthError('invalid_session', 'no valid session');
  const invalidResetToken = () => new AuthError('invalid_reset_token', 'invalid or expired reset token');

  return {
    async changePassword(principal, currentPassword, newPassword, client) {
      checkPresentedPassword(currentPassword, 'password');
      checkNewPassword(newPassword, 'new_password', config.password, principal.email);
      const user = await checkCurrentPassword(deps, principal.email, currentPassword, client, async () => {
        const found = await store.findUserById(principal.userId);
        if (!found) throw invalidSession();
        return found;
      });
      const stored = await hasher.hash(newPassword, config.password.normalization);
      // A reset or a log-out while the new password was hashing wins over this change.
      const now = clock.now();
      const notice = outbox?.message({ type: 'password.changed', data: { user_id: user.id, email: user.email, reason: 'change' } }, now);
      const ended = await store.changePassword(user.id, user.passwordVersion, stored, principal.sessionId, now, notice);
      if (!ended) throw invalidSession();
      outbox?.wake();
      audit({ event: 'password_changed', userId: user.id, sessionId: principal.sessionId, endedSessions: ended.length, ...auditOrigin(client) });
    },

    async requestPasswordReset(email, client) {
      const emailKey = toEmailKey(email);
      await limits.beforeResetRequest(emailKey, client);
      const user = await store.findUserByEmailKey(emailKey);
      audit({ event: 'reset_requested', account: limits.accountOf(emailKey), userId: user?.id ?? null, ...auditOrigin(client) });
      const now = clock.now();
      if (config.resetTokenDelivery !== 'response') {
        // Never fall back to answering with the token: configuration pairs the two.
        if (!outbox) throw new Error(`reset-token delivery by ${config.resetTokenDelivery} needs an outbox`);
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
      const { user, tokenHash } = await limits.checkPresentedToken('reset', client, async () => {
        // An empty or malformed token can match nothing, not even a user without a pending reset.
        if (!isSecretShaped(resetToken)) throw invalidResetToken();
        const hash = hashSecret(resetToken);
        const [found, record] = await Promise.all([store.findUserByEmailKey(emailKey), store.findResetTokenByHash(hash)]);
        if (!found || !record || !isResetTokenUsable(record, found.id, clock.now())) throw invalidResetToken();
        return { user: found, tokenHash: hash };
      });
      const stored = await hasher.hash(newPassword, config.password.normalization);
      // The store consumes the token atomically: of concurrent resets with one token, one wins.
      const now = clock.now();
      const notice = outbox?.message({ type: 'password.changed', data: { user_id: user.id, email: user.email, reason: 'reset' } }, now);
      const ended = await store.resetPassword(user.id, tokenHash, stored, now, notice);
      if (!ended) throw invalidResetToken();
      outbox?.wake();
      await limits.afterReset(emailKey, client);
      audit({ event: 'password_reset', userId: user.id, endedSessions: ended.length, ...auditOrigin(client) });
    },
  };
}
