import type { AccessTokenConfig } from './access-tokens.js';
import type { AttemptCounters } from './attempt-counters.js';
import type { AttemptLimits, AttemptLimitsConfig } from './attempt-limits.js';
import type { AuditLog } from './audit.js';
import type { SessionCache } from './cache.js';
import type { CachedStore } from './cached-store.js';
import type { Clock } from './clock.js';
import type { Metrics } from './metrics.js';
import type { Outbox } from './outbox.js';
import type { PasswordHasher } from './password-hasher.js';
import type { PasswordPolicy } from './password-rules.js';
import type { ConsoleSessionPolicy, SessionPolicy } from './sessions.js';
import type { KeyRing } from './signing-keys.js';
import type { Store } from './store.js';

export interface AuthConfig extends SessionPolicy, AccessTokenConfig {
  /** How long a reset token stays usable. */
  readonly resetTokenTtlSeconds: number;
  /** `response`: a reset token is returned to the caller (compat); `webhook`, `email`: it goes only into the outbox, for the receiver or the user's mailbox. */
  readonly resetTokenDelivery: 'response' | 'webhook' | 'email';
  readonly password: PasswordPolicy;
  /** How long a rotated-out refresh token still gets its child back (0: never). */
  readonly refreshGraceSeconds: number;
  /** The bearer token callers of `/introspect` must present, or null to leave it open. */
  readonly introspectionToken: string | null;
  /** The bearer token of the admin API, or null when only the admin listener (or nothing) serves it. */
  readonly adminToken: string | null;
  readonly limits: AttemptLimitsConfig;
  /**
   * `distinct` (compat): a log-in whose API contract answers an unknown account otherwise than
   * a wrong password (python-jwt-auth's 404) may do so; `same` (strict): every log-in answers
   * both alike (ASVS 6.3.8). The work done is the same either way.
   */
  readonly unknownAccountAtLogin: 'distinct' | 'same';
  /** The admin console's sessions: shorter than users' (docs/admin-console.md). */
  readonly consoleSession: ConsoleSessionPolicy;
}


/** What `createAuth` is built from. */
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
  /** Where the core's counts go (docs/monitoring.md); none when absent. */
  readonly metrics?: Metrics;
  /** Where messages for the webhook receiver or the SMTP server go (reset tokens, password-change notices), or null without either. */
  readonly outbox: Outbox | null;
  readonly config: AuthConfig;
}

/**
 * What the use-case families are built from: the store already wrapped in the session cache
 * (so no use case handles the cache itself), and the attempt limits. Each family takes the
 * part of it that it uses.
 */
export interface CoreDeps extends Omit<AuthDeps, 'store' | 'cache' | 'counters' | 'metrics'> {
  readonly store: CachedStore;
  readonly limits: AttemptLimits;
}

/** Who is behind a live session. Only the session checks (cookie and access token) make one. */
export interface Principal {
  readonly userId: string;
  readonly sessionId: string;
  /** The user's email (or username) as stored. */
  readonly email: string;
}
