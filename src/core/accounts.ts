import { RESERVED_CLAIMS } from './access-tokens.js';
import type { Client } from './audit.js';
import type { CoreDeps } from './deps.js';
import { toEmailKey } from './emails.js';
import { AuthError } from './errors.js';
import { checkNewPassword } from './password-rules.js';
import { generateId } from './secrets.js';
import { StoreConflictError, type User, type UserClaims } from './store.js';

/** Users as accounts: registration, and what an operator sets on them. */
export interface Accounts {
  /**
   * Registers a user. Throws `email_taken` when the email key exists, `invalid_input` for a bad
   * email or password, and `rate_limited` when the client registered too often.
   */
  register(email: string, password: string, client: Client): Promise<void>;

  /**
   * Sets the custom claims added to a user's future access tokens (null: none). Throws
   * `invalid_input` for a claim name the standards reserve, `email_not_registered` for an
   * unknown email.
   */
  setUserClaims(email: string, claims: UserClaims | null): Promise<void>;
}

type AccountDeps = Pick<CoreDeps, 'clock' | 'hasher' | 'limits'> & {
  readonly store: Pick<CoreDeps['store'], 'findUserByEmailKey' | 'insertUser' | 'setUserClaims'>;
  readonly config: Pick<CoreDeps['config'], 'password'>;
};

const MAX_CLAIMS_BYTES = 4096;

export function createAccounts({ store, clock, hasher, limits, config }: AccountDeps): Accounts {
  return {
    async register(email, password, client) {
      const emailKey = toEmailKey(email);
      checkNewPassword(password, 'password', config.password, email);
      // Counted before the store or the hasher is asked: a flood from one address costs one counter each.
      await limits.beforeRegistration(client);
      // Registration reveals an existing email by contract, so skipping the hash costs no secrecy.
      if (await store.findUserByEmailKey(emailKey)) throw emailTaken();
      await insertNewUser({ store, clock, hasher, config }, email, emailKey, password);
    },

    async setUserClaims(email, claims) {
      checkClaims(claims);
      const user = await store.findUserByEmailKey(toEmailKey(email));
      if (!user || !(await store.setUserClaims(user.id, claims, clock.now()))) {
        throw new AuthError('email_not_registered', 'email not registered');
      }
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
): Promise<User> {
  const stored = await hasher.hash(password, config.password.normalization);
  const now = clock.now();
  const user: User = {
    id: generateId(),
    email,
    emailKey,
    password: stored,
    passwordVersion: 0,
    claims: null,
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
    throw new AuthError('invalid_input', `claims reserved by the token standards cannot be set: ${reserved.join(', ')}`);
  }
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CLAIMS_BYTES) {
    throw new AuthError('invalid_input', `claims may take at most ${MAX_CLAIMS_BYTES} bytes of JSON`);
  }
}
