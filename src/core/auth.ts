import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import type { AccessTokenConfig } from './access-tokens.js';
import type { AttemptCounters } from './attempt-counters.js';
import { createAttemptLimits, type AttemptLimits, type AttemptLimitsConfig } from './attempt-limits.js';
import type { AuditLog, Client } from './audit.js';
import type { Outbox } from './outbox.js';
import type { SessionCache } from './cache.js';
import type { Clock } from './clock.js';
import { createPasswordAuth } from './password-auth.js';
import type { PasswordPolicy } from './password-rules.js';
import type { PasswordHasher } from './passwords.js';
import { idleCutoff, type SessionPolicy } from './sessions.js';
import type { KeyRing } from './signing-keys.js';
import type { PurgeCounts, Store, UserClaims } from './store.js';
import { createTokenAuth } from './token-auth.js';

export interface AuthConfig extends SessionPolicy, AccessTokenConfig {
  /** How long a reset token stays usable. */
  readonly resetTokenTtlSeconds: number;
  /** `response`: a reset token is returned to the caller (compat); `webhook`: it goes only to the webhook receiver. */
  readonly resetTokenDelivery: 'response' | 'webhook';
  readonly password: PasswordPolicy;
  /** How long a rotated-out refresh token still gets its child back (0: never). */
  readonly refreshGraceSeconds: number;
  /** The bearer token callers of `/introspect` must present, or null to leave it open. */
  readonly introspectionToken: string | null;
  readonly limits: AttemptLimitsConfig;
}

export interface AuthDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly keys: KeyRing;
  /** The shared cache of live sessions, or `noCache`. */
  readonly cache: SessionCache;
  /** Attempt counters shared by every instance (null: none), and this process's own, which stand in while the shared ones are away. */
  readonly counters: { readonly shared: AttemptCounters | null; readonly local: AttemptCounters };
  readonly audit: AuditLog;
  /** Where messages for the webhook receiver go (reset tokens, password-change notices), or null without a receiver. */
  readonly outbox: Outbox | null;
  readonly config: AuthConfig;
}

/** What the use cases share: the deps and the attempt limits built over them. */
export interface CoreDeps extends AuthDeps {
  readonly limits: AttemptLimits;
}

/** Who is behind a live session. Only `validateSessionToken` and `validateAccessToken` make one. */
export interface Principal {
  readonly userId: string;
  readonly sessionId: string;
  /** The user's email as stored. */
  readonly email: string;
}

export interface TokenPair {
  /** A signed JWT (RFC 9068). */
  readonly accessToken: string;
  /** Opaque; rotated at every use. */
  readonly refreshToken: string;
  /** Lifetime of the access token. */
  readonly expiresInSeconds: number;
}

/** RFC 7662: `active` and, when active, what the token says. */
export type Introspection = { readonly active: false } | ({ readonly active: true } & Readonly<Record<string, unknown>>);

/**
 * The use cases of Sesame. Failures are `AuthError`s; the store's own errors pass through.
 * `client` is where the request came from: attempt limits count by it and audit events name it.
 * Every use case that checks a password counts the check against the limits before hashing,
 * and throws `rate_limited` (with a retry time) when a limit refuses it.
 */
export interface Auth {
  /** Registers a user. Throws `email_taken` when the email key exists, `invalid_input` for a bad email or password. */
  register(email: string, password: string): Promise<void>;

  /**
   * Checks the credentials and starts a cookie session; returns the session token for the
   * cookie. `previousSessionToken` (the cookie the client still holds, if any) is ended:
   * a new log-in always gets a new session token (ASVS 7.2.4). Throws `invalid_credentials`
   * for an unknown email or a wrong password alike, after the same hashing work.
   */
  logIn(email: string, password: string, previousSessionToken: string | null, client: Client): Promise<{ sessionToken: string }>;

  /** The principal behind a live cookie session, or null. The hot path: one indexed read, a write at most once a minute. */
  validateSessionToken(sessionToken: string): Promise<Principal | null>;

  /** Ends the principal's session, whatever holds it. Throws `invalid_session` when it has already ended. */
  logOut(principal: Principal, client: Client): Promise<void>;

  /**
   * Changes the principal's password given the current one, and ends every other session of
   * the user (ASVS 7.4.3). Throws `invalid_credentials` for a wrong current password, and
   * `invalid_session` when a reset or a log-out overtook the change.
   */
  changePassword(principal: Principal, currentPassword: string, newPassword: string, client: Client): Promise<void>;

  /**
   * Issues a reset token, replacing any earlier one, and returns it (`response` delivery).
   * Throws `email_not_registered` (compat contract), and `rate_limited` when the client asked
   * too often. With `webhook` delivery the token goes only to the receiver, through the outbox,
   * and the answer is `null` whether or not the email is registered.
   */
  requestPasswordReset(email: string, client: Client): Promise<{ resetToken: string | null }>;

  /**
   * Sets a new password with a reset token issued for this email, consumes the token and
   * ends every session of the user, and clears the account's failed password checks. Never
   * refused by the attempt limits. Throws `invalid_reset_token` otherwise.
   */
  resetPassword(email: string, resetToken: string, newPassword: string, client: Client): Promise<void>;

  /**
   * The password grant: checks the credentials like `logIn` and starts a token session,
   * leaving every other session alone. The access token says `fresh: true`.
   */
  grantTokens(email: string, password: string, client: Client): Promise<TokenPair>;

  /**
   * The refresh grant. The current refresh token is exchanged for its child exactly once
   * (compare-and-set); its parent presented again within the grace window gets that same child
   * with a new access token; any older token of the session ends the session (ASVS 10.4.5).
   * Throws `invalid_grant` for anything else.
   */
  refreshTokens(refreshToken: string, client: Client): Promise<TokenPair>;

  /** The principal behind a valid access token whose session is live, or null. */
  validateAccessToken(accessToken: string): Promise<Principal | null>;

  /** Ends the session of an access or refresh token (RFC 7009); an unknown token changes nothing. */
  revokeToken(token: string, client: Client): Promise<void>;

  /** What an access or refresh token says if it is valid and its session live (RFC 7662). */
  introspectToken(token: string): Promise<Introspection>;

  /** Throws `invalid_client` unless `presented` is the configured introspection token (or none is configured). */
  authorizeIntrospection(presented: string | null): void;

  /**
   * Sets the custom claims added to a user's future access tokens (null: none). Throws
   * `invalid_input` for a claim name the standards reserve, `email_not_registered` for an
   * unknown email.
   */
  setUserClaims(email: string, claims: UserClaims | null): Promise<void>;

  /** The public signing keys that can still verify unexpired tokens (JWK Set). */
  publicKeys(): { keys: JWK[] };

  /** Deletes expired sessions and reset tokens. */
  purgeExpired(): Promise<PurgeCounts>;

  /** Resolves when the store answers. */
  checkReady(): Promise<void>;
}

/**
 * Builds the use cases over a store, a clock, a hasher and the key ring. Every secret it
 * issues is 256 random bits stored as SHA-256; every check that involves a password costs one
 * password verification whether or not the email exists; every write that depends on an
 * earlier read is a compare-and-set in the store.
 */
export function createAuth(authDeps: AuthDeps): Auth {
  const { store, clock, keys, config } = authDeps;
  const limits = createAttemptLimits({
    ...authDeps.counters,
    clock,
    audit: authDeps.audit,
    // A key of its own, derived from a server secret every instance shares.
    secret: createHmac('sha256', keys.refreshKey()).update('sesame attempt-limit account digest').digest(),
    config: config.limits,
  });
  const deps: CoreDeps = { ...authDeps, limits };
  return {
    ...createPasswordAuth(deps),
    ...createTokenAuth(deps),
    publicKeys: () => keys.jwks(),
    purgeExpired() {
      const now = clock.now();
      return store.purgeExpired(now, idleCutoff(now, config));
    },
    checkReady: () => store.ping(),
  };
}
