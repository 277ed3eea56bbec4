import { auditOrigin, type Client } from './audit.js';
import type { CoreDeps } from './deps.js';
import { normalizeLoginIdentifier, toIdentifierKey, type IdentifierKind } from './emails.js';
import { AuthError } from './errors.js';
import { checkPresentedPassword } from './password-rules.js';
import type { User } from './store.js';

/** The one error for an unknown email and a wrong password alike. */
export const invalidCredentials = (reason?: 'disabled') => new AuthError('invalid_credentials', 'wrong email or password', undefined, reason);

/** What a password check needs: the hasher, the attempt limits, and the store for the user and a rehash. */
export type CredentialDeps = Pick<CoreDeps, 'hasher' | 'limits' | 'audit' | 'clock'> & {
  readonly store: Pick<CoreDeps['store'], 'findUserByEmailKey' | 'upgradePassword'>;
  readonly config: Pick<CoreDeps['config'], 'password' | 'unknownAccountAtLogin'>;
};

/** How a log-in names its account, and what it may tell of a failure. */
export interface LoginOptions {
  /** `email` (the default) or `username`. */
  readonly kind?: IdentifierKind;
  /**
   * Whether the caller's contract answers an unknown account otherwise than a wrong password
   * (python-jwt-auth): it gets `email_not_registered` then, when the configuration allows it
   * (`unknownAccountAtLogin: 'distinct'`). The work done is the same either way.
   */
  readonly tellsUnknownAccount?: boolean;
}

/** Which path checked a password, for the audit log. */
type CheckedBy = 'cookie' | 'token' | 'password_change' | 'console';

/**
 * Runs one password check under the attempt limits: counted before any hashing, so that a burst
 * of guesses gets no more verdicts than the limits allow; forgiven on success; audited on
 * failure. `check` returns the user whose password matched, or null.
 */
async function checkUnderLimits(
  deps: Pick<CredentialDeps, 'limits' | 'audit'>,
  emailKey: string,
  client: Client,
  via: CheckedBy,
  check: () => Promise<{ user: User | null; matches: boolean }>,
  isUnknownTold = false,
): Promise<User> {
  await deps.limits.beforePasswordCheck(emailKey, client);
  let verdict;
  try {
    verdict = await check();
  } catch (error) {
    // No verdict (a full hasher, a store away, an ended session): the attempt is not held against anyone.
    await deps.limits.afterAbandonedCheck(emailKey, client);
    throw error;
  }
  const { user, matches } = verdict;
  // A disabled account answers as a wrong password does, and counts as one: the answer, the
  // limits and the time tell a guesser nothing, and only the audit log knows why.
  const isDisabled = user !== null && matches && user.disabledAt !== null;
  if (!user || !matches || isDisabled) {
    deps.audit({
      event: 'login_failed',
      account: deps.limits.accountOf(emailKey),
      userId: user?.id ?? null,
      via,
      ...(isDisabled ? { reason: 'disabled' as const } : {}),
      ...auditOrigin(client),
    });
    // Only after the same work as a wrong password: the status may tell, the timing does not.
    if (isUnknownTold && !user) throw new AuthError('email_not_registered', 'user not found');
    throw invalidCredentials(isDisabled ? 'disabled' : undefined);
  }
  await deps.limits.afterPasswordSuccess(emailKey, client);
  return user;
}

/**
 * The user whose email and password these are. An unknown email costs one verification
 * against a dummy hash, a wrong password one against the user's: the same work and the same
 * error, so neither status nor timing tells them apart (ASVS 6.3.8); an unknown email is
 * limited exactly like a known one. A legacy or outdated hash is upgraded after a successful
 * check. Throws `invalid_input`, `rate_limited` or `invalid_credentials` (or, as `options`
 * allow, `email_not_registered` for an unknown account).
 */
export async function checkCredentials(
  deps: CredentialDeps,
  email: string,
  password: string,
  client: Client,
  via: 'cookie' | 'token' | 'console',
  options: LoginOptions = {},
): Promise<User> {
  const { store, hasher, clock, config } = deps;
  const emailKey = toIdentifierKey(email, options.kind ?? 'email');
  const isUnknownTold = options.tellsUnknownAccount === true && config.unknownAccountAtLogin === 'distinct';
  checkPresentedPassword(password, 'password');
  const user = await checkUnderLimits(deps, emailKey, client, via, async () => {
    const found = await store.findUserByEmailKey(emailKey);
    const matches = found ? await hasher.verify(password, found.password) : await hasher.verifyNothing(password);
    return { user: found, matches };
  }, isUnknownTold);
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

/**
 * The signed-in user, when `password` is their current one: the same limits as a log-in, on
 * the same counters (ASVS 6.3.4: controls consistent across pathways). `findUser` returns the
 * user, or throws when the session no longer has one.
 */
export async function checkCurrentPassword(
  deps: Pick<CredentialDeps, 'limits' | 'audit' | 'hasher'>,
  email: string,
  password: string,
  client: Client,
  findUser: () => Promise<User>,
): Promise<User> {
  return checkUnderLimits(deps, normalizeLoginIdentifier(email).key, client, 'password_change', async () => {
    const user = await findUser();
    return { user, matches: await deps.hasher.verify(password, user.password) };
  });
}
