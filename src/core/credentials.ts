import type { AuthDeps } from './auth.js';
import { toEmailKey } from './emails.js';
import { AuthError } from './errors.js';
import { checkPresentedPassword } from './password-rules.js';
import type { User } from './store.js';

/** The one error for an unknown email and a wrong password alike. */
export const invalidCredentials = () => new AuthError('invalid_credentials', 'wrong email or password');

/**
 * The user whose email and password these are. An unknown email costs one verification
 * against a dummy hash, a wrong password one against the user's: the same work and the same
 * error, so neither status nor timing tells them apart (ASVS 6.3.8). A legacy or outdated
 * hash is upgraded after a successful check. Throws `invalid_input` or `invalid_credentials`.
 */
export async function checkCredentials(deps: AuthDeps, email: string, password: string): Promise<User> {
  const { store, hasher, clock, config } = deps;
  const emailKey = toEmailKey(email);
  checkPresentedPassword(password, 'password');
  const user = await store.findUserByEmailKey(emailKey);
  const matches = user ? await hasher.verify(password, user.password) : await hasher.verifyNothing(password);
  if (!user || !matches) throw invalidCredentials();
  if (hasher.needsRehash(user.password, config.password.normalization)) {
    try {
      const next = await hasher.hash(password, config.password.normalization);
      // Of concurrent log-ins one upgrades; the others find the hash changed and leave it.
      await store.upgradePassword(user.id, user.password, next, clock.now());
    } catch (error) {
      // A busy hasher must not fail the log-in: the upgrade happens at a later one.
      if (!(error instanceof AuthError)) throw error;
    }
  }
  return user;
}
