/** How a password was normalised before it was hashed; verification repeats the same step. */
export type PasswordNormalization = 'none' | 'nfkc';

/** A password hash as stored (a PHC or bcrypt string) and the normalisation it was made with. */
export interface StoredPassword {
  readonly hash: string;
  readonly normalization: PasswordNormalization;
}

export interface User {
  /** Random, opaque, never reused. */
  readonly id: string;
  /** The email exactly as the user registered it. */
  readonly email: string;
  /** `email.trim().toLowerCase()`: unique across users. */
  readonly emailKey: string;
  readonly password: StoredPassword;
  /**
   * Counts the passwords the user has set (registration is 0): a change or a reset
   * increments it, a rehash of the same password does not.
   */
  readonly passwordVersion: number;
  /** Claims added to the user's access tokens (never overriding the standard ones), or null. */
  readonly claims: UserClaims | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** When an operator disabled the account; null while it is enabled. A disabled user has no session. */
  readonly disabledAt: Date | null;
  /** The last successful sign-in (a cookie log-in or a password grant), or null. */
  readonly lastLoginAt: Date | null;
}

/** A JSON object of custom access-token claims. */
export type UserClaims = Readonly<Record<string, unknown>>;

/**
 * `cookie`: made by `POST /sessions`. `token`: made by the token API. `console`: an operator's
 * short-lived session of the admin console (console-sessions.ts), held by a cookie of its own.
 */
export type SessionKind = 'cookie' | 'token' | 'console';

export interface Session {
  /** Public identifier (the `sid` of tokens); not a secret. */
  readonly id: string;
  readonly userId: string;
  readonly kind: SessionKind;
  /** SHA-256 of the session cookie's secret; null for sessions held by tokens. */
  readonly tokenHash: string | null;
  /** SHA-256 of the current refresh token's secret; null for cookie sessions. */
  readonly refreshHash: string | null;
  /** How many times the refresh token has been rotated (0 for the first). */
  readonly refreshGeneration: number;
  /** When the current refresh token replaced its parent; null before the first rotation. */
  readonly refreshedAt: Date | null;
  readonly createdAt: Date;
  /** Last time the session was used, written at most once a minute. */
  readonly lastSeenAt: Date;
  /** Absolute end of the session, whatever its activity. */
  readonly expiresAt: Date;
}

/** Where a session was started from, recorded at sign-in and shown to its user and to operators. */
export interface SessionOrigin {
  /** The client address as the trusted-proxy rules computed it. */
  readonly clientAddress: string | null;
  /** The `User-Agent` header, cut to `MAX_USER_AGENT_LENGTH` characters. */
  readonly userAgent: string | null;
}

/** How much of a `User-Agent` a session keeps. */
export const MAX_USER_AGENT_LENGTH = 256;

/**
 * A session with where it was started from: what listings show. The session check never reads
 * the origin, so that its hot read stays as narrow as it was.
 */
export interface SessionDetails extends Session, SessionOrigin {}

/** What names a session in caches: its id, its kind and, for a cookie session, its token hash. */
export type SessionRef = Pick<Session, 'id' | 'kind' | 'tokenHash'>;

/** A session with its owner's stored email: everything a session check answers with. */
export interface SessionWithEmail extends Session {
  readonly email: string;
}

export type KeyPurpose = 'signing' | 'refresh';

/** A key as stored: its private part sealed when a key-encryption key is configured. */
export interface StoredKey {
  /** Key id: the JWK thumbprint of a signing key, a random id for the refresh key. */
  readonly kid: string;
  readonly purpose: KeyPurpose;
  /** 1 for the first key of a purpose, then one more for each rotation: the highest is current. */
  readonly position: number;
  /** JWS algorithm of a signing key; null for the refresh key. */
  readonly algorithm: string | null;
  /** The public JWK (JSON) of a signing key; null for the refresh key. */
  readonly publicJwk: string | null;
  /** PKCS#8 PEM of a signing key or base64url of the refresh key, possibly sealed. */
  readonly privateMaterial: string;
  readonly createdAt: Date;
}

export interface ResetToken {
  readonly userId: string;
  /** SHA-256 of the reset secret. */
  readonly tokenHash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** A message for the webhook receiver, kept in the store until it is delivered (a durable outbox). */
export interface OutboxMessage {
  /** Random and unique: the receiver's idempotency key. */
  readonly id: string;
  /** The event as the receiver gets it, sealed: it may carry a reset token. */
  readonly payload: string;
  readonly createdAt: Date;
  /** Failed deliveries so far. */
  readonly attempts: number;
  /** No delivery is tried before this. */
  readonly nextAttemptAt: Date;
}

export interface InsertSessionOptions {
  /** The `passwordVersion` the log-in was checked against. */
  readonly passwordVersion: number;
  /** Recorded with the session. */
  readonly origin: SessionOrigin;
  readonly endOtherCookieSessions: boolean;
  readonly replacesTokenHash: string | null;
}

/** Where a page of users starts: just after this user in the page's order. */
export interface UserPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/** Which users `Store.listUsers` returns, in which order. */
export interface UserListQuery {
  /** `newest`: by `createdAt` then `id`, both descending; `oldest`: both ascending. */
  readonly order: 'newest' | 'oldest';
  /** Only users strictly after this position in that order; null: from the first. */
  readonly after: UserPosition | null;
  /** Only users whose email key starts with this (already lower-cased); null: any. */
  readonly emailKeyPrefix: string | null;
  /** true: only disabled users; false: only enabled ones; null: both. */
  readonly disabled: boolean | null;
  readonly limit: number;
}

/** What an operator may change on a user in one call; an absent field stays as it is. */
export interface UserChanges {
  /** A new email and its key. Changing it ends every session of the user. */
  readonly email?: { readonly email: string; readonly emailKey: string };
  /** When disabled (disabling ends every session of the user), or null to enable. */
  readonly disabledAt?: Date | null;
  readonly claims?: UserClaims | null;
}

/** What `Store.importUsers` did with each user of a batch. */
export type ImportOutcome = 'inserted' | 'updated' | 'skipped';

export interface ImportOptions {
  /**
   * true: a user whose email key exists gets the imported email and password (the version
   * moves on, and their sessions and reset token end; claims and the disabled state stay as
   * they are); false: it is left as it is.
   */
  readonly update: boolean;
  /** true: work out every outcome in the transaction, then roll it back. */
  readonly dryRun: boolean;
}

export interface PurgeCounts {
  readonly sessions: number;
  readonly resetTokens: number;
}

/** A unique value (an email key, a token hash) is already taken. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
}

/** The engine cannot be reached or could not complete the operation; retrying may work. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/**
 * The storage port the core owns. Each method is atomic by itself; `null` means not found.
 * Engines throw `StoreConflictError` for unique violations and `StoreUnavailableError` when
 * the database cannot serve; anything else is a bug.
 */
export interface Store {
  /** Inserts a user. Throws `StoreConflictError` if the email key exists (a unique constraint, so concurrent inserts of one key have exactly one winner). */
  insertUser(user: User): Promise<void>;

  /**
   * Imports a batch of users in one transaction: each whose email key is new is inserted, and
   * each whose key exists is skipped, or updated with `options.update`. Returns each user's
   * outcome, in order. The batch's email keys must be distinct. A batch is written whole or
   * not at all.
   */
  importUsers(users: readonly User[], options: ImportOptions): Promise<ImportOutcome[]>;

  /** The user with this email key, or null. */
  findUserByEmailKey(emailKey: string): Promise<User | null>;

  /** The user with this id, or null. */
  findUserById(userId: string): Promise<User | null>;

  /** Replaces a user's custom claims (null: none). Returns false when there is no such user. */
  setUserClaims(userId: string, claims: UserClaims | null, at: Date): Promise<boolean>;

  /**
   * Replaces a user's password hash with a stronger one, only if it is still `current`
   * (compare-and-set, so a rehash never undoes a concurrent password change).
   * Returns whether it replaced it.
   */
  upgradePassword(userId: string, current: StoredPassword, next: StoredPassword, at: Date): Promise<boolean>;

  /**
   * Inserts a session, only if the user's password version is still `passwordVersion` (a
   * password changed or reset since the log-in's check starts no session). In the same
   * transaction, deletes the session whose token hash is `replacesTokenHash` (re-authentication
   * ends the old session) and, with `endOtherCookieSessions`, every other cookie session of
   * the user, and records the session's start as the user's last sign-in. Concurrent calls
   * for one user are serialised, so N concurrent cookie log-ins leave exactly one cookie
   * session. Returns the sessions it ended, or null when it inserted nothing (the password
   * version moved on, or the user is disabled or gone).
   */
  insertSession(session: Session, options: InsertSessionOptions): Promise<readonly SessionRef[] | null>;

  /** Every session of the user, live or expired. */
  listUserSessions(userId: string): Promise<SessionRef[]>;

  /** Every session of the user, live or expired, with its origin, newest first. */
  listSessionDetails(userId: string): Promise<SessionDetails[]>;

  /**
   * Up to `query.limit` users in the query's order, from just after its position (keyset
   * pagination: a row that exists throughout a walk is neither skipped nor repeated however
   * rows are added or removed meanwhile). Served by an index on (created_at, id).
   */
  listUsers(query: UserListQuery): Promise<User[]>;

  /**
   * Applies `changes` to the user in one transaction, with `updatedAt` set to `at`. Disabling
   * (a non-null `disabledAt`) or a new email also deletes every session of the user. Returns
   * the sessions it ended, or null when there is no such user. Throws `StoreConflictError`
   * when the new email key is taken. A session insert that began before and commits after
   * a disable inserts nothing (`insertSession` refuses a disabled user).
   */
  updateUser(userId: string, changes: UserChanges, at: Date): Promise<readonly SessionRef[] | null>;

  /**
   * Sets a password for an operator: in one transaction, increments the version, deletes every
   * session of the user and the pending reset token, and adds `notice` to the outbox. Returns
   * the sessions it ended, or null when there is no such user.
   */
  setPassword(userId: string, password: StoredPassword, at: Date, notice?: OutboxMessage): Promise<readonly SessionRef[] | null>;

  /**
   * Deletes the user and everything of theirs (sessions, so refresh families; the reset
   * token), and adds `notice` to the outbox, in one transaction. Returns the sessions it ended,
   * or null when there was no such user.
   */
  deleteUser(userId: string, notice?: OutboxMessage): Promise<readonly SessionRef[] | null>;

  /** Deletes every session of the user and returns them (none when there is no such user). */
  deleteUserSessions(userId: string): Promise<readonly SessionRef[]>;

  /** The session whose token hash this is, with its owner's email, or null. Expiry is the caller's to judge. */
  findSessionByTokenHash(tokenHash: string): Promise<SessionWithEmail | null>;

  /** The session with this id, with its owner's email, or null. Expiry is the caller's to judge. */
  findSessionById(sessionId: string): Promise<SessionWithEmail | null>;

  /**
   * Replaces the session's refresh token hash `parentHash` with `childHash` (compare-and-set:
   * of concurrent calls with one parent exactly one gets true), counts the rotation, and
   * records `at` as both the rotation and the last use.
   */
  rotateRefreshToken(sessionId: string, parentHash: string, childHash: string, at: Date): Promise<boolean>;

  /**
   * Records a use of the session at `at` only if it still exists with `refreshHash` as its
   * current refresh token. Returns whether it did: false means the session ended or rotated
   * on meanwhile.
   */
  confirmRefreshToken(sessionId: string, refreshHash: string, at: Date): Promise<boolean>;

  /** Moves `lastSeenAt` forward to `seenAt`, never back. Returns false when the session no longer exists. */
  touchSession(sessionId: string, seenAt: Date): Promise<boolean>;

  /** Deletes one session. Returns whether it existed (of concurrent calls, exactly one gets true). */
  deleteSession(sessionId: string): Promise<boolean>;

  /**
   * Sets a new password, only while the user's password version is still `expectedVersion`
   * and the session `keepSessionId` still exists (a change checked against a password that
   * was reset meanwhile, or made from a session that has ended, changes nothing). In the same
   * transaction: increments the version and deletes every other session of the user and the
   * pending reset token, and adds `notice` to the outbox. Returns the sessions it ended, or
   * null when it changed nothing.
   */
  changePassword(
    userId: string,
    expectedVersion: number,
    password: StoredPassword,
    keepSessionId: string,
    at: Date,
    notice?: OutboxMessage,
  ): Promise<readonly SessionRef[] | null>;

  /** Stores a user's reset token, replacing the previous one: a user has at most one. */
  saveResetToken(token: ResetToken): Promise<void>;

  /**
   * Records a reset request whose token goes by webhook, in one transaction: replaces the
   * user's reset token with `token` and adds `message` to the outbox, so the token is kept if
   * and only if its delivery is. For an email with no account `token` is null, and the same
   * statements run, on no row: the work, and so the time, does not tell whether the account
   * exists (ASVS 6.3.8).
   */
  saveResetRequest(token: ResetToken | null, message: OutboxMessage): Promise<void>;

  /** The reset token with this hash, expired or not, or null. */
  findResetTokenByHash(tokenHash: string): Promise<ResetToken | null>;

  /**
   * In one transaction: consumes the user's reset token if its hash is `tokenHash` and it has
   * not expired at `at`, sets the new password (incrementing the version), deletes every
   * session of the user, and adds `notice` to the outbox. Returns the sessions it ended; null,
   * changing nothing, when there was no such token. Of concurrent calls with one token exactly
   * one gets a list.
   */
  resetPassword(userId: string, tokenHash: string, password: StoredPassword, at: Date, notice?: OutboxMessage): Promise<readonly SessionRef[] | null>;

  /**
   * Up to `limit` messages due at `now`, oldest first, each leased to the caller: its next
   * attempt moves to `leaseUntil` by compare-and-set, so that of callers claiming at once
   * (other instances) exactly one gets each message.
   */
  claimMessages(now: Date, leaseUntil: Date, limit: number): Promise<OutboxMessage[]>;

  /** Removes a delivered message. */
  deleteMessage(id: string): Promise<void>;

  /** Records a failed delivery: how many so far, and when to try again. */
  rescheduleMessage(id: string, attempts: number, nextAttemptAt: Date): Promise<void>;

  /**
   * Deletes sessions whose absolute expiry is at or before `now` or last seen at or before
   * `idleCutoff`, and reset tokens expired at `now`. Works in batches so that a large purge
   * never holds the database for long. Returns how many rows of each went.
   */
  purgeExpired(now: Date, idleCutoff: Date): Promise<PurgeCounts>;

  /** Every stored key, signing and refresh, in no particular order. */
  listKeys(): Promise<StoredKey[]>;

  /**
   * Inserts a key unless its purpose already has a key at its position (insert-if-absent:
   * of instances generating a first key at once, one wins). Returns whether it was inserted.
   */
  insertKey(key: StoredKey): Promise<boolean>;

  /** Resolves when the database answers a trivial query; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;

  /** Releases connections. The store is unusable afterwards. */
  close(): Promise<void>;
}
