import { RESERVED_CLAIMS } from './access-tokens.js';
import { auditOrigin, type Client } from './audit.js';
import type { CoreDeps, Principal } from './deps.js';
import { normalizeLoginIdentifier, toIdentifierKey, type IdentifierKind } from './emails.js';
import { AuthError, invalidInput } from './errors.js';
import { checkNewPassword } from './password-rules.js';
import { generateId } from './secrets.js';
import { StoreConflictError, type User, type UserClaims } from './store.js';

/** Users as accounts: registration, and what an operator sets on them. */
export interface Accounts {
  /**
   * Registers a user. Throws `email_taken` when the email key exists, `invalid_input` for a bad
   * email or password, and `rate_limited` when the client registered too often.
   */
  register(email: string, password: string, client: Client, profile?: RegistrationProfile): Promise<void>;

  /**
   * Sets the custom claims added to a user's future access tokens (null: none). `identifier`
   * is an email or a username (`normalizeLoginIdentifier`). Throws `invalid_input` for a claim
   * name the standards reserve, `email_not_registered` for an unknown identifier.
   */
  setUserClaims(identifier: string, claims: UserClaims | null): Promise<void>;

  /** What a user's own account says of itself, or null when the id is no user's. */
  readAccount(userId: string): Promise<AccountView | null>;

  /**
   * Deletes the principal's own account and ends every session of it (ASVS 7.4.2); tells the
   * webhook receiver (`user.deleted`) when there is one. Throws `invalid_session` when the
   * account is already gone.
   */
  deleteOwnAccount(principal: Principal, client: Client): Promise<void>;
}

/** How a new account names itself, and the profile data it starts with. */
export interface RegistrationProfile {
  /** `email` (the default) or `username` (`toUsernameKey`). */
  readonly kind?: IdentifierKind;
  /** Custom claims to start with (a `name`, for instance); checked as `setUserClaims` checks them. */
  readonly claims?: UserClaims | null;
}

/** A user's account as the user may see it: never a hash. */
export interface AccountView {
  readonly id: string;
  /** The email or username as registered. */
  readonly identifier: string;
  readonly claims: UserClaims | null;
  readonly registeredAt: Date;
}

type AccountDeps = Pick<CoreDeps, 'clock' | 'hasher' | 'limits' | 'audit' | 'outbox'> & {
  readonly store: Pick<CoreDeps['store'], 'findUserByEmailKey' | 'findUserById' | 'insertUser' | 'setUserClaims' | 'deleteUser'>;
  readonly config: Pick<CoreDeps['config'], 'password'>;
};

const MAX_CLAIMS_BYTES = 4096;

export function createAccounts({ store, clock, hasher, limits, audit, outbox, config }: AccountDeps): Accounts {
  return {
    async register(email, password, client, profile = {}) {
      const emailKey = toIdentifierKey(email, profile.kind ?? 'email');
      checkNewPassword(password, 'password', config.password, email);
      const claims = profile.claims ?? null;
      checkClaims(claims);
      // Counted before the store or the hasher is asked: a flood from one address costs one counter each.
      await limits.beforeRegistration(client);
      // Registration reveals an existing email by contract, so skipping the hash costs no secrecy.
      if (await store.findUserByEmailKey(emailKey)) throw emailTaken();
      await insertNewUser({ store, clock, hasher, config }, email, emailKey, password, claims);
    },

    async setUserClaims(identifier, claims) {
      checkClaims(claims);
      const user = await store.findUserByEmailKey(normalizeLoginIdentifier(identifier).key);
      if (!user || !(await store.setUserClaims(user.id, claims, clock.now()))) {
        throw new AuthError('email_not_registered', 'email not registered');
      }
    },

    async readAccount(userId) {
      const user = await store.findUserById(userId);
      return user && { id: user.id, identifier: user.email, claims: user.claims, registeredAt: user.createdAt };
    },

    async deleteOwnAccount(principal, client) {
      const notice = outbox?.message({ type: 'user.deleted', data: { user_id: principal.userId, email: principal.email } }, clock.now());
      const ended = await store.deleteUser(principal.userId, notice);
      if (!ended) throw new AuthError('invalid_session', 'no valid session');
      if (notice) outbox?.wake();
      audit({ event: 'account_deleted', userId: principal.userId, endedSessions: ended.length, ...auditOrigin(client) });
    },
  };
}

export const emailTaken = () => new AuthError('email_taken', 'email already registered');

/**
 * Hashes the password and inserts a new user, whose email key the caller has checked.
 * Throws `email_taken` when the key was taken meanwhile.
 */
export async function insertNewUser(
  { store, clock, hasher, config }: Pick<AccountDeps, 'clock' | 'hasher' | 'config'> & { readonly store: Pick<AccountDeps['store'], 'insertUser'> },
  email: string,
  emailKey: string,
  password: string,
  claims: UserClaims | null = null,
): Promise<User> {
  const stored = await hasher.hash(password, config.password.normalization);
  const now = clock.now();
  const user: User = {
    id: generateId(),
    email,
    emailKey,
    password: stored,
    passwordVersion: 0,
    claims,
    createdAt: now,
    updatedAt: now,
    disabledAt: null,
    lastLoginAt: null,
  };
  try {
    await store.insertUser(user);
  } catch (error) {
    if (error instanceof StoreConflictError) throw emailTaken();
    throw error;
  }
  return user;
}

/** Throws `invalid_input` for custom claims a token may not carry: a name the standards reserve, or too much JSON. */
export function checkClaims(claims: UserClaims | null): void {
  if (claims === null) return;
  const reserved = Object.keys(claims).filter((name) => RESERVED_CLAIMS.has(name));
  if (reserved.length > 0) {
    throw invalidInput(`claims reserved by the token standards cannot be set: ${reserved.join(', ')}`, 'claims_reserved', 'claims');
  }
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CLAIMS_BYTES) {
    throw invalidInput(`claims may take at most ${MAX_CLAIMS_BYTES} bytes of JSON`, 'claims_too_large', 'claims', { max: MAX_CLAIMS_BYTES });
  }
}
